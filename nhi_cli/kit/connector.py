"""The connector interface: what a source of non-human identities implements.

A connector is small: ``scopes(ctx)`` lists what it can scan (accounts, projects, tenants,
orgs, files) and ``collect(ctx, scope)`` returns a normalised :class:`Batch` for one scope.
Follow get -> transform -> load: ``get_*`` functions call the real SDK and paginate,
``transform_*`` functions are pure and fail loudly on a missing required field, and only the
store loads. Provider SDKs are imported lazily inside the connector so `nhi --help` stays fast.

Failures are exceptions, never empty results: raise :class:`ScopeDenied` for a permission
error, :class:`ScopeFailed` for an outage or throttling that retries did not clear, and call
``ctx.gap(...)`` for a part of a scope that could not be read (the scope is then ``partial``).
The two are siblings under :class:`ScopeError`: ``except ScopeDenied`` sees refusals only,
``except ScopeError`` sees both. connectors/README.md is the recipe for a new connector.

Revocation goes back to the provider through the connector that owns the credential:
``revoke_kinds`` says which identity/credential kinds it can revoke, ``plan_revoke`` turns an
inventory row into ordered :class:`RevokeStep` s (reversible ones first), ``execute_step``
acts and reads the state back, and ``restore_step`` undoes a reversible step.

The revoke contract (nhi_cli/revoke/ drives it; see connectors/aws/revoke.py for a full one):

- ``plan_revoke(ctx, target, options)`` makes NO provider call. ``target`` is a dict built from
  the inventory: ``type`` ("identity" or "credential"), ``id``, ``provider``, ``scope``,
  ``kind``, ``name``, ``attrs`` (dict), ``status``/``enabled``; an identity also carries
  ``credentials`` (its credential rows, each with id, kind, status, key_id, attrs); a credential
  carries ``identity`` (its identity row, or None). ``options``: ``delete`` (also delete keys
  or secrets: irreversible), ``block_assume`` (also stop new sessions), plus provider extras.
  Revoking an identity covers all its credentials and sessions. Steps come back in execution
  order, reversible first; ``params`` must be JSON-serialisable (plans are written to files).
- ``execute_step`` acts, reads the state back, and returns ``done`` / ``already_done`` (nothing
  to change: re-runs are idempotent) / ``failed`` (``error`` = the provider's code and message)
  / ``skipped``; it never raises for a provider error. ``restore_data`` is what restore needs
  (e.g. the old trust policy); ``inventory`` optionally maps a credential id to the status the
  provider now reports (``inactive``, ``revoked``) so the inventory reflects it before the
  next scan. ``ctx.now`` is the execution time (not the plan's).
- ``restore_step`` is called only for reversible steps whose revoke was ``done``, with
  ``step.restore_data`` as recorded; same outcome statuses.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast

from pydantic import BaseModel, ConfigDict

from nhi_cli.model import KEEPS_RECORDS, Batch, Scope


class ConnectorSettings(BaseModel):
    """Settings every connector accepts under ``providers.<name>`` in nhi.yaml."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    endpoint: str | None = None  # sovereign clouds, GitHub Enterprise Server, proxies, fakes
    max_workers: int = 4
    timeout: float = 30.0


class ScopeError(Exception):
    """A scope (or a part of one) could not be read. Raise one of the two subclasses; catch
    this one where a refusal and an outage are handled alike (an optional source's gap)."""

    status = "error"

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message or code


class ScopeDenied(ScopeError):
    """The provider refused: the scope is recorded as ``denied`` with the provider's code."""

    status = "denied"


class ScopeFailed(ScopeError):
    """Outage, throttling that did not clear, malformed answer: the scope is ``error``."""

    status = "error"


class AuthFailed(ScopeFailed):
    """No usable credentials for the provider at all."""


@dataclass(frozen=True)
class ScanOptions:
    """Choices for one run that come from the command line rather than nhi.yaml.

    A connector reads its own fields (``ctx.options.aws_org``); a new flag is a new field here,
    typed and documented, never a key in a dict. The same object reaches scan and revoke."""

    aws_profile: str | None = None  # --profile: a profile of the standard boto3 chain
    aws_org: bool = False  # --aws-org: scan every active account of the AWS Organization
    mcp_paths: tuple[str, ...] = ()  # --mcp-path: MCP config files or folders to read
    owner_tags: tuple[str, ...] = ()  # owner_tags in nhi.yaml: tag names that name an owner


