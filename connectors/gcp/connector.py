"""The GCP connector: one scope per project.

Per project: service accounts (IAM gRPC, paginated), user-managed keys (one call per SA: the
API lists keys per SA only), each SA's own IAM policy (one call per SA, for impersonation
bindings; can be turned off), the project IAM policy at version 3 (Resource Manager REST), and
last authentication per SA and per key from Policy Analyzer. A Policy Analyzer refusal is a
gap on the scope (``partial``), never a guess that everything is unused.

Inherited access: the IAM policies of the folders and the organization above the scanned
projects (see ancestry.py), each read once per scan however many projects sit below it. A
project's SAs get ``inherited_binding`` grants from every such policy (an SA of one project
may be editor on another project's folder), and impersonation trusts from its own ancestors.
A refused ancestor policy is a gap on the projects below it, never a failure.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, TypedDict

from nhi_cli.kit.connector import CollectContext, Connector, RevokeStep, ScopeError, ScopeFailed, StepOutcome
from nhi_cli.kit.http import NotFound
from nhi_cli.kit.payloads import each
from nhi_cli.model import Batch, Scope

from . import ai, ai_transform, revoke
from . import clients as get
from . import transform as t
from .ancestry import Ancestry
from .clients import GcpClients, GcpNotFound
from .fake import GcpFake
from .settings import GcpSettings


class AccountReads(TypedDict):
    """What was read for one service account besides itself (see ``_per_account``)."""

    keys: list[dict[str, Any]]
    policy: dict[str, Any] | None  # its own IAM policy; None when not read
    policy_error: str | None  # the code of a refused policy read


# sa email | unique id | key id -> when it last authenticated; None: unknown (not read)
LastAuth = dict[str, datetime] | None


def _engines(ctx: CollectContext, clients: GcpClients, project: str, region: str, sa_owners: dict[str, str]) -> Batch:
    """One region's engines, with the owners their IAM policies name. The policies are bounded
    by ``vertex_policy_limit``; a refused or spent policy read is a gap, the engines still load."""
    engines = ai.get_reasoning_engines(clients, project, region)
    limit = ctx.settings.vertex_policy_limit
    names = [e["name"] for e in engines if isinstance(e.get("name"), str)]
    what = f"aiplatform:reasoningEngines.getIamPolicy {region}"
    policies: dict[str, dict[str, Any]] = {}
    try:
        policies = ai.get_engine_policies(clients, region, names[:limit])
    except ScopeError as exc:
        ctx.gap(what, exc.code, exc.message)
    except NotFound as exc:
        ctx.gap(what, "NOT_FOUND", str(exc))
    if len(names) > limit:
        ctx.gap(what, "DescribeBudget", f"{len(names) - limit} engine policies over vertex_policy_limit={limit}")
    return ai_transform.transform_reasoning_engines(project, region, engines, policies, sa_owners)


def _parent(settings: GcpSettings) -> str | None:
    if settings.folder:
        return settings.folder if settings.folder.startswith("folders/") else f"folders/{settings.folder}"
    if settings.organization:
        org = settings.organization
        return org if org.startswith("organizations/") else f"organizations/{org}"
    return None


class GcpConnector(Connector):
    name = "gcp"
    Settings = GcpSettings
    revoke_kinds: ClassVar[dict[str, list[str]]] = {
        "sa_key": ["disable_key", "delete_key"],
        "service_account": ["disable_service_account"],
        "gcp_api_key": ["delete_api_key"],
    }

    @staticmethod
    def _ancestry(ctx: CollectContext) -> Ancestry:
        """This scan's hierarchy memo (folders, organization and their policies), shared by
        every project scope through the scan's cache."""
        return ctx.cache.get("ancestry", Ancestry)

    def _clients(self, ctx: CollectContext) -> GcpClients:
        return GcpClients(ctx)

    # --- scopes -------------------------------------------------------------------------
    def scopes(self, ctx: CollectContext) -> list[Scope]:
        settings: GcpSettings = ctx.settings
        skip = set(settings.skip_projects)
        ancestry = self._ancestry(ctx)
        if settings.projects:
            # No discovery call here, so find missing credentials now: AuthFailed from scopes()
            # is "could not run" (exit 4), not one failed scope per listed project (exit 3).
            get.default_credentials(settings)
            ancestry.projects = [p for p in settings.projects if p not in skip]
            return [Scope("gcp", p, p) for p in ancestry.projects]
        clients = self._clients(ctx)
        folder_parents: dict[str, str] = {}
        try:
            found = get.discover_projects(clients, _parent(settings), folder_parents)
        finally:
            clients.close()
        for folder, parent in folder_parents.items():  # reused: no per-project ancestry calls
            ancestry.seed_parent(folder, parent)
        scopes: list[Scope] = []
        for project in sorted(found, key=lambda p: p.get("project_id", "")):
            if project.get("project_id") and project["project_id"] not in skip:
                number = project.get("name", "").rsplit("/", 1)[-1]
                scopes.append(
                    Scope(
                        "gcp",
                        project["project_id"],
                        project.get("display_name") or project["project_id"],
                        attrs={"project_number": number, "parent": project.get("parent")},
                    )
                )
                ancestry.seed_parent(f"projects/{project['project_id']}", project.get("parent"))
        ancestry.projects = [s.id for s in scopes]
        return scopes

    # --- collect ------------------------------------------------------------------------
    def collect(self, ctx: CollectContext, scope: Scope) -> Batch:
        clients = self._clients(ctx)
        try:
            project = scope.id
            accounts = get.get_service_accounts(clients, project)
            policy = get.get_project_policy(clients, project)
            sa_auth, key_auth = self._last_authentication(ctx, clients, project)
            own, inherited = self._inherited(ctx, clients, project)
            with ThreadPoolExecutor(max(1, ctx.settings.max_workers), thread_name_prefix="nhi-gcp") as pool:
                per_sa = list(pool.map(lambda sa: self._per_account(ctx, clients, sa), accounts))
            try:
                batch = self._batch(ctx, project, accounts, per_sa, policy, sa_auth, key_auth)
                self._add_inherited(batch, project, own, inherited)
                sa_owners = {i.id: i.owner for i in batch.identities if i.owner and i.kind == "service_account"}
                batch.extend(self._ai(ctx, clients, project, sa_owners))
                return batch
            except ValueError as exc:  # a payload without a required field: loud, on this scope only
                raise ScopeFailed("malformed_response", str(exc)) from None
        finally:
            clients.close()

    @staticmethod
    def _ai(ctx: CollectContext, clients: GcpClients, project: str, sa_owners: dict[str, str]) -> Batch:
        """API keys and Vertex AI agents: a refusal or outage is a gap that keeps the project's
        earlier records, never a failed project."""
        settings: GcpSettings = ctx.settings
        batch = Batch()
        parts: list[tuple[str, Callable[[], Batch]]] = []
        if settings.api_keys:
            keys = partial(ai.get_api_keys, clients, project)
            parts.append(("apikeys:keys.list", lambda: ai_transform.transform_api_keys(project, keys())))
        for region in settings.vertex_regions if settings.agent_engines else []:
            parts.append(
                (
                    f"aiplatform:reasoningEngines.list {region}",
                    partial(_engines, ctx, clients, project, region, sa_owners),
                )
            )
        for what, read in parts:
            try:
                batch.extend(read())
            except ScopeError as exc:
                ctx.gap(what, exc.code, exc.message, records_missing=True)
            except NotFound as exc:
                ctx.gap(what, "NOT_FOUND", str(exc), records_missing=True)
        return batch

    def _last_authentication(self, ctx: CollectContext, clients: GcpClients, project: str) -> tuple[LastAuth, LastAuth]:
        if not ctx.settings.last_authentication:
            ctx.gap("last authentication", "disabled", "last_authentication: false in settings")
            return None, None  # unknown, so unused rules skip these records
        problems = Batch()
        try:
            sa_auth = t.last_authentications(get.get_activities(clients, project, get.ACTIVITY_SA), "sa", problems)
            key_auth = t.last_authentications(get.get_activities(clients, project, get.ACTIVITY_KEY), "key", problems)
            for gap in problems.gaps:
                ctx.gap(gap["what"], gap["code"], gap["message"])
        except ScopeError as exc:  # denied, API disabled, outage: unknown, not "unused"
            ctx.gap("last authentication (Policy Analyzer)", exc.code, exc.message)
            return None, None
        except NotFound as exc:  # an endpoint without the API (proxy, older private endpoint)
            ctx.gap("last authentication (Policy Analyzer)", "NOT_FOUND", str(exc))
            return None, None
        return sa_auth, key_auth

    def _inherited(
        self, ctx: CollectContext, clients: GcpClients, project: str
    ) -> tuple[list[str], dict[str, dict[str, Any]]]:
        """(this project's ancestors, {ancestor: policy} for every ancestor of the scan's projects).

        Other projects' ancestors are read too because an SA of this project can hold roles on
        a folder it does not sit under; the memo makes that free after the first scope."""
        if not ctx.settings.ancestor_policies:
            ctx.gap("inherited IAM policies", "disabled", "ancestor_policies: false in settings")
            return [], {}
        ancestry = self._ancestry(ctx)
        try:
            own = ancestry.chain(clients, project)
        except (ScopeError, GcpNotFound) as exc:
            ctx.gap("ancestry (folders, organization)", getattr(exc, "code", "NOT_FOUND"), str(exc))
            own = []
        reach = list(own)
        for other in ancestry.projects:
            if other != project:
                try:
                    reach.extend(a for a in ancestry.chain(clients, other) if a not in reach)
                except (ScopeError, GcpNotFound):
                    pass  # that project's own scope reports its ancestry gap
        policies: dict[str, dict[str, Any]] = {}
        for ancestor in reach:
            try:
                policies[ancestor] = ancestry.policy(clients, ancestor)
            except (ScopeError, GcpNotFound) as exc:
                if ancestor in own:  # grants inherited from it are unknown, not absent
                    ctx.gap(
                        f"IAM policy of {ancestor} (inherited grants)",
                        getattr(exc, "code", "NOT_FOUND"),
                        getattr(exc, "message", str(exc)),
                    )
        return own, policies

    @staticmethod
    def _add_inherited(batch: Batch, project: str, own: list[str], policies: dict[str, dict[str, Any]]) -> None:
        mine = {i.id for i in batch.identities}
        listed = sorted(i.id for i in batch.identities if not i.is_platform)
        seen = {(x.identity_id, x.principal, x.action, repr(x.conditions)) for x in batch.trusts}
        for ancestor, policy in policies.items():
            batch.grants.extend(t.transform_inherited_policy(policy, ancestor, project, mine))
            if ancestor not in own:
                continue  # impersonation reaches only the SAs of projects below the ancestor
            for trust in t.impersonation_trusts(policy, project, listed):
                key = (trust.identity_id, trust.principal, trust.action, repr(trust.conditions))
                if key not in seen:
                    seen.add(key)
                    batch.trusts.append(trust)

    def _per_account(self, ctx: CollectContext, clients: GcpClients, sa: dict[str, Any]) -> AccountReads:
        """Keys and the SA's own policy. A refusal on one SA's policy is a gap, not a denial
        of the whole project; an SA deleted mid-scan simply has nothing more to read."""
        out: AccountReads = {"keys": [], "policy": None, "policy_error": None}
        try:
            out["keys"] = get.get_keys(clients, sa["name"])
            if ctx.settings.service_account_policies:
                try:
                    out["policy"] = get.get_service_account_policy(clients, sa["name"])
                except ScopeError as exc:
                    out["policy_error"] = exc.code
        except GcpNotFound:
            pass
        return out

    def _batch(
        self,
        ctx: CollectContext,
        project: str,
        accounts: list[dict[str, Any]],
        per_sa: list[AccountReads],
        policy: dict[str, Any],
        sa_auth: LastAuth,
        key_auth: LastAuth,
    ) -> Batch:
        known = sa_auth is not None

        def one(pair: tuple[dict[str, Any], AccountReads]) -> Batch:  # one service account; a malformed one is a gap
            sa, extra = pair
            out = Batch()
            identity = t.transform_service_account(sa, project, sa_auth or {})
            identity.attrs["user_managed_keys"] = sum(
                1 for k in extra["keys"] if k.get("key_type", "USER_MANAGED") == "USER_MANAGED"
            )
            if not known:  # the rules' convention: unused rules skip it
                identity.attrs["last_used_unknown"] = True
            out.identities.append(identity)
            for key in extra["keys"]:
                credential = t.transform_key(key, identity.id, project, ctx.now, key_auth or {})
                if not known:
                    credential.attrs["last_used_unknown"] = True
                out.credentials.append(credential)
            if extra["policy"]:
                out.trusts.extend(t.impersonation_trusts(extra["policy"], project, [identity.id]))
            return out

        batch = each(list(zip(accounts, per_sa, strict=True)), one, "GCP service account", "email")
        denied = sorted({e["policy_error"] for e in per_sa if e["policy_error"]})
        if denied:
            count = sum(1 for e in per_sa if e["policy_error"])
            ctx.gap("service-account IAM policies", ",".join(denied), f"{count} of {len(accounts)} unreadable")
        listed = {i.id for i in batch.identities}
        for email in sorted(t.sa_members(policy) - listed):
            service = t.service_agent_of(email, project)
            if service:
                batch.identities.append(t.transform_service_agent(email, project, service))
        batch.grants.extend(t.transform_project_policy(policy, project))
        batch.trusts.extend(t.impersonation_trusts(policy, project, sorted(listed)))
        return batch

    # --- revoke -------------------------------------------------------------------------
    def plan_revoke(self, ctx: CollectContext, target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
        return revoke.plan(target, options)

    def execute_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        clients = self._clients(ctx)
        try:
            return revoke.execute(clients, step)
        finally:
            clients.close()

    def restore_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        clients = self._clients(ctx)
        try:
            return revoke.restore(clients, step)
        finally:
            clients.close()

    # --- demo ---------------------------------------------------------------------------
    @classmethod
    def demo(cls, stack: ExitStack, estate: Path, now: datetime) -> dict[str, Any] | None:
        fake = stack.enter_context(GcpFake.from_file(estate / "gcp" / "estate.json", now))
        return fake.settings()
