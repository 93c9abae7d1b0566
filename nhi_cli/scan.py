"""Running a scan: every enabled connector, every scope, concurrently with a bound.

Collection happens first and writes nothing; the store is written once, atomically, at the
end (see store/load.py). Ctrl-C while collecting therefore leaves the inventory untouched.
"""

from __future__ import annotations

import getpass
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nhi_cli import extras
from nhi_cli.config import Config
from nhi_cli.detect import next_step
from nhi_cli.errors import ConfigError, ExitCode, NhiError
from nhi_cli.kit import registry
from nhi_cli.kit.connector import AuthFailed, CollectContext, Connector, ScanOptions, ScopeError
from nhi_cli.kit.secrets import unexpected_error
from nhi_cli.model import Batch, Scope, ScopeResult, utcnow
from nhi_cli.pool import bounded_map
from nhi_cli.shards import Shard
from nhi_cli.store.interface import Inventory
from nhi_cli.store.load import PostLoad, write_scan


@dataclass
class ScanPlanEntry:
    name: str
    connector: Connector
    settings: Any


def plan_scan(config: Config, only: list[str] | None = None) -> list[ScanPlanEntry]:
    """The enabled connectors of ``config``, or only those named."""
    unknown = sorted(set(only or []) - set(config.providers))
    if unknown:
        raise ConfigError(
            f"--provider {', '.join(unknown)}: not configured; configured providers: "
            f"{', '.join(config.providers) or 'none'}"
        )
    plan = []
    for name in config.providers:
        if only and name not in only:
            continue
        connector, settings = registry.connector_for(config, name)
        if settings.enabled:
            extras.require(name)  # its SDK: one line naming the extra to install, before any call
            plan.append(ScanPlanEntry(name=name, connector=connector, settings=settings))
    return plan


@dataclass
class ScanOutcome:
    scan_id: int
    results: list[ScopeResult]
    started_at: datetime
    batches: dict[tuple[str, str], Batch] = field(default_factory=dict, repr=False)  # (provider, scope)

    def coverage_line(self) -> str | None:
        """The scan's last line when its coverage is not whole: a reader of a CI log must not
        take a clean-looking summary for a clean estate. None when every scope is complete."""
        partial = [r for r in self.results if r.status == "partial"]
        failed = [r for r in self.results if not r.loaded]
        if not partial and not failed:
            return None
        total = len(self.results)

        def names(rows: list[ScopeResult]) -> str:
            shown = ", ".join(f"{r.provider}:{r.scope}" for r in rows[:5])
            return shown + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")

        parts = []
        if failed:
            parts.append(f"{len(failed)} of {total} scopes not read ({names(failed)}): their earlier records kept")
        if partial:
            parts.append(f"{len(partial)} of {total} scopes partial ({names(partial)}): some of their APIs unreadable")
        return (
            f"nhi: coverage {'incomplete' if failed else 'partial'}: "
            + "; ".join(parts)
            + "; findings there may be missing (see the Scopes table)"
        )

    @property
    def complete(self) -> bool:
        """No scope denied or failed. A partial scope (an optional API such as sign-in logs
        was unreadable) is reported as a gap but does not make the scan incomplete."""
        return all(r.loaded for r in self.results)


