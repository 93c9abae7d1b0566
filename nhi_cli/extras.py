"""Which optional extra a provider's SDK comes from, and the one-line message when it is missing.

The cloud SDKs are extras of the nhi-cli distribution (pyproject.toml), so a user who checks only
MCP configs or GitHub installs none of them. A connector imports its SDK lazily; this check runs
before a scan, the demo or a revoke touches the provider, so a missing SDK is one line naming
the extra to install (exit 4, "could not run") instead of a failed scope or a traceback.
"""

from __future__ import annotations

from importlib.util import find_spec

from nhi_cli.errors import ExitCode, NhiError

DISTRIBUTION = "nhi-cli"

# provider -> (extra, top-level modules its connector imports). Providers not listed (github,
# openai, anthropic, mcp) speak HTTP through httpx, a core dependency.
PROVIDER_EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "aws": ("aws", ("boto3", "botocore")),
    "gcp": ("gcp", ("google.auth", "google.cloud.iam_admin_v1", "google.cloud.resourcemanager_v3", "grpc")),
    "azure": ("azure", ("azure.identity",)),
    "kubernetes": ("kubernetes", ("kubernetes",)),
}


class MissingExtra(NhiError):
    def __init__(self, provider: str, extra: str, module: str):
        super().__init__(
            f"the {provider} provider needs the {module} package, which is not installed: "
            f"pip install '{DISTRIBUTION}[{extra}]' (or '{DISTRIBUTION}[all]')",
            ExitCode.CANNOT_RUN,
        )
        self.provider = provider
        self.extra = extra


def missing_module(provider: str) -> str | None:
    """The first SDK module of ``provider`` that cannot be imported, or None."""
    _extra, modules = PROVIDER_EXTRAS.get(provider, ("", ()))
    for module in modules:
        try:
            if find_spec(module) is None:
                return module
        except ModuleNotFoundError:  # a parent package (google.cloud) is missing
            return module
    return None


def require(provider: str) -> None:
    """Raise :class:`MissingExtra` when ``provider``'s SDK is not installed."""
    module = missing_module(provider)
    if module is not None:
        raise MissingExtra(provider, PROVIDER_EXTRAS[provider][0], module)


def demo_missing() -> list[str]:
    """Modules the demo needs beyond the provider SDKs (moto serves the AWS estate)."""
    return [m for m in ("moto",) if find_spec(m) is None]
