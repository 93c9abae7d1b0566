"""AzureConnector: the Entra tenant through Microsoft Graph, each subscription through ARM."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from nhi_cli.kit.connector import (
    AuthFailed,
    CollectContext,
    Connector,
    RevokeStep,
    ScopeError,
    ScopeFailed,
    StepOutcome,
)
from nhi_cli.kit.http import NotFound, RestClient
from nhi_cli.model import Batch, Scope

from . import graph as g
from . import revoke
from .ai_accounts import get_ai_accounts
from .ai_transform import (
    CONNECTION_SECRET,
    connection_holder,
    transform_ai_accounts,
    transform_foundry_agents,
    transform_foundry_connections,
)
from .arm import active_subscriptions, get_role_assignments, get_role_definitions, get_subscriptions
from .clients import arm_client, credential, graph_client
from .fake import start_demo
from .foundry import endpoint_allowed, get_agents, get_connections, get_projects, project_endpoint
from .rbac import role_names, transform_role_assignments
from .settings import AzureSettings
from .transform import TransformError, transform_tenant


class AzureConnector(Connector):
    name: ClassVar[str] = "azure"
    Settings: ClassVar[type[AzureSettings]] = AzureSettings
    revoke_kinds: ClassVar[dict[str, list[str]]] = {
        "service_principal": ["disable_service_principal"],
        "agent_identity": ["disable_service_principal"],
        "application": ["remove_certificate", "remove_client_secret"],
        "managed_identity": ["remove_role_assignments"],
        "client_secret": ["remove_client_secret"],
        "certificate": ["remove_certificate"],
        "azure_ai_account": ["disable_local_auth"],
        "azure_ai_account_key": ["disable_local_auth", "regenerate_key"],
    }

    # --- scopes -------------------------------------------------------------------------
    def scopes(self, ctx: CollectContext) -> list[Scope]:
        settings: AzureSettings = ctx.settings
        cred = credential(ctx)
        scopes: list[Scope] = []
        if settings.tenant:
            try:
                if settings.tenant_id:
                    org = {"id": settings.tenant_id, "displayName": settings.tenant_id}
                else:
                    with graph_client(ctx, cred) as graph:
                        org = g.get_organization(graph)
                scopes.append(
                    Scope(
                        "azure",
                        f"tenant:{org['id']}",
                        org.get("displayName") or org["id"],
                        {"kind": "tenant", "tenant_id": org["id"]},
                    )
                )
            except AuthFailed:
                raise
            except ScopeError as exc:  # recorded as a denied or failed tenant scope; subscriptions still run
                scopes.append(
                    Scope(
                        "azure", f"tenant:{settings.tenant_id or 'unknown'}", "tenant", {"kind": "tenant", "error": exc}
                    )
                )
        if settings.subscriptions:
            subs = [{"subscriptionId": s, "displayName": s} for s in settings.subscriptions]
        else:
            try:
                with arm_client(ctx, cred) as arm:
                    subs = active_subscriptions(get_subscriptions(arm))
            except AuthFailed:
                raise
            except (ScopeError, NotFound) as exc:  # a denied, failed or missing discovery: a gap; the tenant still runs
                subs = []
                error = exc if isinstance(exc, ScopeError) else ScopeFailed("NotFound", str(exc))
                scopes.append(
                    Scope("azure", "subscriptions", "subscription discovery", {"kind": "discovery", "error": error})
                )
        skip = {s.lower() for s in settings.skip_subscriptions}
        for sub in subs:
            if sub["subscriptionId"].lower() in skip:
                continue
            scopes.append(
                Scope(
                    "azure",
                    f"subscription:{sub['subscriptionId']}",
                    sub.get("displayName") or sub["subscriptionId"],
                    {"kind": "subscription", "subscription_id": sub["subscriptionId"]},
                )
            )
        return scopes

    # --- collect ------------------------------------------------------------------------
    def collect(self, ctx: CollectContext, scope: Scope) -> Batch:
        if "error" in scope.attrs:
            raise scope.attrs["error"]
        try:
            if scope.attrs["kind"] == "tenant":
                return self._collect_tenant(ctx, scope)
            return self._collect_subscription(ctx, scope)
        except NotFound as exc:
            raise ScopeFailed("NotFound", str(exc)) from None
        except TransformError as exc:
            raise ScopeFailed("MalformedResponse", str(exc)) from None

    def _collect_tenant(self, ctx: CollectContext, scope: Scope) -> Batch:
        settings: AzureSettings = ctx.settings
        with graph_client(ctx, credential(ctx)) as client:
            sps = g.get_service_principals(client, ctx)
            apps = g.get_applications(client, ctx)
            assignments = g.get_app_role_assignments(client, ctx)
            delegated = g.get_delegated_grants(client, settings.page_size)
            roles = g.get_directory_roles(client, ctx)
            users = g.optional(ctx, "users", lambda: g.get_users(client, settings.page_size)) or []
            sign_ins = (
                g.optional(
                    ctx, "sign-in activity (beta reports)", lambda: g.get_sign_in_activity(client, settings.page_size)
                )
                if settings.sign_in_activity
                else None
            )
            cred_sign_ins = (
                g.optional(
                    ctx,
                    "credential sign-in activity (beta reports)",
                    lambda: g.get_credential_sign_in_activity(client, settings.page_size),
                )
                if settings.sign_in_activity
                else None
            )
            agents = (
                g.optional(ctx, "Entra Agent ID (beta)", lambda: g.get_agent_identities(client), absent_is_gap=False)
                if settings.agent_identities
                else None
            )
            inherited = g.get_inherited_permissions(client, ctx, agents) if agents else {}
        return transform_tenant(
            tenant_id=scope.attrs["tenant_id"],
            scope=scope.id,
            now=ctx.now,
            sps=sps,
            apps=apps,
            role_assignments=assignments,
            delegated=delegated,
            directory_roles=roles,
            users=users,
            sign_ins=sign_ins,
            credential_sign_ins=cred_sign_ins,
            agent_identities=agents,
            inherited=inherited,
        )

    def _collect_subscription(self, ctx: CollectContext, scope: Scope) -> Batch:
        sub = scope.attrs["subscription_id"]
        with arm_client(ctx, credential(ctx)) as client:
            definitions = get_role_definitions(client, sub)
            assignments = get_role_assignments(client, sub)
            accounts = self._ai_accounts(ctx, client, sub)
            projects = self._foundry_projects(ctx, client, accounts)
            connections = self._foundry_connections(ctx, client, accounts, projects)
        batch = transform_role_assignments(assignments, role_names(definitions), scope.id)
        if accounts:
            batch.extend(transform_ai_accounts(scope.id, accounts))
        for parent, holder, items in connections:
            batch.extend(transform_foundry_connections(scope.id, ctx.now, parent, holder, items))
        stored = {c.id.lower(): c.id for c in batch.credentials if c.kind == CONNECTION_SECRET}
        for account, project in projects if ctx.settings.foundry_agents else ():
            batch.extend(self._foundry_agents(ctx, scope, account, project, stored))
        return batch

    @staticmethod
    def _ai_accounts(ctx: CollectContext, client: RestClient, sub: str) -> list[dict[str, Any]]:
        """Azure OpenAI / AI Foundry accounts: a refusal is a gap keeping earlier records."""
        if not ctx.settings.ai_accounts:
            return []
        try:
            return get_ai_accounts(client, sub)
        except ScopeError as exc:
            ctx.gap("Cognitive Services accounts", exc.code, exc.message, records_missing=True)
        except NotFound as exc:
            ctx.gap("Cognitive Services accounts", "NotFound", str(exc), records_missing=True)
        return []

    @staticmethod
    def _foundry_projects(
        ctx: CollectContext, client: RestClient, accounts: list[dict[str, Any]]
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(account, project) for every project of the AI Services accounts; a refused list is a
        gap for that account's agents and project connections."""
        if not (ctx.settings.foundry_agents or ctx.settings.foundry_connections):
            return []
        found = []
        for account in accounts:
            if account.get("kind") != "AIServices":
                continue  # Azure OpenAI accounts have no projects
            try:
                found += [(account, p) for p in get_projects(client, account["id"])]
            except ScopeError as exc:
                ctx.gap(f"Foundry projects of {account['name']}", exc.code, exc.message, records_missing=True)
            except NotFound as exc:
                ctx.gap(f"Foundry projects of {account['name']}", "NotFound", str(exc), records_missing=True)
        return found

    @staticmethod
    def _foundry_connections(
        ctx: CollectContext,
        client: RestClient,
        accounts: list[dict[str, Any]],
        projects: list[tuple[dict[str, Any], dict[str, Any]]],
    ) -> list[tuple[dict[str, Any], str, list[dict[str, Any]]]]:
        """(account or project, who holds its connections' secrets, its connections): one list
        per AI Services account and one per project; a refused list is a gap for that one."""
        if not ctx.settings.foundry_connections:
            return []
        parents = [(a, connection_holder(a), "account") for a in accounts if a.get("kind") == "AIServices"]
        parents += [(p, connection_holder(p, a), "project") for a, p in projects]
        found = []
        for parent, holder, level in parents:
            what = f"Foundry connections of {parent.get('name', '?')}"
            try:
                found.append((parent, holder, get_connections(client, parent["id"], level)))
            except ScopeError as exc:
                ctx.gap(what, exc.code, exc.message, records_missing=True)
            except NotFound as exc:
                ctx.gap(what, "NotFound", str(exc), records_missing=True)
        return found

    @staticmethod
    def _foundry_agents(
        ctx: CollectContext, scope: Scope, account: dict[str, Any], project: dict[str, Any], stored: dict[str, str]
    ) -> Batch:
        """The agents of one project's data plane; a refusal (401/403: no data-plane role, a
        private endpoint) is a gap for that project, never a failed scan."""
        what = f"Foundry agents of {str(project.get('name', '?')).rsplit('/', 1)[-1]} ({account['name']})"
        endpoint = project_endpoint(account, project)
        if endpoint is None or not endpoint_allowed(ctx.settings, endpoint):
            message = f"project endpoint {endpoint!r} is not a Foundry host"
            ctx.gap(what, "UntrustedEndpoint", message, records_missing=True)
            return Batch()
        try:
            agents = get_agents(ctx, credential(ctx), endpoint)
        except ScopeError as exc:
            ctx.gap(what, exc.code, exc.message, records_missing=True)
            return Batch()
        except NotFound as exc:
            ctx.gap(what, "NotFound", str(exc), records_missing=True)
            return Batch()
        return transform_foundry_agents(scope.id, account, project, agents, stored)

    # --- revoke -------------------------------------------------------------------------
    def plan_revoke(self, ctx: CollectContext, target: dict[str, Any], options: dict[str, Any]) -> list[RevokeStep]:
        return revoke.plan(self, ctx, target, options)

    def execute_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        return revoke.execute(self, ctx, step)

    def restore_step(self, ctx: CollectContext, step: RevokeStep) -> StepOutcome:
        return revoke.restore(self, ctx, step)

    # --- demo ---------------------------------------------------------------------------
    @classmethod
    def demo(cls, stack: ExitStack, estate: Path, now: datetime) -> dict[str, Any] | None:
        return start_demo(stack, estate, now)
