"""Well-known secret formats, and the provider-style hint kept in place of each secret.

The formats follow the public gitleaks rule set (checked against its rules for AWS, GitHub,
OpenAI, Anthropic, Slack, GitLab, Google, private keys and JWTs), loosened where a provider
does not promise a fixed length. A prefix this specific rarely matches by accident, and these
values sit in fields meant for credentials, so recall matters more than in a repo-wide scan.

The hint is the one the provider itself shows, so an inventory row can be matched with the
provider's own listing later: OpenAI ``redacted_value`` (``sk-proj-abc...wxyz``), Anthropic
``partial_key_hint`` (``sk-ant-api03-abc...wxAA``), GitHub ``token_last_eight``, AWS the
access key id (an identifier, not a secret).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from nhi_cli.kit.secrets import secret_hint


def _prefixed_hint(prefix_len: int, head: int = 3, tail: int = 4) -> Callable[[str, re.Match], str]:
    def hint(value: str, match: re.Match) -> str:
        keep = prefix_len if prefix_len >= 0 else len(match.group("prefix"))
        return f"{value[: keep + head]}...{value[-tail:]}"

    return hint


def _last_eight(value: str, match: re.Match) -> str:
    return value[-8:]


def _generic(value: str, match: re.Match) -> str:
    return secret_hint(value)


def _pem(value: str, match: re.Match) -> str:
    return f"-----BEGIN {match.group('label').strip()}-----"


@dataclass(frozen=True)
class Format:
    secret_type: str
    regex: re.Pattern
    hint: Callable[[str, re.Match], str]
    provider: str  # whose credential this is: aws, openai, anthropic, github, ...
    is_identifier: bool = False  # AWS key ids identify a key; they are not the secret


def _re(pattern: str, flags: int = 0) -> re.Pattern:
    # Token boundaries: not preceded or followed by a character the token could contain.
    return re.compile(rf"(?<![A-Za-z0-9_\-])(?:{pattern})(?![A-Za-z0-9_\-])", flags)


# Order matters where formats overlap: Anthropic's sk-ant- before OpenAI's legacy sk-.
FORMATS: tuple[Format, ...] = (
    Format("aws_access_key_id", _re(r"(?:AKIA|ABIA|ACCA)[A-Z0-9]{16}"), lambda v, m: v, "aws", is_identifier=True),
    Format("aws_temporary_access_key_id", _re(r"ASIA[A-Z0-9]{16}"), lambda v, m: v, "aws", is_identifier=True),
    Format("github_fine_grained_pat", _re(r"github_pat_[A-Za-z0-9_]{60,255}"), _last_eight, "github"),
    Format("github_pat", _re(r"ghp_[A-Za-z0-9]{36,255}"), _last_eight, "github"),
    Format("github_oauth_token", _re(r"gho_[A-Za-z0-9]{36,255}"), _last_eight, "github"),
    Format("github_app_user_token", _re(r"ghu_[A-Za-z0-9]{36,255}"), _last_eight, "github"),
    Format("github_app_installation_token", _re(r"ghs_[A-Za-z0-9]{36,255}"), _last_eight, "github"),
    Format("github_refresh_token", _re(r"ghr_[A-Za-z0-9]{36,255}"), _last_eight, "github"),
    Format(
        "anthropic_admin_key", _re(r"(?P<prefix>sk-ant-admin01-)[A-Za-z0-9_\-]{40,}"), _prefixed_hint(-1), "anthropic"
    ),
    Format("anthropic_api_key", _re(r"(?P<prefix>sk-ant-api03-)[A-Za-z0-9_\-]{40,}"), _prefixed_hint(-1), "anthropic"),
    Format(
        "anthropic_oauth_token",
        _re(r"(?P<prefix>sk-ant-o[ar]t01-)[A-Za-z0-9_\-]{40,}"),
        _prefixed_hint(-1),
        "anthropic",
    ),
    Format("openai_admin_key", _re(r"(?P<prefix>sk-admin-)[A-Za-z0-9_\-]{20,}"), _prefixed_hint(-1), "openai"),
    Format(
        "openai_service_account_key", _re(r"(?P<prefix>sk-svcacct-)[A-Za-z0-9_\-]{20,}"), _prefixed_hint(-1), "openai"
    ),
    Format("openai_project_key", _re(r"(?P<prefix>sk-proj-)[A-Za-z0-9_\-]{20,}"), _prefixed_hint(-1), "openai"),
    Format(
        "openai_api_key",
        _re(r"(?P<prefix>sk-)(?:[A-Za-z0-9]{48}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})"),
        _prefixed_hint(-1),
        "openai",
    ),
    Format(
        "slack_token",
        _re(r"xox[abposre]-[0-9]{6,}-[A-Za-z0-9\-]{8,}|xoxe\.xox[bp]-\d-[A-Za-z0-9]{100,}"),
        _generic,
        "slack",
    ),
    Format("slack_app_token", _re(r"xapp-\d-[A-Za-z0-9]+-\d+-[A-Za-z0-9]+"), _generic, "slack"),
    Format(
        "gitlab_token", _re(r"gl(?:pat|dt|rt|ptt|soat|cbt|oas|ft|imt|agent)-[A-Za-z0-9_\-]{20,}"), _generic, "gitlab"
    ),
    Format("google_api_key", _re(r"AIza[A-Za-z0-9_\-]{35}"), _generic, "google"),
    Format("stripe_live_key", _re(r"[sr]k_live_[A-Za-z0-9]{20,}"), _generic, "stripe"),
    Format("huggingface_token", _re(r"hf_[A-Za-z]{34}"), _generic, "huggingface"),
    Format("npm_token", _re(r"npm_[A-Za-z0-9]{36}"), _generic, "npm"),
    Format("pypi_token", _re(r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}"), _generic, "pypi"),
    Format(
        "private_key",
        re.compile(
            r"-----BEGIN (?P<label>[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?)-----"
            r".*?-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----",
            re.S,
        ),
        _pem,
        "pem",
    ),
    Format("jwt", _re(r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), _generic, "jwt"),
)

# An AWS secret access key: 40 characters of base64; only trusted next to a key id or under
# a variable name that says so, since any 40-character string would match.
AWS_SECRET_RE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
# Documentation examples, never real.
KNOWN_EXAMPLES = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def hint_for(secret_type: str, value: str) -> str:
    """The hint for a value already known to be of ``secret_type``."""
    for fmt in FORMATS:
        if fmt.secret_type == secret_type:
            match = fmt.regex.search(value)
            if match:
                return fmt.hint(value, match)
    return secret_hint(value)
