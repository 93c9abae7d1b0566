"""aws_role_chain_to_admin starts no walk at an administrator and goes on from no administrator
role (without those cuts, administrator roles that may assume many roles made the walk
enumerate every path through them: millions of rows at 1,000 accounts). The cuts change no
finding: on random multi-account role graphs (administrators, escalation-capable roles,
conditional hops, cycles), the rule gives exactly what the same query without the cuts gives."""

from __future__ import annotations

import random
from pathlib import Path

import nhi_cli.rules
from nhi_cli.rules.testing import DEFAULT_NOW, Case, load_case, sqlite_case_db

RULE = Path(nhi_cli.rules.__file__).parent / "builtin" / "aws_role_chain_to_admin" / "rule.sql"
CUT_START = (
    "\n      AND NOT EXISTS (SELECT 1 FROM effective_permission a "
    "WHERE a.identity_id = e.identity_id AND a.kind = 'admin')"
)
CUT_ADMIN = (
    "\n      AND NOT EXISTS (SELECT 1 FROM effective_permission a WHERE a.identity_id = c.node AND a.kind = 'admin')"
)


def _estate(rng: random.Random) -> dict:
    accounts = ["111111111111", "222222222222", "333333333333"]
    identities, grants, trusts = [], [], []
    roles = [f"arn:aws:iam::{a}:role/r{i}" for a in accounts for i in range(6)]
    users = [f"arn:aws:iam::{a}:user/u{i}" for a in accounts for i in range(3)]
    for arn in users + roles:
        identities.append({"id": arn, "kind": "iam_role" if ":role/" in arn else "iam_user"})
        pick = rng.random()
        if pick < 0.15:
            grants.append({"identity_id": arn, "action": "*", "is_admin": 1, "is_full_wildcard": 1})
        elif pick < 0.3:
            grants.append({"identity_id": arn, "action": "iam:AttachUserPolicy"})
        if rng.random() < 0.7:
            grants.append({"identity_id": arn, "action": "sts:AssumeRole", "resource": rng.choice(["*", *roles])})
    for role in roles:
        for _ in range(rng.choice((1, 2))):
            trusted = rng.choice(users + roles)
            trust = {"identity_id": role, "principal_type": "principal", "principal": trusted}
            trust["principal_account"] = trusted.split(":")[4]
            if rng.random() < 0.2:
                trust["conditions"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
            trusts.append(trust)
    return {"identity": identities, "grant": grants, "trust": trusts}


def _findings(sql: str, rows: dict) -> set[tuple]:
    with sqlite_case_db() as conn:
        load_case(conn, Case(name="graph", expect="pass", resource="-", rows=rows), DEFAULT_NOW)
        return {tuple(r[:6]) for r in conn.execute(sql, {"max_hops": 5}).fetchall()}


def test_the_cuts_change_no_finding():
    cut = RULE.read_text(encoding="utf-8")
    assert CUT_START in cut and CUT_ADMIN in cut
    uncut = cut.replace(CUT_START, "").replace(CUT_ADMIN, "")
    found = 0
    for seed in range(12):
        rows = _estate(random.Random(seed))
        expected = _findings(uncut, rows)
        assert _findings(cut, rows) == expected, f"seed {seed}"
        found += len(expected)
    assert found > 20  # the graphs do have chains
