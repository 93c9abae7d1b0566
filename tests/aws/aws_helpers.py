"""Helpers shared by the AWS tests."""

from __future__ import annotations

import json

import yaml


def write_config(path, url: str, **aws) -> str:
    config = {"version": 1, "providers": {"aws": {"endpoint": url, **aws}}}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


def scan_json(nhi, config: str, *extra: str):
    """Run `nhi scan --format json`; (result, parsed stdout)."""
    result = nhi("scan", "--config", config, "--db", "nhi.db", "--format", "json", "--quiet", *extra)
    return result, json.loads(result.out) if result.out.strip() else None


def iam_calls(scope_row: dict) -> dict[str, int]:
    return {k: v for k, v in scope_row["api_calls"].items() if k.startswith("iam:")}
