"""What to scan when there is no nhi.yaml: the providers whose standard credentials are present.

Detection only looks (environment variables, the SDKs' well-known credential files, botocore's
own credential chain); it makes no API call, so it is fast and changes nothing. The scan then
finds out whether the credentials work, and an authentication failure ends with a next step
(:func:`next_step`). ``nhi init`` uses the same detection to write a commented nhi.yaml.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nhi_cli import extras
from nhi_cli.errors import ConfigError

# Detection order is the order of the stderr report and of `nhi init`'s sections.
PROVIDERS = ("aws", "gcp", "azure", "github", "openai", "anthropic", "mcp")


@dataclass
class Detection:
    provider: str
    found: bool
    reason: str  # where the credentials come from, or why the provider is skipped
    settings: dict[str, Any] = field(default_factory=dict)  # what goes under providers.<name>

    def line(self) -> str:
        return f"nhi: {self.provider}: {'found' if self.found else 'skipped'}: {self.reason}"


def _missing_sdk(provider: str) -> Detection | None:
    module = extras.missing_module(provider)
    if module is None:
        return None
    extra = extras.PROVIDER_EXTRAS[provider][0]
    return Detection(provider, False, f"{module} is not installed (pip install '{extras.DISTRIBUTION}[{extra}]')")


def detect_aws(profile: str | None = None, org: bool = False) -> Detection:
    """botocore's default chain (or ``profile``): environment, shared files, SSO, container or
    instance role. Resolving it reads files only; SSO and assume-role credentials load lazily."""
    if missing := _missing_sdk("aws"):
        return missing
    import botocore.session
    from botocore.exceptions import BotoCoreError, ProfileNotFound

    profile = profile or os.environ.get("AWS_PROFILE") or None
    settings: dict[str, Any] = {"org": True} if org else {}
    if profile:
        settings["profile"] = profile
    try:
        credentials = botocore.session.Session(profile=profile).get_credentials()
    except ProfileNotFound:
        raise ConfigError(
            f"AWS profile {profile!r} is not in {_aws_config_file()}; "
            "list the profiles with `aws configure list-profiles`"
        ) from None
    except BotoCoreError as exc:
        return Detection("aws", False, f"the AWS credential chain failed: {exc}", settings)
    if credentials is None:
        return Detection(
            "aws",
            False,
            "no credentials in the AWS default chain (environment, ~/.aws, SSO, "
            "instance role); run `aws configure` or `aws sso login`, or pass --profile",
        )
    source = {
        "env": "environment variables",
        "shared-credentials-file": "~/.aws/credentials",
        "config-file": "~/.aws/config",
        "sso": "AWS SSO",
        "assume-role": "an assume-role profile",
        "iam-role": "the instance role",
        "container-role": "the container role",
        "assume-role-with-web-identity": "web identity (OIDC)",
    }.get(credentials.method, credentials.method)
    where = f"profile {profile} ({source})" if profile else source
    return Detection("aws", True, f"credentials from {where}" + (", Organization mode" if org else ""), settings)


def _aws_config_file() -> str:
    return os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"


def _gcloud_adc_file() -> Path:
    config_dir = os.environ.get("CLOUDSDK_CONFIG")
    base = Path(config_dir) if config_dir else Path.home() / ".config" / "gcloud"
    return base / "application_default_credentials.json"


def detect_gcp() -> Detection:
    """Application Default Credentials from a file. The metadata server of GCE/GKE is not
    probed (a network wait on every other machine): there, ask for it with --provider gcp."""
    if missing := _missing_sdk("gcp"):
        return missing
    key_file = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if key_file:
        if Path(key_file).is_file():
            return Detection("gcp", True, "Application Default Credentials from GOOGLE_APPLICATION_CREDENTIALS")
        return Detection("gcp", False, f"GOOGLE_APPLICATION_CREDENTIALS names a missing file ({key_file})")
    if _gcloud_adc_file().is_file():
        return Detection("gcp", True, "Application Default Credentials from `gcloud auth application-default login`")
    return Detection(
        "gcp",
        False,
        "no Application Default Credentials; set GOOGLE_APPLICATION_CREDENTIALS or run "
        "`gcloud auth application-default login` (on GCE/GKE: --provider gcp)",
    )


def detect_azure() -> Detection:
    """DefaultAzureCredential's sources that can be seen without a network call."""
    if missing := _missing_sdk("azure"):
        return missing
    env = os.environ
    if (
        env.get("AZURE_TENANT_ID")
        and env.get("AZURE_CLIENT_ID")
        and (
            env.get("AZURE_CLIENT_SECRET")
            or env.get("AZURE_CLIENT_CERTIFICATE_PATH")
            or env.get("AZURE_FEDERATED_TOKEN_FILE")
        )
    ):
        return Detection("azure", True, "a service principal from AZURE_TENANT_ID/AZURE_CLIENT_ID in the environment")
    if env.get("IDENTITY_ENDPOINT") or env.get("MSI_ENDPOINT"):
        return Detection("azure", True, "the managed identity of this host")
    config_dir = Path(env.get("AZURE_CONFIG_DIR") or Path.home() / ".azure")
    if shutil.which("az") and any(
        (config_dir / name).is_file() for name in ("msal_token_cache.json", "msal_token_cache.bin")
    ):
        return Detection("azure", True, f"the Azure CLI sign-in ({config_dir})")
    return Detection(
        "azure",
        False,
        "no service principal in the environment (AZURE_TENANT_ID, AZURE_CLIENT_ID, "
        "AZURE_CLIENT_SECRET) and no Azure CLI sign-in; run `az login`",
    )


