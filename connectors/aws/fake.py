"""The AWS side of `nhi scan --demo`: moto's server on loopback, seeded from estate data.

Seeding reaches into moto's in-process backend (the server thread shares this process's
memory) instead of making thousands of API calls: it is ~50x faster and lets the demo
backdate keys, set last-used times and give keys deterministic ids (the rogue agent's key
must be AKIANWOPSCOPILOT0001 wherever it appears). These are moto internals, so moto is
pinned (>=5.2,<5.3). Tests and benchmarks use the same helpers.

Only the demo imports moto: it is an optional dependency (``pip install nhi-cli[demo]``).

What nhi sends is checked too (fake_contract.py): an undeclared parameter or a page size
outside the model's range is the ValidationError the real IAM or STS answers.

Checked against: botocore's own IAM service model (iam 2010-05-08, shipped with the botocore
boto3 installs): tests/fidelity/test_vendor_models.py validates what moto answers to the three
per-account calls and the recorded fixtures/aws/account.json against its output shapes, and the
credential report's columns against the IAM User Guide's list (botocore models it as a blob).
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.request
from contextlib import ExitStack
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from wsgiref.types import WSGIApplication

import yaml

from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.kit.demo import fake_aws_credentials

from . import ai_fake
from .ai_fake import AiFake
from .ai_seed import seed_ai
from .fake_contract import refuse_what_aws_refuses

if TYPE_CHECKING:  # moto (typed, an optional dependency) loads when the demo or a test starts it
    from moto.iam.models import AccessKey, IAMBackend, Role, User

REGION = "us-east-1"


# --- the server ------------------------------------------------------------------------------
def moto_app() -> WSGIApplication:
    """moto's WSGI app behind the AI-platform fake (ai_fake.py), which answers the operations
    moto does not implement and passes every other request through, behind fake_contract's
    checks (a request the real IAM or STS would refuse is refused first)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return refuse_what_aws_refuses(AiFake(DomainDispatcherApplication(create_backend_app)))


