"""Agents and delegation: which identities are AI agents, who they act for, and how they
score on the four properties (scoped, delegated, auditable, revocable)."""
