"""The pinned catalogue of AWS IAM actions (``aws_actions.json``; source and version in its
``_about``; regenerate with catalogue_build.py). Wildcard actions expand against it, and every
action an escalation method names must be in it, so a renamed or retired action fails the
test suite instead of making a check pass silently."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TypedDict

from .policy import action_matches


class About(TypedDict):
    source: str
    version: str
    updated_at: str
    levels: dict[str, str]  # level letter (L, R, W, P, T, ?) -> AWS access level name
    regenerate: str


class Catalogue(TypedDict):
    """The shape of aws_actions.json."""

    _about: About
    services: dict[str, dict[str, str]]  # service prefix -> action name -> level letter


CATALOGUE_FILE = Path(__file__).with_name("aws_actions.json")


@lru_cache(maxsize=1)
def _data() -> Catalogue:
    catalogue: Catalogue = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return catalogue


def about() -> About:
    return About(**_data()["_about"])


@lru_cache(maxsize=1)
def actions() -> frozenset[str]:
    """Every action as ``service:Name`` (catalogue spelling)."""
    return frozenset(f"{service}:{name}" for service, names in _data()["services"].items() for name in names)


@lru_cache(maxsize=1)
def _lower() -> dict[str, str]:
    return {a.lower(): a for a in actions()}


def canonical(action: str) -> str | None:
    """The catalogue spelling of an action (IAM names are case-insensitive), None if unknown."""
    return _lower().get(action.lower())


def access_level(action: str) -> str | None:
    name = canonical(action)
    if name is None:
        return None
    service, short = name.split(":", 1)
    levels = _data()["_about"]["levels"]
    return levels.get(_data()["services"][service][short])


@lru_cache(maxsize=4096)
def expand(pattern: str) -> tuple[str, ...]:
    """Catalogue actions a pattern (``iam:Put*``, ``*``, ``lambda:Update*``) covers."""
    service = pattern.split(":", 1)[0].lower() if ":" in pattern else "*"
    pool: Iterable[str]
    if "*" in service or "?" in service:
        pool = actions()
    else:
        pool = (f"{service}:{name}" for name in _data()["services"].get(service, {}))
    return tuple(sorted(a for a in pool if action_matches(pattern, a)))
