"""GetAccountAuthorizationDetails pagination over the wire.

moto ignores MaxItems/Marker and always answers GAAD in one page, so a tiny WSGI middleware in
front of moto's app plays AWS's paging: the first GAAD request (no Marker) gets the first half
of every detail list with IsTruncated=true and a Marker; the request carrying that Marker gets
the second half. Everything else passes through to moto untouched. This fakes the AWS wire
protocol; nhi's code runs as shipped."""

from __future__ import annotations

import io
import sqlite3
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from aws_helpers import iam_calls, scan_json, write_config

from nhi_connectors.aws import fake
from tests.moto_wsgi import serve_moto

ACCOUNT = "123456789012"
MARKER = "nhi-test-page-2"
LISTS = ("UserDetailList", "RoleDetailList", "GroupDetailList", "Policies")
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _split_page(body: bytes, marker: str | None) -> bytes:
    """moto's single GAAD answer -> page 1 (no marker) or page 2 (our marker) of two."""
    root = ET.fromstring(body)
    ns = root.tag[1:].split("}")[0]
    ET.register_namespace("", ns)
    result = root.find(f"{{{ns}}}GetAccountAuthorizationDetailsResult")
    for name in LISTS:
        container = result.find(f"{{{ns}}}{name}")
        members = list(container) if container is not None else []
        half = len(members) // 2
        for member in members[half:] if marker is None else members[:half]:
            container.remove(member)
    truncated = result.find(f"{{{ns}}}IsTruncated")
    truncated.text = "true" if marker is None else "false"
    if marker is None:
        ET.SubElement(result, f"{{{ns}}}Marker").text = MARKER
    return ET.tostring(root, encoding="utf-8")


class PagingMiddleware:
    """WSGI app wrapping moto's: pages GAAD in two and records each GAAD request's Marker."""

    def __init__(self, app):
        self.app = app
        self.gaad_markers: list[str | None] = []
        self.between_pages = None  # called once page 1 is built: the account changing mid-scan

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        params = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if params.get("Action") != ["GetAccountAuthorizationDetails"]:
            return self.app(environ, start_response)
        marker = params.get("Marker", [None])[0]
        self.gaad_markers.append(marker)
        assert marker in (None, MARKER), f"unexpected Marker {marker!r}"
        captured = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers)

        answer = b"".join(self.app(environ, capture))
        if captured["status"].startswith("200"):
            answer = _split_page(answer, marker)
            if marker is None and self.between_pages:
                self.between_pages()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(answer)))])
        return [answer]


@pytest.fixture
def paging_moto():
    """moto's WSGI app behind the paging middleware on an OS-chosen loopback port."""
    with serve_moto(PagingMiddleware) as (url, middleware):
        yield url, middleware


def _seed(now) -> tuple[set[str], set[str]]:
    """Five users and four roles; the one group and the one customer policy land on page 2
    while some of their members are on page 1, so joins across pages are exercised too."""
    be = fake.iam_backend(ACCOUNT)
    be.create_group("deployers", "/")
    be.put_group_policy(
        "deployers",
        "deploy",
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:UpdateService","Resource":"*"}]}',
    )
    be.create_policy(
        "",
        "/",
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}',
        "ci-artifacts",
        [],
    )
    users = {f"svc-{i}" for i in range(5)}
    for name in sorted(users):
        fake.add_user(be, {"name": name, "groups": ["deployers"]}, now)
        fake.add_access_key(be, name, now, age_days=5)
    roles = {f"role-{i}" for i in range(4)}
    for name in sorted(roles):
        fake.add_role(be, {"name": name, "trust": TRUST, "managed_policies": ["ci-artifacts"]}, now)
    return users, roles


def test_every_gaad_page_lands_in_the_inventory(nhi, tmp_path, paging_moto, now):
    url, middleware = paging_moto
    users, roles = _seed(now)
    result, out = scan_json(nhi, write_config(tmp_path / "nhi.yaml", url, access_key_ids=False))
    assert result.code == 0, result.err
    assert middleware.gaad_markers == [None, MARKER]  # the second request followed the Marker
    assert iam_calls(out["scopes"][0])["iam:GetAccountAuthorizationDetails"] == 2
    conn = sqlite3.connect("nhi.db")
    try:
        names = dict(conn.execute("SELECT name, kind FROM v_identities").fetchall())
        group_grants = {
            r[0] for r in conn.execute("SELECT identity_name FROM v_grants WHERE action = 'ecs:UpdateService'")
        }
        policy_grants = {r[0] for r in conn.execute("SELECT identity_name FROM v_grants WHERE action = 's3:PutObject'")}
        keys = conn.execute("SELECT COUNT(*) FROM v_credentials").fetchone()[0]
    finally:
        conn.close()
    assert set(names) == users | roles  # users and roles from both pages
    # the group (page 2) and the customer policy (page 2) reach members listed on page 1
    assert group_grants == users and policy_grants == roles
    assert keys == 5


def test_group_and_policy_deleted_between_pages_are_gaps_not_a_crash(nhi, tmp_path, paging_moto, now):
    """GAAD pages are not a snapshot. A group and a customer policy deleted after page 1 (whose
    users and roles still name them) and before page 2 (where they would have been listed)
    are missing from the merged answer. The account still loads, marked partial with the
    reasons; the attachment stays visible as an unresolved grant; the scan does not crash."""
    url, middleware = paging_moto
    users, roles = _seed(now)
    be = fake.iam_backend(ACCOUNT)
    policy_arn = f"arn:aws:iam::{ACCOUNT}:policy/ci-artifacts"

    def delete_group_and_policy():
        for name in users:
            be.remove_user_from_group("deployers", name)
        be.delete_group_policy("deployers", "deploy")
        be.delete_group("deployers")
        for name in roles:
            be.detach_role_policy(policy_arn, name)
        be.delete_policy(policy_arn)

    middleware.between_pages = delete_group_and_policy
    result, out = scan_json(nhi, write_config(tmp_path / "nhi.yaml", url, access_key_ids=False))
    assert result.code == 0, result.err
    scope = out["scopes"][0]
    assert scope["status"] == "partial"
    gaps = {g["code"]: g["message"] for g in scope["gaps"]}
    assert set(gaps) == {"GroupNotListed", "PolicyNotListed"}
    assert "deployers" in gaps["GroupNotListed"] and policy_arn in gaps["PolicyNotListed"]
    conn = sqlite3.connect("nhi.db")
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM v_identities")}
        group_grants = conn.execute("SELECT COUNT(*) FROM v_grants WHERE action = 'ecs:UpdateService'").fetchone()[0]
        unresolved = {
            r[0]
            for r in conn.execute("SELECT identity_name FROM v_grants WHERE source = ? AND action = '?'", (policy_arn,))
        }
    finally:
        conn.close()
    assert names == users | roles
    assert group_grants == 0  # the group is gone: nothing is granted through it any more
    assert unresolved == {"role-0", "role-1"}  # the roles listed on page 1, before the delete
