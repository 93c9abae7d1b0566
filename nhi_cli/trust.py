"""Where configuration may come from, and what an untrusted nhi.yaml may change.

nhi runs with powerful credentials (admin keys, cloud sessions) from the environment, often in
a checkout of someone else's repository. So the source of a setting decides whether it applies:

- trusted: the file given with ``--config`` / ``NHI_CONFIG``, and the user-level file
  (``$XDG_CONFIG_HOME/nhi/nhi.yaml``, default ``~/.config/nhi/nhi.yaml``);
- untrusted: a ``nhi.yaml`` that nhi merely finds in the working directory (a repository can
  put one there). It may describe (owner tags, agents, protected identities, which providers
  to scan and their ordinary settings); it may not redirect (the inventory path, endpoints,
  files to read), hide (rules, suppressions, not_agents, people, fail_on) or pick credentials.
  Those settings are listed on stderr and not applied; endpoints it names stop the provider's
  scan (exit 2) instead of silently going elsewhere. ``NHI_TRUST_CWD_CONFIG=1`` (set outside
  the repository) or ``--config nhi.yaml`` trusts the file.

Independently of the source, every endpoint must be https (plain http and plaintext gRPC only to
loopback, for tests and the demo), and one that is not loopback must be allowed by host in
``NHI_ALLOW_ENDPOINTS`` (comma-separated): a file alone, even a trusted one kept in a
repository that a pull request can edit, never sends the environment's credentials to a new host.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nhi_cli.errors import ConfigError

TRUST_CWD_ENV = "NHI_TRUST_CWD_CONFIG"
ALLOW_ENDPOINTS_ENV = "NHI_ALLOW_ENDPOINTS"

# Top-level settings an untrusted file cannot set: they move data, run or hide things.
# notify and export choose where findings go and which environment variables are read.
HELD_BACK = ("db", "rules", "suppressions", "people", "fail_on", "not_agents", "notify", "export")
# Provider settings an untrusted file cannot set: where to connect, what to read, which secret.
_SENSITIVE_KEY = re.compile(
    r"^(endpoint|home|paths|insecure|token|admin_key|static_token|app_private_key|profile)$"
    r"|(_endpoint|_url|_uri|_path|_paths|_file|_env|_key|_secret|_token|_profile)$"
)
_ENDPOINT_KEY = re.compile(r"^(endpoint|.*_endpoint|.*_url)$")


def user_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "nhi" / "nhi.yaml"


def cwd_config_trusted() -> bool:
    return os.environ.get(TRUST_CWD_ENV, "").strip().lower() in ("1", "true", "yes")


def split_untrusted(data: dict[str, Any]) -> tuple[dict[str, Any], list[str], dict[str, list[str]]]:
    """(what an untrusted file may set, the settings held back, provider -> endpoint keys named).

    Held-back settings are dropped from the returned mapping; endpoint keys are also returned per
    provider, so that scanning that provider can refuse rather than use the default endpoint."""
    kept = {k: v for k, v in data.items() if k not in HELD_BACK}
    held = [k for k in HELD_BACK if k in data]
    endpoints: dict[str, list[str]] = {}
    providers = data.get("providers")
    if isinstance(providers, dict):
        clean: dict[str, Any] = {}
        for name, section in providers.items():
            if not isinstance(section, dict):
                clean[name] = section  # validation names the error
                continue
            clean[name] = {k: v for k, v in section.items() if not _SENSITIVE_KEY.search(str(k))}
            for key in section:
                if _SENSITIVE_KEY.search(str(key)):
                    held.append(f"providers.{name}.{key}")
                    if _ENDPOINT_KEY.match(str(key)):
                        endpoints.setdefault(str(name), []).append(str(key))
        kept["providers"] = clean
    return kept, held, endpoints


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# The providers' own public API hosts (and their sovereign clouds): naming one explicitly
# (`endpoint: https://api.github.com`) sends the credential nowhere it would not go anyway.
PROVIDER_HOSTS = (
    "api.github.com",
    "api.openai.com",
    "api.anthropic.com",
    ".amazonaws.com",
    ".amazonaws.com.cn",
    ".googleapis.com",
    "graph.microsoft.com",
    "management.azure.com",
    "graph.microsoft.us",
    "management.usgovcloudapi.net",
    "microsoftgraph.chinacloudapi.cn",
    "management.chinacloudapi.cn",
)


def is_provider_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host.endswith(h) if h.startswith(".") else host == h for h in PROVIDER_HOSTS)


# Where findings may go without an opt-in: the services' own hosts (Slack incoming webhooks,
# Teams incoming webhooks and Power Automate / Logic Apps workflow triggers, Jira Cloud).
DESTINATION_HOSTS = {
    "slack": ("hooks.slack.com",),
    "teams": (
        ".logic.azure.com",
        "api.powerautomate.com",
        "api.powerplatform.com",
        ".api.powerplatform.com",
        "flow.microsoft.com",
        ".webhook.office.com",  # Office 365 connectors, retired by Microsoft in 2026
    ),
    "jira": (".atlassian.net",),
    "aws": (".amazonaws.com", ".amazonaws.com.cn"),
}


def check_destination(what: str, kind: str, url: str, *, secret: bool) -> None:
    """Refuse a destination URL that is not https (plain http only to loopback) or whose host is
    neither the service's own nor allowed in NHI_ALLOW_ENDPOINTS. With ``secret`` (a webhook
    URL: its path is the credential) the message names the host only, never the URL."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    shown = host if secret else url
    if not host or parts.scheme.lower() not in ("https", "http"):
        raise ConfigError(f"{what} is not an http(s) URL" + ("" if secret else f": {url!r}"))
    if parts.scheme.lower() != "https" and not is_loopback(host):
        raise ConfigError(f"{what} ({shown}) is not https; plain http is allowed only to loopback")
    known = DESTINATION_HOSTS.get(kind, ())
    if is_loopback(host) or any(host.endswith(h) if h.startswith(".") else host == h for h in known):
        return
    if host not in allowed_hosts():
        raise ConfigError(
            f"{what} points at {host}, which is not a {kind} host; allow it outside the repository "
            f"with {ALLOW_ENDPOINTS_ENV}={host}"
        )


