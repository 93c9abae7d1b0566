"""`nhi export jira`: one Jira issue per fix-first item, kept in step across runs.

- One issue per item of the report's fix-first list (reports/ranking.py), not per finding: an
  agent or identity with twelve findings is one piece of work.
- Stable identity: every issue carries the label ``nhi`` (``label:`` in nhi.yaml) and the
  item's own label ``nhi-<first 16 hex of sha256(item key)>``. A run searches the project's open
  nhi issues (JQL on POST /rest/api/3/search/jql), then creates the issues that are missing
  for the top N items, edits those whose text changed (a digest in the description says), and
  transitions to Done (``done_transition``) the issues of items that left the list: their
  findings were resolved. An item that comes back after its issue was closed gets a new issue.
- Jira Cloud REST API v3: descriptions are Atlassian Document Format (text nodes only, so
  identity names cannot become links or mentions), Basic auth with an Atlassian account email
  and API token read from environment variables; the token is never printed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nhi_cli import trust
from nhi_cli.errors import ConfigError, ExitCode, NhiError
from nhi_cli.export_settings import JiraSettings
from nhi_cli.kit.connector import CollectContext, ScopeError
from nhi_cli.kit.http import NotFound, RestClient
from nhi_cli.model import utcnow
from nhi_cli.reports.model import Report
from nhi_cli.reports.ranking import FixItem

SUMMARY_MAX = 255
FINDINGS_LISTED = 50
DIGEST_PREFIX = "nhi digest "


def item_label(key: str) -> str:
    return "nhi-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _text(value: object, limit: int = 2000) -> str:
    text = " ".join(str(value or "").split())  # one line: no control characters or breaks
    return (text[: limit - 1] + "\u2026") if len(text) > limit else (text or "-")


def _para(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [{"type": "text", "text": _text(text)}]}


def _heading(text: str) -> dict[str, Any]:
    return {"type": "heading", "attrs": {"level": 3}, "content": [{"type": "text", "text": text}]}


def _bullets(lines: list[str]) -> dict[str, Any]:
    return {"type": "bulletList", "content": [{"type": "listItem", "content": [_para(x)]} for x in lines]}


def summary(item: FixItem) -> str:
    action = (item.action or {}).get("kind") or "fix"
    text = _text(f"[nhi] #{item.rank} {action} {item.kind} {item.name} ({', '.join(item.providers)})")
    return text[:SUMMARY_MAX]


def description(item: FixItem, total: int, scan_id: int) -> dict[str, Any]:
    """The issue body in ADF; its last paragraph carries the digest of everything above it."""
    parts = ", ".join(f"{k} {v}" for k, v in item.parts.items())
    content = [
        _para(f"Rank {item.rank} of {total} in nhi's fix-first list (scan {scan_id}); score {item.score}: {parts}."),
        _heading("Why"),
        _bullets([_text(r) for r in item.reasons] or ["-"]),
        _heading("Fix"),
        _para((item.action or {}).get("text") or "See the findings below."),
    ]
    command = (item.action or {}).get("command")
    if command:
        content.append(
            {"type": "codeBlock", "attrs": {"language": "shell"}, "content": [{"type": "text", "text": command}]}
        )
    lines = [
        f"{f['severity']} {f['rule_id']} on {f.get('resource_name') or f['resource_id']}: {f['reason']}"
        for f in item.findings[:FINDINGS_LISTED]
    ]
    if len(item.findings) > FINDINGS_LISTED:
        lines.append(f"and {len(item.findings) - FINDINGS_LISTED} more (nhi report)")
    content += [_heading(f"Findings ({len(item.findings)})"), _bullets([_text(x) for x in lines] or ["-"])]
    digest = hashlib.sha256(json.dumps([summary(item), content], sort_keys=True).encode()).hexdigest()[:16]
    content.append(_para(f"{DIGEST_PREFIX}{digest} (item {item.key})"))
    return {"type": "doc", "version": 1, "content": content}


def digest_of(doc: Any) -> str | None:
    """The digest an issue's description carries (None when it was edited away)."""
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            text = node.get("text")
            if isinstance(text, str) and text.startswith(DIGEST_PREFIX):
                return text[len(DIGEST_PREFIX) :].split(" ", 1)[0]
            stack.extend(node.get("content") or [])
    return None


@dataclass
class JiraResult:
    project: str = ""
    created: list[dict[str, Any]] = field(default_factory=list)  # {"item": key, "issue": "SEC-1"}
    updated: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)
    closed: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)  # {"issue" or "item", "error"}
    calls: dict[str, int] = field(default_factory=dict)


def credentials(settings: JiraSettings) -> tuple[str, str, str]:
    """(base URL, email, token) from nhi.yaml and the environment; errors never quote the token."""
    if not settings.url or not settings.project:
        raise ConfigError("export.jira needs url (https://YOUR-SITE.atlassian.net) and project in nhi.yaml")
    trust.check_destination("export.jira.url", "jira", settings.url, secret=False)
    email = (os.environ.get(settings.email_env) or "").strip()
    token = (os.environ.get(settings.token_env) or "").strip()
    missing = [name for name, value in ((settings.email_env, email), (settings.token_env, token)) if not value]
    if missing:
        raise ConfigError(f"export.jira: {' and '.join(missing)} not set (the Atlassian account email and API token)")
    return settings.url.rstrip("/"), email, token


