"""Anthropic organization through the Admin API (see connector.py)."""

from .connector import AnthropicConnector

__all__ = ["AnthropicConnector"]
