"""Revoking Kubernetes access (not yet: REVOKE_KINDS is empty until the revoke steps land)."""

from __future__ import annotations

from typing import Any

from nhi_cli.errors import NhiError
from nhi_cli.kit.connector import CollectContext, RevokeStep, StepOutcome

REVOKE_KINDS: dict[str, list[str]] = {}


def plan(target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
    raise NhiError("the kubernetes connector cannot revoke yet")


def execute(ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    return StepOutcome("skipped", "the kubernetes connector cannot revoke yet")


def restore(ctx: CollectContext, step: RevokeStep) -> StepOutcome:
    return StepOutcome("skipped", "the kubernetes connector cannot revoke yet")