def _client(
    settings: JiraSettings, url: str, email: str, token: str, sleep: Callable[[float], None] | None = None
) -> tuple[CollectContext, RestClient]:
    auth = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
    ctx = CollectContext(now=utcnow(), settings=settings)
    headers = {"Authorization": auth, "Accept": "application/json"}
    return ctx, RestClient(url, ctx, label="jira", headers=lambda: dict(headers), sleep=sleep or time.sleep)


def _jql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def open_issues(client: RestClient, settings: JiraSettings) -> list[dict[str, Any]]:
    """The project's nhi issues not in a Done status, every page."""
    jql = (
        f"project = {_jql_string(settings.project or '')} AND labels = {_jql_string(settings.label)} "
        "AND statusCategory != Done ORDER BY key ASC"
    )
    body: dict[str, Any] = {"jql": jql, "fields": ["summary", "labels", "status", "description"], "maxResults": 100}
    issues: list[dict[str, Any]] = []
    while True:
        page = client.request("POST", "/rest/api/3/search/jql", json=body).json()
        issues.extend(page.get("issues", []))
        token = page.get("nextPageToken")
        if page.get("isLast", True) or not token:
            return issues
        body["nextPageToken"] = token


def _close(client: RestClient, issue_key: str, done: str) -> None:
    transitions = client.get_json(f"/rest/api/3/issue/{issue_key}/transitions").get("transitions", [])
    wanted = done.lower()
    chosen = next((t for t in transitions if str(t.get("name", "")).lower() == wanted), None)
    chosen = chosen or next(
        (t for t in transitions if str((t.get("to") or {}).get("name", "")).lower() == wanted), None
    )
    chosen = chosen or next(
        (t for t in transitions if ((t.get("to") or {}).get("statusCategory") or {}).get("key") == "done"), None
    )
    if chosen is None:
        raise NhiError(f"{issue_key}: no transition to {done!r} is available to this account", ExitCode.ACTION_FAILED)
    client.request("POST", f"/rest/api/3/issue/{issue_key}/transitions", json={"transition": {"id": str(chosen["id"])}})


def sync(
    report: Report, settings: JiraSettings, *, top: int = 25, sleep: Callable[[float], None] | None = None
) -> JiraResult:
    """Create, update and close issues so the project mirrors the top ``top`` fix-first items."""
    url, email, token = credentials(settings)
    ctx, client = _client(settings, url, email, token, sleep)
    result = JiraResult(project=settings.project or "")
    items = list(report.fix_first)
    wanted = {item_label(i.key): i for i in items[: max(0, top)]}
    listed = {item_label(i.key) for i in items}
    try:
        with client:
            by_label: dict[str, dict[str, Any]] = {}
            for issue in open_issues(client, settings):
                for label in (issue.get("fields") or {}).get("labels") or []:
                    if label.startswith("nhi-") and label not in by_label:
                        by_label[label] = issue
            for label, item in wanted.items():
                fields = {"summary": summary(item), "description": description(item, len(items), report.scan["id"])}
                found = by_label.get(label)
                try:
                    if found is None:
                        created = client.request(
                            "POST",
                            "/rest/api/3/issue",
                            json={
                                "fields": {
                                    "project": {"key": settings.project},
                                    "issuetype": {"name": settings.issue_type},
                                    "labels": [settings.label, label],
                                    **fields,
                                }
                            },
                        ).json()
                        result.created.append({"item": item.key, "issue": created["key"]})
                    elif digest_of((found.get("fields") or {}).get("description")) == digest_of(fields["description"]):
                        result.unchanged.append({"item": item.key, "issue": found["key"]})
                    else:
                        client.request("PUT", f"/rest/api/3/issue/{found['key']}", json={"fields": fields})
                        result.updated.append({"item": item.key, "issue": found["key"]})
                except (ScopeError, NotFound) as exc:
                    if getattr(exc, "status", "") == "denied":
                        raise
                    result.failed.append({"item": item.key, "error": str(exc)})
            for label, issue in sorted(by_label.items()):
                if label in listed:
                    continue  # still on the list (below the top N): left open
                try:
                    _close(client, issue["key"], settings.done_transition)
                    result.closed.append({"issue": issue["key"]})
                except NhiError as exc:
                    result.failed.append({"issue": issue["key"], "error": exc.message})
                except (ScopeError, NotFound) as exc:
                    if getattr(exc, "status", "") == "denied":
                        raise
                    result.failed.append({"issue": issue["key"], "error": str(exc)})
    except ScopeError as exc:
        done = len(result.created) + len(result.updated) + len(result.closed)
        what = "denied" if exc.status == "denied" else "failed"
        raise NhiError(
            f"jira: {what}: {exc} ({done} issues created, updated or closed before it; a re-run continues)"
        ) from None
    finally:
        result.calls = dict(sorted(ctx.calls.items()))
    return result
