"""Seed a real inventory for report tests: the Northwind story (two scans) and a hostile twin.

Inventory rows go in through the store's own loader (write_scan); findings, rules and
suppressions are written in a post-load step exactly as the rules engine stores them (the
tables of migration 0001), so reports are tested against the real schema without a live scan.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from nhi_cli.agents.build import build_agents
from nhi_cli.config import AgentConfig, Config
from nhi_cli.model import Batch, Credential, Identity, ScopeResult, iso
from nhi_cli.store import open_store
from nhi_cli.store.load import write_scan

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
ACCOUNT = "123456789012"

HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_TAG = '=HYPERLINK("http://x")'
HOSTILE_DESCRIPTION = (
    "\u202egnp.exe\u202c pipe | back`tick` ```fence``` ]]> </script><script>document.title='PWNED'"
    "</script>\n# heading\n[link](http://evil.example) @dana \u2066rtl\u2069 *bold* <b>b</b> "
    "<svg onload=\"document.body.setAttribute('data-pwned','1')\"></svg>"
)

RULES = {
    "aws_access_key_old": dict(
        title="Access key older than 90 days",
        severity="high",
        property="revocable",
        owasp=["NHI7"],
        description="A static access key that has not been rotated.",
        risk="A leaked old key stays valid for months.",
        remediation="Rotate the key, then delete the old one.",
    ),
    "identity_admin": dict(
        title="Identity has administrator access",
        severity="critical",
        property="scoped",
        owasp=["NHI5"],
        description="The identity holds full administrative permissions.",
        risk="Whoever holds its credentials controls the account.",
        remediation="Replace AdministratorAccess with a least-privilege policy.",
    ),
    "owner_departed": dict(
        title="Owner has left the company",
        severity="medium",
        property="auditable",
        owasp=["NHI1"],
        description="The recorded owner is no longer an active person.",
        risk="Nobody answers for what the identity does.",
        remediation="Assign an active owner or decommission the identity.",
    ),
    "credential_in_local_config": dict(
        title="Credential copied into a local agent config",
        severity="critical",
        property="revocable",
        owasp=["NHI2", "NHI7"],
        description="A cloud credential appears in a local MCP config file.",
        risk="Every copy must be found before the key can be safely rotated.",
        remediation="Use a short-lived, brokered credential instead.",
    ),
    "trust_without_source_identity": dict(
        title="Agent role trust does not require sts:SourceIdentity",
        severity="low",
        property="delegated",
        owasp=["NHI10"],
        description="Sessions of this role cannot be traced to a person.",
        risk="Actions cannot be attributed.",
        remediation="Require sts:SourceIdentity in the trust policy.",
    ),
}


def fingerprint(rule_id: str, resource_id: str) -> str:
    return hashlib.sha256(f"{rule_id}\x00{resource_id}".encode()).hexdigest()


def _arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{'user' if kind == 'iam_user' else 'role'}/{name}"


def estate(hostile: bool, second: bool) -> tuple[Batch, list[tuple]]:
    """Identities and credentials, and the findings (rule, resource, type, name, reason) they raise."""
    b = Batch()
    now = T1 if second else T0
    people = [
        ("ops-copilot", "iam_user", "dana.lee@northwind.example", {"team": "platform"}),
        ("release-bot-deploy", "iam_role", "sam.ortiz@northwind.example", {"agent": "release-bot"}),
        ("analytics-agent", "iam_role", "dana.lee@northwind.example", {"agent": "true"}),
        ("billing-export", "iam_user", None, {}),
    ]
    if not second:
        people.append(("legacy-backup", "iam_user", "sam.ortiz@northwind.example", {}))
    else:
        people.append(("research-assistant", "iam_role", "dana.lee@northwind.example", {}))
    if hostile:
        people.append(
            (
                HOSTILE_NAME,
                "iam_user",
                HOSTILE_TAG,
                {"owner": HOSTILE_TAG, "note": HOSTILE_DESCRIPTION, "agent": HOSTILE_NAME},
            )
        )
    findings = []
    for name, kind, owner, tags in people:
        ident = Identity(
            id=_arn(kind, name),
            provider="aws",
            scope=ACCOUNT,
            kind=kind,
            name=name,
            created_at=T0 - timedelta(days=500),
            owner=owner,
            owner_source="tag:owner" if owner else None,
            description=HOSTILE_DESCRIPTION if name == HOSTILE_NAME else f"{name} identity",
            tags=dict(tags, env="prod" if not second or name != "billing-export" else "shared"),
        )
        b.identities.append(ident)
        if kind == "iam_user":
            key_id = (
                "AKIANWOPSCOPILOT0001"
                if name == "ops-copilot"
                else "AKIA" + hashlib.md5(name.encode()).hexdigest()[:16].upper()
            )
            age = {"ops-copilot": 400, "billing-export": 45, "legacy-backup": 800}.get(name, 200)
            b.credentials.append(
                Credential(
                    id=key_id,
                    identity_id=ident.id,
                    provider="aws",
                    scope=ACCOUNT,
                    kind="access_key",
                    created_at=T1 - timedelta(days=age),
                    status="inactive" if second and name == "billing-export" else "active",
                    last_used_at=now - timedelta(days=2),
                    key_id=key_id,
                    hint=key_id[-4:],
                )
            )
            if age >= 90:
                findings.append(
                    (
                        "aws_access_key_old",
                        key_id,
                        "credential",
                        name,
                        f"Access key {key_id} of {name} is {age} days old.",
                    )
                )
    findings.append(
        (
            "identity_admin",
            _arn("iam_user", "ops-copilot"),
            "identity",
            "ops-copilot",
            "ops-copilot has AdministratorAccess attached.",
        )
    )
    findings.append(
        (
            "owner_departed",
            _arn("iam_role", "release-bot-deploy"),
            "identity",
            "release-bot-deploy",
            "Owner sam.ortiz@northwind.example has left the company.",
        )
    )
    if second:
        findings.append(
            (
                "credential_in_local_config",
                "AKIANWOPSCOPILOT0001",
                "credential",
                "ops-copilot",
                "AKIANWOPSCOPILOT0001 appears in ~/Library/Application Support/Claude/claude_desktop_config.json.",
            )
        )
    findings.append(
        (
            "trust_without_source_identity",
            _arn("iam_role", "release-bot-deploy"),
            "identity",
            "release-bot-deploy",
            "The trust policy of release-bot-deploy lets GitHub OIDC assume it without sts:SourceIdentity.",
        )
    )
    if hostile:
        hid = _arn("iam_user", HOSTILE_NAME)
        findings.append(
            (
                "identity_admin",
                hid,
                "identity",
                HOSTILE_NAME,
                f"{HOSTILE_NAME} has AdministratorAccess; tag {HOSTILE_TAG}; {HOSTILE_DESCRIPTION}.",
            )
        )
        findings.append(("owner_departed", hid, "identity", HOSTILE_NAME, f"Owner {HOSTILE_TAG} is unknown."))
    return b, findings


def _post_load(findings, now: datetime, suppress_owner_departed: bool, rules_extra: dict, hostile: bool):
    def step(conn, scan_id):
        stamp = iso(now)
        for rule_id, r in rules_extra.items():
            meta = {
                "id": rule_id,
                "title": r["title"],
                "severity": r["severity"],
                "property": r["property"],
                "description": r["description"],
                "risk": r["risk"],
                "remediation": r["remediation"],
                "params": {"max_age_days": {"default": 90, "value": 90}} if rule_id == "aws_access_key_old" else {},
                "frameworks": {"owasp_nhi": r["owasp"]},
            }
            conn.execute(
                "INSERT INTO scan_rule VALUES (?,?,?,?,?,?)",
                (scan_id, rule_id, r["title"], r["severity"], r["property"], json.dumps(meta)),
            )
        seen = set()
        for rule_id, resource_id, rtype, rname, reason in findings:
            fp = fingerprint(rule_id, resource_id)
            seen.add(fp)
            rule = rules_extra[rule_id]
            conn.execute(
                "INSERT INTO finding (fingerprint, rule_id, resource_id, resource_type, resource_name, provider, scope,"
                " severity, property, reason, evidence, status, first_seen, last_seen, first_scan, last_scan) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?, 'open', ?, ?, ?, ?) ON CONFLICT(fingerprint) DO UPDATE SET "
                "last_seen = excluded.last_seen, last_scan = excluded.last_scan, reason = excluded.reason, "
                "status = 'open', resolved_at = NULL, resolved_scan = NULL",
                (
                    fp,
                    rule_id,
                    resource_id,
                    rtype,
                    rname,
                    "aws",
                    ACCOUNT,
                    rule["severity"],
                    rule["property"],
                    reason,
                    json.dumps({"resource_name": rname}),
                    stamp,
                    stamp,
                    scan_id,
                    scan_id,
                ),
            )
            suppressed = suppress_owner_departed and rule_id == "owner_departed" and rname == "release-bot-deploy"
            conn.execute(
                "INSERT INTO finding_occurrence VALUES (?,?,?,?,?,?,?)",
                (
                    scan_id,
                    fp,
                    rule["severity"],
                    reason,
                    json.dumps({"resource_name": rname}),
                    int(suppressed),
                    json.dumps(
                        {
                            "owner": "dana.lee@northwind.example",
                            "expires": "2027-03-31",
                            "reason": "Migration to a new owner in progress",
                        }
                    )
                    if suppressed
                    else None,
                ),
            )
        conn.execute(
            "UPDATE finding SET status = 'resolved', resolved_at = ?, resolved_scan = ? "
            f"WHERE status = 'open' AND fingerprint NOT IN ({','.join('?' * len(seen))})",
            (stamp, scan_id, *seen),
        )
        if suppress_owner_departed:
            conn.execute(
                "INSERT INTO scan_suppression VALUES (?,?,?,?,?,?,?,?)",
                (
                    scan_id,
                    "owner_departed",
                    _arn("iam_role", "release-bot-deploy"),
                    "Migration to a new owner in progress",
                    "dana.lee@northwind.example",
                    "2027-03-31",
                    0,
                    1,
                ),
            )
            conn.execute(
                "INSERT INTO scan_suppression VALUES (?,?,?,?,?,?,?,?)",
                (
                    scan_id,
                    "aws_access_key_old",
                    "AKIA*",
                    "Legacy batch jobs" + (" " + HOSTILE_NAME if hostile else ""),
                    HOSTILE_TAG if hostile else "sam.ortiz@northwind.example",
                    "2026-10-01",
                    1,
                    0,
                ),
            )

    return step


CONFIG = Config(
    agents=[AgentConfig(name="ops-copilot", owner="dana.lee@northwind.example", identities=["*ops-copilot*"])]
)


def seed(db_path, *, hostile: bool = False, scans: int = 2, gcp_denied: bool = True) -> int:
    """Write ``scans`` (1 or 2) scans of the Northwind estate; returns the last scan id."""
    store = open_store(db_path)
    try:
        last = None
        for index in range(scans):
            second = index == 1
            now = T1 if second else T0
            batch, findings = estate(hostile, second)
            results = [
                ScopeResult(
                    "aws",
                    ACCOUNT,
                    "complete",
                    scope_name="northwind-management",
                    api_calls={"iam:GetAccountAuthorizationDetails": 1, "iam:GetCredentialReport": 2},
                    identities=len(batch.identities),
                    credentials=len(batch.credentials),
                    duration_ms=420,
                )
            ]
            if gcp_denied:
                results.append(
                    ScopeResult(
                        "gcp",
                        "nw-ml-prod",
                        "denied",
                        error_code="PERMISSION_DENIED",
                        message="iam.serviceAccounts.list denied",
                        api_calls={"iam.serviceAccounts.list": 1},
                    )
                )
            last = write_scan(
                store,
                started_at=now,
                finished_at=now + timedelta(seconds=5),
                results=results,
                batches={("aws", ACCOUNT): batch},
                operator="ci",
                post_load=[
                    lambda conn, scan_id: build_agents(conn, CONFIG, scan_id),
                    _post_load(findings, now, second, RULES, hostile),
                ],
            )
        return last
    finally:
        store.close()


def add_revocation(db_path) -> None:
    store = open_store(db_path)
    try:
        with store.transaction() as conn:
            rid = conn.execute(
                "INSERT INTO revocation (action, started_at, finished_at, operator, reason, dry_run, targets, status) "
                "VALUES ('revoke', '2026-11-28T10:00:00Z', '2026-11-28T10:00:04Z', 'dana.lee', ?, 0, ?, 'succeeded')",
                (f"Rogue agent {HOSTILE_NAME}", json.dumps(["--agent ops-copilot"])),
            ).lastrowid
            conn.execute(
                "INSERT INTO revocation_step (revocation_id, seq, provider, scope, target_type, target_id, "
                "action, reversible, status, executed_at) VALUES (?, 1, 'aws', ?, 'credential', "
                "'AKIANWOPSCOPILOT0001', 'deactivate_key', 1, 'done', '2026-11-28T10:00:02Z')",
                (rid, ACCOUNT),
            )
    finally:
        store.close()