def operator_name() -> str:
    """Who ran this, from the environment (CI systems set one of these)."""
    for var in ("NHI_OPERATOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "USER", "USERNAME"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


class ScanProgress:
    """What a scan reports as it goes; these do nothing, the CLI renders them (cli/progress.py).
    Called from worker threads: implementations must be thread-safe."""

    def listing_scopes(self, provider: str) -> None:
        """``provider`` is listing its scopes (accounts of an Organization, projects)."""

    def scopes_listed(self, provider: str, scopes: list[Scope]) -> None:
        """``provider`` will scan these scopes (none when listing them failed)."""

    def scope_started(self, provider: str, scope: Scope) -> None:
        """A worker began collecting ``scope``."""

    def scope_done(self, provider: str, scope: Scope, result: ScopeResult) -> None:
        """``scope`` finished, whatever its status."""


ScopeCallback = Callable[[str, Scope, ScopeResult], None]


class _CallbackProgress(ScanProgress):
    """A plain ``fn(provider, scope, result)`` called when each scope finishes."""

    def __init__(self, fn: ScopeCallback) -> None:
        self.fn = fn

    def scope_done(self, provider: str, scope: Scope, result: ScopeResult) -> None:
        self.fn(provider, scope, result)


def _as_progress(progress: ScanProgress | ScopeCallback | None) -> ScanProgress:
    if progress is None:
        return ScanProgress()
    return progress if isinstance(progress, ScanProgress) else _CallbackProgress(progress)


UNEXPECTED = "unexpected_error"  # error code of a scope whose collect raised something unforeseen


def _collect_scope(
    entry: ScanPlanEntry, base: CollectContext, scope: Scope, progress: ScanProgress
) -> tuple[ScopeResult, Batch]:
    ctx = base.for_scope()
    progress.scope_started(entry.name, scope)
    start = time.monotonic()
    batch = Batch()
    try:
        batch = entry.connector.collect(ctx, scope)
        gaps = ctx.gaps + batch.gaps
        result = ScopeResult(entry.name, scope.id, "partial" if gaps else "complete", scope_name=scope.name, gaps=gaps)
    except ScopeError as exc:  # denied or error, as the exception says
        result = ScopeResult(
            entry.name,
            scope.id,
            exc.status,
            scope_name=scope.name,
            error_code=exc.code,
            message=exc.message,
            gaps=ctx.gaps,
        )
    except Exception as exc:  # noqa: BLE001 - one scope's surprise never aborts the other scopes
        # A connector bug or an answer no transform foresaw: the scope failed (its earlier
        # records stay as they were), the scan goes on and exits 3.
        batch = Batch()
        result = ScopeResult(
            entry.name,
            scope.id,
            "error",
            scope_name=scope.name,
            error_code=UNEXPECTED,
            message=unexpected_error(exc, 300),
            gaps=ctx.gaps,
        )
    result.api_calls = dict(ctx.calls)
    result.duration_ms = int((time.monotonic() - start) * 1000)
    result.identities = len(batch.identities)
    result.credentials = len(batch.credentials)
    progress.scope_done(entry.name, scope, result)
    return result, batch


AUTH_GAP = "auth"  # the gap code of a provider whose credentials were refused or missing


def failed_to_authenticate(result: ScopeResult) -> bool:
    return result.scope == "*" and any(gap["code"] == AUTH_GAP for gap in result.gaps)


def with_next_step(result: ScopeResult, aws_profile: str | None = None) -> str:
    """The result's message, followed by what to do when it is an authentication failure."""
    message = result.message or ""
    hint = next_step(result.provider, result.error_code, result.message, aws_profile=aws_profile)
    return f"{message}; next: {hint}" if hint else message


def auth_failure_message(results: list[ScopeResult], aws_profile: str | None = None) -> str:
    """One line for a scan none of whose providers could authenticate."""
    if len(results) == 1:
        return f"could not authenticate to {results[0].provider}: {with_next_step(results[0], aws_profile)}"
    return "could not authenticate to any provider: " + "; ".join(
        f"{r.provider}: {with_next_step(r, aws_profile)}" for r in results
    )


def collect_all(
    plan: list[ScanPlanEntry],
    *,
    now: datetime,
    salt: str,
    options: ScanOptions,
    cancel: threading.Event,
    progress: ScanProgress | ScopeCallback | None = None,
    max_scopes: int = 20,
    shard: Shard | None = None,
) -> tuple[list[ScopeResult], dict[tuple[str, str], Batch]]:
    """Collect every scope of every connector (only the shard's, given one); returns (results,
    batches). Up to ``max_scopes`` scopes are in flight at once: collection waits on the
    network far more than it computes, so an Organization's 20 accounts all run together
    (with 8 at a time, a 20-account scan behind 100 ms per call took three rounds)."""
    progress = _as_progress(progress)
    results: list[ScopeResult] = []
    batches: dict[tuple[str, str], Batch] = {}
    work: list[tuple[ScanPlanEntry, CollectContext, Scope]] = []
    listed: dict[str, tuple[CollectContext, list[Scope]]] = {}  # for after_collect
    discovery: dict[str, dict[str, int]] = {}  # calls made while listing scopes (organizations:ListAccounts)
    for entry in plan:
        base = CollectContext(now=now, settings=entry.settings, secret_salt=salt, cancel=cancel, options=options)
        progress.listing_scopes(entry.name)
        try:
            scopes = entry.connector.scopes(base)
        except ScopeError as exc:
            code = AUTH_GAP if isinstance(exc, AuthFailed) else exc.code
            results.append(
                ScopeResult(
                    entry.name,
                    "*",
                    exc.status,
                    error_code=exc.code,
                    message=exc.message,
                    api_calls=dict(base.calls),
                    gaps=[{"what": "scopes", "code": code, "message": exc.message}],
                )
            )
            progress.scopes_listed(entry.name, [])
            continue
        except Exception as exc:  # noqa: BLE001 - an unforeseen answer while listing scopes: this provider's gap
            message = unexpected_error(exc, 300)
            results.append(
                ScopeResult(
                    entry.name,
                    "*",
                    "error",
                    error_code=UNEXPECTED,
                    message=message,
                    api_calls=dict(base.calls),
                    gaps=[{"what": "scopes", "code": UNEXPECTED, "message": message}],
                )
            )
            progress.scopes_listed(entry.name, [])
            continue
        if shard is not None:
            scopes = [scope for scope in scopes if shard.owns(entry.name, scope.id)]
        progress.scopes_listed(entry.name, scopes)
        work.extend((entry, base, scope) for scope in scopes)
        listed[entry.name] = (base, scopes)
        discovery[entry.name] = dict(base.calls)

    for outcome in bounded_map(lambda item: _collect_scope(*item, progress), work, max_scopes, cancel):
        if isinstance(outcome, BaseException):
            raise outcome
        result, batch = outcome
        calls = discovery.pop(result.provider, {})  # counted once, on the provider's first scope
        for call, n in calls.items():
            result.api_calls[call] = result.api_calls.get(call, 0) + n
        results.append(result)
        batches[(result.provider, result.scope)] = batch
    # A connector may complete its records from what other sources found in the same scan
    # (the AWS connector resolves access key ids sighted in local agent configs).
    for entry in plan:
        hook = getattr(entry.connector, "after_collect", None)
        if hook is not None and entry.name in listed and not cancel.is_set():
            hook(listed[entry.name][0], listed[entry.name][1], results, batches)
    return results, batches


def run_scan(
    store: Inventory,
    plan: list[ScanPlanEntry],
    *,
    options: ScanOptions | None = None,
    demo: bool = False,
    post_load: Sequence[PostLoad] = (),
    progress: ScanProgress | ScopeCallback | None = None,
    now: datetime | None = None,
    cancel: threading.Event | None = None,
    shard: Shard | None = None,
) -> ScanOutcome:
    """Collect, then write atomically with the post-load steps. A shard writes only its scopes
    and runs no post-load step: `nhi evaluate` evaluates once after every shard."""
    started = now or utcnow()
    cancel = cancel or threading.Event()
    if not plan:
        raise NhiError(
            "no provider is configured to scan; add one under `providers:` in nhi.yaml, or try `nhi scan --demo`",
            ExitCode.USAGE,
        )
    results, batches = collect_all(
        plan,
        now=started,
        salt=store.secret_salt,
        options=options or ScanOptions(),
        cancel=cancel,
        progress=progress,
        shard=shard,
    )
    if results and all(failed_to_authenticate(r) for r in results):
        raise NhiError(auth_failure_message(results, options.aws_profile if options else None), ExitCode.CANNOT_RUN)
    scan_id = write_scan(
        store,
        started_at=started,
        finished_at=utcnow(),
        results=results,
        batches=batches,
        demo=demo,
        operator=operator_name(),
        post_load=() if shard else post_load,
        shard=str(shard) if shard else None,
    )
    return ScanOutcome(scan_id=scan_id, results=results, started_at=started, batches=batches)