def detect_github() -> Detection:
    if os.environ.get("GITHUB_TOKEN"):
        return Detection("github", True, "GITHUB_TOKEN (the token's orgs)")
    return Detection("github", False, "GITHUB_TOKEN is not set")


def _admin_key(provider: str, title: str) -> Detection:
    env = f"{provider.upper()}_ADMIN_KEY"
    if os.environ.get(env):
        return Detection(provider, True, env)
    return Detection(provider, False, f"{env} is not set (an {title} Admin key)")


def detect_mcp() -> Detection:
    return Detection("mcp", True, f"MCP client configs of the current user under {Path.home()}")


DETECTORS: dict[str, Callable[..., Detection]] = {
    "gcp": detect_gcp,
    "azure": detect_azure,
    "github": detect_github,
    "openai": lambda: _admin_key("openai", "OpenAI"),
    "anthropic": lambda: _admin_key("anthropic", "Anthropic"),
    "mcp": detect_mcp,
}


def detect(only: list[str] | None = None, *, aws_profile: str | None = None, aws_org: bool = False) -> list[Detection]:
    """One Detection per known provider (or per provider in ``only``, each then scanned even
    without visible credentials: asking by name is how GCE's metadata server is used)."""
    unknown = sorted(set(only or []) - set(PROVIDERS))
    if unknown:
        raise ConfigError(f"--provider {', '.join(unknown)}: unknown provider; known: {', '.join(PROVIDERS)}")
    out = []
    for name in PROVIDERS:
        if only and name not in only:
            continue
        found = detect_aws(aws_profile, aws_org) if name == "aws" else DETECTORS[name]()
        if only and not found.found and extras.missing_module(name) is None:
            found = Detection(name, True, f"named by --provider ({found.reason})", found.settings)
        out.append(found)
    return out


# Error codes that mean "these credentials are missing, expired or not accepted".
AUTH_CODES = {
    "auth",
    "no_credentials",
    "NoCredentials",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "SSOTokenLoadError",
    "UnauthorizedSSOTokenError",
    "TokenRetrievalError",
    "UNAUTHENTICATED",
    "Unauthorized",
    "401",
    "bad_private_key",
    "no_private_key",
}


def next_step(provider: str, code: str | None, message: str | None, *, aws_profile: str | None = None) -> str | None:
    """What to do about an authentication failure of ``provider``; None when it is not one."""
    text = f"{code} {message or ''}"
    if code not in AUTH_CODES and not any(word in text.lower() for word in ("credential", "token", "unauth")):
        return None
    profile = aws_profile or os.environ.get("AWS_PROFILE")
    if provider == "aws":
        if profile and ("sso" in text.lower() or code in ("ExpiredToken", "TokenRetrievalError")):
            return f"run `aws sso login --profile {profile}`"
        if profile:
            return f"check the profile with `aws sts get-caller-identity --profile {profile}`"
        return "run `aws configure` or `aws sso login`, or set AWS_PROFILE / pass --profile"
    return {
        "gcp": "set GOOGLE_APPLICATION_CREDENTIALS to a key file or run `gcloud auth application-default login`",
        "azure": "run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET",
        "github": "set GITHUB_TOKEN to a token that can read the org (or configure a GitHub App in nhi.yaml)",
        "openai": "set OPENAI_ADMIN_KEY to an OpenAI Admin key (organization settings, Admin keys)",
        "anthropic": "set ANTHROPIC_ADMIN_KEY to an Anthropic Admin key (console settings, Admin keys)",
    }.get(provider)