def start_server(stack: ExitStack) -> str:
    """moto (+ the AI-platform fake) on 127.0.0.1 with an OS-chosen port, fresh state; stopped
    by ``stack``."""
    try:
        server_class = _checked_server_class()
    except ImportError:
        raise NhiError("the AWS demo needs moto: pip install 'nhi-cli[demo]'", ExitCode.CANNOT_RUN) from None
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # verbose=False does not silence it
    server = server_class(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    stack.callback(server.stop)
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # Backends are process-wide: start from nothing even if an earlier demo ran in this process.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()

    ai_fake.reset()
    return url


def _checked_server_class() -> type[Any]:
    """moto's threaded server with its app behind fake_contract's checks and the AI-platform
    fake (moto_app): a request the real IAM or STS would refuse is refused before moto sees it."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from moto.server import ThreadedMotoServer
    from werkzeug.serving import make_server

    class CheckedMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:  # moto's own, with the app wrapped (moto is pinned <5.3)
            app = moto_app()
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    return CheckedMotoServer


# --- backend reach-in ------------------------------------------------------------------------
def iam_backend(account_id: str) -> IAMBackend:
    from moto.backends import get_backend

    backend: IAMBackend = get_backend("iam")[account_id]["global"]
    return backend


@lru_cache(maxsize=1)
def _moto_aws_policies() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    policies: dict[str, Any] = json.loads(aws_managed_policies_data)
    return policies


def ensure_aws_policy(be: IAMBackend, arn: str) -> None:
    """Load one AWS managed policy into an account (moto loads none unless told to load all)."""
    if arn in be.managed_policies or ":iam::aws:policy/" not in arn:
        return
    from moto.iam.models import AWSManagedPolicy

    name = arn.rsplit("/", 1)[1]
    data = _moto_aws_policies().get(name)
    if data is None:
        raise ValueError(f"unknown AWS managed policy {arn}")
    policy = AWSManagedPolicy.from_data(name, be.account_id, REGION, data)
    be.managed_policies[policy.arn] = policy
    be.aws_managed_policies.append(policy)


def _policy_arn(be: IAMBackend, ref: str) -> str:
    """``arn:...`` as is; a bare name means a customer policy of this account."""
    return ref if ref.startswith("arn:") else f"arn:aws:iam::{be.account_id}:policy/{ref}"


def _attach(be: IAMBackend, kind: str, name: str, spec: dict[str, Any]) -> None:
    for ref in spec.get("managed_policies", []):
        arn = _policy_arn(be, ref)
        ensure_aws_policy(be, arn)
        getattr(be, f"attach_{kind}_policy")(arn, name)
    for policy_name, document in (spec.get("inline_policies") or {}).items():
        getattr(be, f"put_{kind}_policy")(name, policy_name, json.dumps(document))


def _tags(spec: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": str(v)} for k, v in (spec.get("tags") or {}).items()]


def rekey_access_key(be: IAMBackend, key: AccessKey, new_id: str) -> None:
    be.access_keys.pop(key.access_key_id, None)
    key.access_key_id = new_id
    be.access_keys[new_id] = key


def add_access_key(
    be: IAMBackend,
    user_name: str,
    now: datetime,
    *,
    key_id: str | None = None,
    age_days: float = 0,
    last_used_days_ago: float | None = None,
    service: str = "sts",
    active: bool = True,
) -> AccessKey:
    from moto.iam.models import AccessKeyLastUsed

    key = be.create_access_key(user_name, status="Active" if active else "Inactive")
    if key_id:
        rekey_access_key(be, key, key_id)
    key.create_date = now - timedelta(days=age_days)
    if last_used_days_ago is not None:
        key.last_used = AccessKeyLastUsed(
            timestamp=now - timedelta(days=last_used_days_ago), service=service, region=REGION
        )
    return key


def stable_id(prefix: str, account_id: str, name: str) -> str:
    """A unique id that is the same on every demo run (moto draws random ones), so two demo
    scans differ only where the estate did."""
    return prefix + hashlib.sha1(f"{account_id}/{name}".encode()).hexdigest()[:17].upper()


def add_user(be: IAMBackend, spec: dict[str, Any], now: datetime) -> User:
    name = spec["name"]
    user = be.create_user(REGION, name, spec.get("path", "/"), _tags(spec))
    user.id = stable_id("AIDA", be.account_id, name)
    user.create_date = now - timedelta(days=spec.get("created_days_ago", 0))
    if spec.get("console_password"):
        be.create_login_profile(name, spec["console_password"])
    if spec.get("mfa"):
        be.enable_mfa_device(name, f"arn:aws:iam::{be.account_id}:mfa/{name}", "123456", "654321")
    for group in spec.get("groups", []):
        be.add_user_to_group(group, name)
    _attach(be, "user", name, spec)
    for key in spec.get("access_keys", []):
        add_access_key(
            be,
            name,
            now,
            key_id=key.get("id"),
            age_days=key.get("age_days", 0),
            last_used_days_ago=key.get("last_used_days_ago"),
            service=key.get("service", "sts"),
            active=key.get("status", "Active") == "Active",
        )
    return user


def add_role(be: IAMBackend, spec: dict[str, Any], now: datetime) -> Role:
    name = spec["name"]
    role = be.create_role(
        name, json.dumps(spec["trust"]), spec.get("path", "/"), None, spec.get("description", ""), _tags(spec), None
    )
    be.roles.pop(role.id)  # moto keys roles by their (random) id
    role.id = stable_id("AROA", be.account_id, name)
    be.roles[role.id] = role
    role.create_date = now - timedelta(days=spec.get("created_days_ago", 0))
    if spec.get("last_used_days_ago") is not None:
        role.last_used = now - timedelta(days=spec["last_used_days_ago"])
        # moto leaves Role.last_used_region unannotated, so its type is inferred as None; IAM
        # answers a region name there, which moto serializes as given
        role.last_used_region = REGION  # type: ignore[assignment]
    _attach(be, "role", name, spec)
    if spec.get("instance_profile"):  # an EC2 role: instances launched with the profile run as it
        be.create_instance_profile(name, spec.get("path", "/"), [name])
    return role


def seed_account(account_id: str, spec: dict[str, Any], now: datetime) -> None:
    be = iam_backend(account_id)
    for policy in spec.get("policies", []):
        be.create_policy(
            policy.get("description", ""), policy.get("path", "/"), json.dumps(policy["document"]), policy["name"], []
        )
    for provider in spec.get("oidc_providers", []):
        be.create_open_id_connect_provider(
            provider["url"],
            provider.get("thumbprints", ["0" * 40]),
            provider.get("client_ids", ["sts.amazonaws.com"]),
            [],
        )
    for group in spec.get("groups", []):
        be.create_group(group["name"], group.get("path", "/"))
        _attach(be, "group", group["name"], group)
    for user in spec.get("users", []):
        add_user(be, user, now)
    for role in spec.get("roles", []):
        add_role(be, role, now)


# --- the estate ------------------------------------------------------------------------------
def load_estate(folder: Path) -> dict[str, Any]:
    """estate.yaml with ``${account:NAME}`` replaced by that account's id everywhere."""
    text = (folder / "estate.yaml").read_text(encoding="utf-8")
    estate = yaml.safe_load(text)
    for account in estate["accounts"]:
        text = text.replace(f"${{account:{account['name']}}}", str(account["id"]))
    replaced: dict[str, Any] = yaml.safe_load(text)
    return replaced


def create_organization(url: str, accounts: list[dict[str, Any]]) -> None:
    """An Organization whose member accounts have the estate's fixed ids (moto draws random
    ones; the demo re-keys them so the story's account ids are stable)."""
    import boto3
    from moto.backends import get_backend

    management = accounts[0]
    org = boto3.client("organizations", endpoint_url=url, region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    backend = get_backend("organizations")[str(management["id"])]["global"]
    for account in accounts[1:]:
        org.create_account(AccountName=account["name"], Email=account["email"])
        fake = next(a for a in backend.accounts if a.name == account["name"])
        fake.id = str(account["id"])
        if account.get("status", "ACTIVE") != "ACTIVE":
            fake.status = account["status"]


def start_demo(stack: ExitStack, folder: Path, now: datetime) -> dict[str, Any]:
    estate = load_estate(folder)
    url = start_server(stack)
    fake_aws_credentials(stack)
    create_organization(url, estate["accounts"])

    for account in estate["accounts"]:
        seed_account(str(account["id"]), account, now)
        if account.get("ai"):
            seed_ai(str(account["id"]), account["ai"], now)
    return {"endpoint": url, "org": True}