T = TypeVar("T")


class ScanCache:
    """One connector's memo for one scan (or one revoke command), shared by every scope.

    Settings hold configuration and connector instances hold nothing, so whatever a scan
    computes once and reuses across scopes lives here: AWS managed-policy documents, the GCP
    folder ancestry, the Azure credential with its token cache, revoke's clients."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: str, make: Callable[[], T]) -> T:
        """The value under ``key``, made by ``make()`` the first time. ``make`` runs under the
        cache's lock, so it must be quick (a dict, a lock, a memo object), never an API call."""
        with self._lock:
            if key not in self._values:
                self._values[key] = make()
            # each key is only ever made by one caller's ``make``, so its value is that T
            return cast(T, self._values[key])


@dataclass
class CollectContext:
    """What travels with one connector through one scan (or one revoke)."""

    now: datetime
    settings: Any  # the connector's Settings model instance
    secret_salt: str = ""
    calls: Counter[str] = field(default_factory=Counter)
    gaps: list[dict[str, str]] = field(default_factory=list)
    cancel: threading.Event = field(default_factory=threading.Event)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("nhi"))
    options: ScanOptions = field(default_factory=ScanOptions)  # command-line choices of this run
    cache: ScanCache = field(default_factory=ScanCache)  # per-scan memo, shared by every scope
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, call: str, n: int = 1) -> None:
        with self._lock:
            self.calls[call] += n

    def gap(self, what: str, code: str, message: str = "", *, records_missing: bool = False) -> None:
        """Record a part of the scope that could not be read: the scope becomes ``partial``.

        ``records_missing``: the unread part yields records of its own (a forbidden list of
        token secrets), so records of earlier scans that are absent now may still exist and
        are not marked removed (the store reads the gap's ``keeps`` key)."""
        gap = {"what": what, "code": code, "message": message}
        if records_missing:
            gap["keeps"] = KEEPS_RECORDS
        with self._lock:
            self.gaps.append(gap)

    def for_scope(self) -> CollectContext:
        """A fresh counter and gap list for one scope, sharing settings, options, cache and
        cancel flag."""
        return CollectContext(
            now=self.now,
            settings=self.settings,
            secret_salt=self.secret_salt,
            cancel=self.cancel,
            log=self.log,
            options=self.options,
            cache=self.cache,
        )


@dataclass
class RevokeStep:
    """One action of a revocation plan, in the order it will run."""

    provider: str
    scope: str
    target_type: str  # credential, identity
    target_id: str
    action: str  # deactivate_key, deny_all_policy, delete_login_profile, ...
    description: str  # what a person reads in the plan
    reversible: bool
    params: dict[str, Any] = field(default_factory=dict)  # what execute needs
    restore_data: dict[str, Any] | None = None  # filled in by execute_step: what restore needs


@dataclass
class StepOutcome:
    status: str  # done, already_done, failed, skipped
    error: str | None = None
    restore_data: dict[str, Any] | None = None
    inventory: dict[str, str] = field(default_factory=dict)  # credential id -> status now (optional)


class Connector:
    name: ClassVar[str]
    Settings: ClassVar[type[ConnectorSettings]] = ConnectorSettings
    # identity or credential kind -> the actions a revoke of it runs
    revoke_kinds: ClassVar[dict[str, list[str]]] = {}

    def scopes(self, ctx: CollectContext) -> list[Scope]:
        raise NotImplementedError

    def collect(self, ctx: CollectContext, scope: Scope) -> Batch:
        raise NotImplementedError

    # --- revoke -------------------------------------------------------------------------
    def plan_revoke(self, ctx: CollectContext, target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
        raise NotImplementedError(f"{self.name} cannot revoke")

    def execute_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        raise NotImplementedError

    def restore_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        raise NotImplementedError

    def caller_identity(self, ctx: CollectContext) -> str | None:
        """The principal this connector's revoke calls are signed as (an ARN, an app id), for
        the revocation log; None when the provider cannot say. Asked after the steps ran."""
        return None

    # --- demo ---------------------------------------------------------------------------
    @classmethod
    def demo(cls, stack: ExitStack, estate: Path, now: datetime) -> dict[str, Any] | None:
        """Start this provider's local fake for the demo estate (closed by ``stack``) and
        return the settings that point the real connector at it; None if no demo."""
        return None