def allowed_hosts() -> set[str]:
    return {h.strip().lower() for h in os.environ.get(ALLOW_ENDPOINTS_ENV, "").split(",") if h.strip()}


def _host_and_tls(value: str, insecure: bool) -> tuple[str | None, bool]:
    if "://" in value:
        parts = urlsplit(value)
        return parts.hostname, parts.scheme.lower() == "https"
    # gRPC targets are "host:port"; TLS unless the settings ask for a plaintext channel
    host = value.rsplit(":", 1)[0] if value.count(":") == 1 or value.startswith("[") else value
    return host.strip("[]") or None, not insecure


def check_endpoints(provider: str, settings: Any, where: str = "nhi.yaml") -> None:
    """Refuse an endpoint that is not https, or that points at a host nobody allowed.

    Values equal to the connector's defaults, and the providers' own public hosts, need no
    opt-in; loopback (the demo, tests) needs none either, and may be plain http."""
    fields = type(settings).model_fields
    insecure = bool(getattr(settings, "insecure", False))
    for key, info in fields.items():
        if not _ENDPOINT_KEY.match(key):
            continue
        value = getattr(settings, key, None)
        if not isinstance(value, str) or not value or value == info.default:
            continue
        host, tls = _host_and_tls(value, insecure)
        name = f"providers.{provider}.{key}"
        if host is None:
            raise ConfigError(f"{where}: {name}: {value!r} is not a URL")
        if not tls and not is_loopback(host):
            raise ConfigError(
                f"{where}: {name}: {value} is not https; plain http or plaintext gRPC "
                f"is allowed only to loopback (tests, the demo)"
            )
        if not is_loopback(host) and not is_provider_host(host) and host.lower() not in allowed_hosts():
            raise ConfigError(
                f"{where}: {name}: {host} is not the provider's default endpoint; "
                f"allow it outside the repository with {ALLOW_ENDPOINTS_ENV}={host}"
            )
