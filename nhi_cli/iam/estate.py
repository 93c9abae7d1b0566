"""What one inventory knows about AWS principals (the evaluator's input) and what it concludes
about each (its output rows in ``effective_permission``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .evaluate import Principal


@dataclass
class Role:
    arn: str
    account: str
    platform: bool = False
    instance_profile: bool = False
    services: set[str] = field(default_factory=set)  # service principals trusted
    trusts: list[dict[str, Any]] = field(default_factory=list)  # AWS-principal trust rows


@dataclass
class Estate:
    principals: dict[str, Principal] = field(default_factory=dict)
    users: dict[str, list[str]] = field(default_factory=dict)  # account -> user ARNs
    roles: dict[str, Role] = field(default_factory=dict)  # ARN -> role
    groups: dict[str, set[str]] = field(default_factory=dict)  # account -> group ARNs
    customer_policies: dict[str, set[str]] = field(default_factory=dict)  # account -> policy ARNs
    admin_flagged: set[str] = field(default_factory=set)  # holds a '*'-like Allow


@dataclass
class Result:
    identity_id: str
    scope: str
    kind: str  # admin | escalation | assume
    method: str = ""
    family: str = ""
    target: str = ""
    targets: int = 0
    actions: str = ""
    statements: str = ""
    confidence: str = "certain"  # certain | conditional
    detail: str = ""
