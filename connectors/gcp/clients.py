"""Google API clients for one scope: credentials, endpoints, retries and call counting.

IAM admin (service accounts, keys, service-account policies) is gRPC-only in
google-cloud-iam; Resource Manager uses its REST transport; Policy Analyzer has no client
library installed, so it goes through nhi's shared RestClient. Every call goes through
:meth:`GcpClients.call`, which counts each attempt into the scope's counter, retries
throttling and outages with backoff, and maps refusals to ScopeDenied. The client libraries'
own retry is switched off (``retry=None``) so one policy, with explicit timeouts, applies.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from nhi_cli.connector import AuthFailed, CollectContext, ScopeDenied, ScopeFailed

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
RETRYABLE = {"UNAVAILABLE", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED", "INTERNAL", "ABORTED",
             "TOO_MANY_REQUESTS", "SERVICE_UNAVAILABLE", "BAD_GATEWAY", "GATEWAY_TIMEOUT"}
DENIED = {"PERMISSION_DENIED", "UNAUTHENTICATED", "FORBIDDEN", "UNAUTHORIZED"}


class GcpNotFound(Exception):
    """The resource does not exist (a deleted key when verifying a delete)."""


def default_credentials(settings) -> tuple[Any, str | None]:
    """Application Default Credentials: a key file, gcloud ADC, workload identity, metadata."""
    if settings.insecure:
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials(), None
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        return google.auth.default(scopes=[CLOUD_PLATFORM], quota_project_id=settings.quota_project)
    except DefaultCredentialsError as exc:
        raise AuthFailed("auth", f"no Google credentials: {str(exc).splitlines()[0]}") from None


def error_code(exc: BaseException) -> str:
    """A Google status name ("PERMISSION_DENIED") for an api_core exception."""
    status = getattr(exc, "grpc_status_code", None)
    if status is not None:
        return status.name
    name = type(exc).__name__
    return "".join("_" + c if c.isupper() and i else c for i, c in enumerate(name)).upper()


class GcpClients:
    """Lazily built clients bound to one CollectContext (one scope, or one revoke)."""

    def __init__(self, ctx: CollectContext, sleep: Callable[[float], None] = time.sleep):
        self.ctx = ctx
        self.settings = ctx.settings
        self.sleep = sleep
        self._credentials = None
        self._iam = self._projects = self._folders = self._organizations = self._analyzer = None

    @property
    def credentials(self):
        if self._credentials is None:
            self._credentials, _ = default_credentials(self.settings)
        return self._credentials

    # --- clients ------------------------------------------------------------------------
    @property
    def iam(self):
        if self._iam is None:
            import grpc
            from google.cloud import iam_admin_v1
            from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport

            if self.settings.insecure:  # the local fake: plaintext, no credentials
                channel = grpc.insecure_channel(self.settings.iam_endpoint)
            else:
                channel = IAMGrpcTransport.create_channel(self.settings.iam_endpoint,
                                                          credentials=self.credentials, scopes=[CLOUD_PLATFORM])
            self._iam = iam_admin_v1.IAMClient(transport=IAMGrpcTransport(channel=channel))
        return self._iam

    def _rest_options(self) -> dict:
        return {"api_endpoint": self.settings.resource_manager_endpoint}

    @property
    def projects(self):
        if self._projects is None:
            from google.cloud import resourcemanager_v3

            self._projects = resourcemanager_v3.ProjectsClient(
                transport="rest", credentials=self.credentials, client_options=self._rest_options())
        return self._projects

    @property
    def folders(self):
        if self._folders is None:
            from google.cloud import resourcemanager_v3

            self._folders = resourcemanager_v3.FoldersClient(
                transport="rest", credentials=self.credentials, client_options=self._rest_options())
        return self._folders

    @property
    def organizations(self):
        if self._organizations is None:
            from google.cloud import resourcemanager_v3

            self._organizations = resourcemanager_v3.OrganizationsClient(
                transport="rest", credentials=self.credentials, client_options=self._rest_options())
        return self._organizations

    @property
    def analyzer(self):
        """Policy Analyzer over the shared RestClient (same retries, counting, 403 mapping)."""
        if self._analyzer is None:
            from nhi_cli.http import RestClient

            self._analyzer = RestClient(self.settings.policy_analyzer_endpoint, self.ctx, label="policyanalyzer",
                                        headers=self._bearer, timeout=self.settings.timeout,
                                        max_retries=self.settings.max_retries,
                                        max_wait=self.settings.retry_max_wait, sleep=self.sleep)
        return self._analyzer

    def _bearer(self) -> dict[str, str]:
        if self.settings.insecure:
            return {}
        creds = self.credentials
        if not creds.valid:
            from google.auth.transport.requests import Request

            try:
                creds.refresh(Request())
            except Exception as exc:  # RefreshError, transport errors
                raise AuthFailed("auth", f"cannot refresh Google credentials: {exc}") from None
        headers = {"Authorization": f"Bearer {creds.token}"}
        if self.settings.quota_project:
            headers["x-goog-user-project"] = self.settings.quota_project
        return headers

    def close(self) -> None:
        if self._analyzer is not None:
            self._analyzer.close()
        if self._iam is not None:
            self._iam.transport.close()

    # --- one call, counted and retried --------------------------------------------------
    def call(self, label: str, fn: Callable, /, **kwargs):
        """Call ``fn(**kwargs, retry=None, timeout=...)``; count every attempt as ``label``."""
        import grpc
        import requests
        from google.api_core import exceptions as gexc
        from google.auth import exceptions as auth_exc

        settings = self.settings
        attempt = 0
        while True:
            if self.ctx.cancel.is_set():
                raise KeyboardInterrupt
            self.ctx.count(label)
            try:
                return fn(**kwargs, retry=None, timeout=settings.timeout)
            except gexc.NotFound as exc:
                raise GcpNotFound(f"{label}: {exc.message}") from None
            except gexc.GoogleAPICallError as exc:
                code = error_code(exc)
                if code in DENIED:
                    raise ScopeDenied(code, f"{label}: {exc.message}") from None
                if code not in RETRYABLE or attempt >= settings.max_retries:
                    raise ScopeFailed(code, f"{label} failed after {attempt} retries: {exc.message}") from None
            except auth_exc.GoogleAuthError as exc:
                raise AuthFailed("auth", f"{label}: {exc}") from None
            except (requests.RequestException, grpc.RpcError) as exc:  # endpoint unreachable
                if attempt >= settings.max_retries:
                    raise ScopeFailed("unreachable", f"{label}: {type(exc).__name__}: {exc}") from None
            attempt += 1
            self.sleep(min(settings.retry_max_wait, settings.retry_initial * 2 ** (attempt - 1)))

    def pages(self, label: str, fn: Callable, request: dict, items: str):
        """Follow ``next_page_token`` ourselves so every page goes through :meth:`call`."""
        request = dict(request)
        while True:
            page = self.call(label, fn, request=request)
            yield from getattr(page, items)
            token = page.next_page_token
            if not token:
                return
            request["page_token"] = token
