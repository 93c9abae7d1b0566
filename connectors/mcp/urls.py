"""Credentials in a URL's path: vendors' webhook and key-in-path formats, and generated values
in the positions where credentials are put; and a token given as the URL's user name.

Ordinary URLs are full of long ids (a Google Docs id, a commit sha, a UUID or a Stripe object
id in a REST path), so a segment is never taken for a secret by its look alone. It is one when

- the whole URL has a vendor's documented shape (URL_FORMATS: a Discord or Teams webhook, a
  Telegram bot URL, a Zapier catch hook, ...), typed as that vendor's credential; or
- it sits where credentials go and looks generated:
  - right after a segment that names a secret (``/key/<x>``, ``/token/<x>``, ``/apikey/<x>``;
    the plural ``/api-keys/<id>`` is a REST collection and is not one);
  - after a webhook segment or on a webhook host (``/hooks/...``, ``/webhook/...``,
    ``hooks.example.com``), when random (mixed case and digits, a long single-case mix of
    letters and digits, or 32+ hex digits); a UUID only right after a singular ``hook`` or
    ``webhook`` (n8n, Feishu), since ``/webhooks/<uuid>`` is a REST resource;
  - right before an MCP transport suffix (``/<key>/sse``, ``/<key>/mcp``), when random;
  but never on a cloud console's host (``console.cloud.google.com``, ...): its pages name
  resources by id.

The precision and recall measured on tests/mcp/url_corpus.txt are in benchmarks/README.md.
Placeholders are filtered by the caller (detect.py), which knows them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import unquote

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
UUID_RE = re.compile(UUID)


@dataclass(frozen=True)
class UrlFormat:
    secret_type: str
    provider: str
    host: re.Pattern[str]  # the whole host name, lower case
    path: re.Pattern[str]  # from the start of the path; group "secret" is the credential


def _f(secret_type: str, provider: str, host: str, path: str) -> UrlFormat:
    return UrlFormat(secret_type, provider, re.compile(host), re.compile(path))


# Each vendor's documented URL shape (the vendor's own docs page is named in the corpus line
# of tests/mcp/url_corpus.txt). Slack's webhook URL is a plain format in patterns.py.
URL_FORMATS: tuple[UrlFormat, ...] = (
    _f(
        "discord_webhook_url",
        "discord",
        r"(?:ptb\.|canary\.)?discord(?:app)?\.com",
        r"/api(?:/v\d+)?/webhooks/\d{17,20}/(?P<secret>[A-Za-z0-9_\-]{60,100})(?:/|$)",
    ),
    _f(
        "teams_webhook_url",
        "microsoft",
        r"[a-z0-9\-]+\.webhook\.office\.com|outlook\.office(?:365)?\.com",
        rf"/webhook(?:b2)?/{UUID}@{UUID}/IncomingWebhook/(?P<secret>[a-fA-F0-9]{{32}})/{UUID}",
    ),
    _f(
        "telegram_bot_token",
        "telegram",
        r"api\.telegram\.org",
        r"/(?:file/)?bot(?P<secret>[0-9]{8,10}:[A-Za-z0-9_\-]{35})(?:/|$)",
    ),
    _f(
        "feishu_webhook_url",
        "feishu",
        r"open\.(?:feishu\.cn|larksuite\.com|larkoffice\.com)",
        rf"/open-apis/bot/v2/hook/(?P<secret>{UUID}|[A-Za-z0-9\-]{{20,}})(?:/|$)",
    ),
    _f(
        "pagerduty_integration_key",
        "pagerduty",
        r"events\.(?:eu\.)?pagerduty\.com",
        r"/integration/(?P<secret>[a-fA-F0-9]{32})/enqueue",
    ),
    _f("zapier_webhook_url", "zapier", r"hooks\.zapier\.com", r"/hooks/catch/\d+/(?P<secret>[a-z0-9]{5,12})/?$"),
    _f(
        "ifttt_webhook_key",
        "ifttt",
        r"maker\.ifttt\.com",
        r"/trigger/[^/]+/(?:json/)?with/key/(?P<secret>[A-Za-z0-9_\-]{16,})(?:/|$)",
    ),
    _f("netlify_build_hook", "netlify", r"api\.netlify\.com", r"/build_hooks/(?P<secret>[a-f0-9]{24})(?:/|$)"),
    _f(
        "vercel_deploy_hook",
        "vercel",
        r"api\.vercel\.com",
        r"/v1/integrations/deploy/prj_[A-Za-z0-9]+/(?P<secret>[A-Za-z0-9]{6,})(?:/|$)",
    ),
    _f(
        "datadog_api_key",
        "datadog",
        r"http-intake\.logs\.(?:[a-z0-9]+\.)?datadoghq\.(?:com|eu)",
        r"/v1/input/(?P<secret>[a-fA-F0-9]{32})(?:/|$)",
    ),
)

# A segment naming the secret that follows it. Singular only: "/api-keys/<id>" is a collection.
SECRET_SEGMENT_RE = re.compile(
    r"(?i)^(?:api[-_]?key|access[-_]?key|key|(?:access[-_]|auth[-_])?token|secret|passw(?:or)?d|sig|signature)$"
)
WEBHOOK_SEGMENTS = frozenset({"hook", "hooks", "webhook", "webhooks", "webhookb2", "incomingwebhook"})
SINGULAR_HOOKS = frozenset({"hook", "webhook"})
WEBHOOK_HOST_RE = re.compile(r"^(?:hooks?|webhooks?)\.")
TRANSPORT_SEGMENTS = frozenset({"sse", "mcp", "messages", "stream"})
# Cloud consoles' web pages (not APIs): their paths name resources by id, and the Google Cloud
# console's API key page, /apis/credentials/key/<key uid>, has the key's id, not the key, right
# where IFTTT-style URLs carry a key.
CONSOLE_HOST_RE = re.compile(
    r"^(?:console\.cloud\.google\.com|(?:[a-z0-9\-]+\.)?console\.aws\.amazon\.com|portal\.azure\.com)$"
)
TOKEN_CHARS_RE = re.compile(r"^[A-Za-z0-9_\-.~+=:]+$")


@dataclass(frozen=True)
class PathSecret:
    secret_type: str
    provider: str
    detected_by: str  # "format": a vendor's URL shape; "url": a credential position
    value: str  # as written in the URL (not percent-decoded), so it can be masked in place


def entropy(value: str) -> float:
    """Shannon entropy per character."""
    counts = [value.count(c) for c in set(value)]
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts)


def random_looking(value: str) -> bool:
    """Mixed case and digits with high entropy: what a generated key looks like, not 'x' * 40."""
    if not (re.search(r"[a-z]", value) and re.search(r"[A-Z]", value) and re.search(r"[0-9]", value)):
        return False
    return entropy(value) >= 3.5


def _token_shaped(value: str) -> bool:
    """Could be a credential: one word of token characters, long, letters and digits."""
    return (
        len(value) >= 16
        and bool(TOKEN_CHARS_RE.match(value))
        and bool(re.search(r"[A-Za-z]", value) and re.search(r"[0-9]", value))
        and entropy(value) >= 3.0
    )


def _generated(value: str) -> bool:
    """Looks generated, not an id or a word: mixed case, a long one-case mix of letters and
    digits (Mattermost's 26), or 32+ hex digits (128 bits, more than an object id)."""
    if not TOKEN_CHARS_RE.match(value) or len(value) < 16:
        return False
    if random_looking(value):
        return True
    if re.fullmatch(r"[a-f0-9]{32,}|[A-F0-9]{32,}", value):
        return True
    one_case = re.fullmatch(r"[a-z0-9]{20,}|[A-Z0-9]{20,}", value)
    return bool(one_case and re.search(r"[0-9]", value) and re.search(r"[A-Za-z]", value) and entropy(value) >= 3.5)


def userinfo_token(value: str) -> bool:
    """A URL's user name that is a generated token (``https://<token>@host``, ``<token>:@``,
    ``<token>:x-oauth-basic@``): mixed case and digits, 20 or more; or 40 or more letters and
    digits of one case (a 40-hex GitHub token from before prefixes, an Azure DevOps PAT). A
    name, an e-mail address, a UUID account id or Sentry's 32-hex public DSN key is not one."""
    if len(value) < 20 or not TOKEN_CHARS_RE.match(value):
        return False
    if random_looking(value):
        return True
    one_case = re.fullmatch(r"[a-z0-9]{40,}|[A-Z0-9]{40,}", value)
    return bool(one_case and re.search(r"[0-9]", value) and re.search(r"[A-Za-z]", value) and entropy(value) >= 3.5)


def path_secrets(host: str, path: str) -> list[PathSecret]:
    """The credentials in one URL's path (``host`` lower case, ``path`` as written)."""
    for fmt in URL_FORMATS:
        if fmt.host.fullmatch(host):
            match = fmt.path.match(path)
            if match:
                return [PathSecret(fmt.secret_type, fmt.provider, "format", match.group("secret"))]
    if CONSOLE_HOST_RE.match(host):
        return []  # a cloud console's page: resource ids in its path, never a credential
    raw = path.split("/")
    segments = [unquote(seg) for seg in raw]
    webhook_from = 0 if WEBHOOK_HOST_RE.match(host) else None
    last = len(segments) - 1
    while last > 0 and not segments[last]:
        last -= 1
    found = []
    for index, segment in enumerate(segments):
        before = segments[index - 1].lower() if index else ""
        if webhook_from is None and segment.lower() in WEBHOOK_SEGMENTS:
            webhook_from = index
        credential = (
            (SECRET_SEGMENT_RE.match(before) is not None and _token_shaped(segment))
            or (webhook_from is not None and index > webhook_from and _generated(segment))
            or (before in SINGULAR_HOOKS and UUID_RE.fullmatch(segment) is not None)
            or (
                index == last - 1
                and segments[last].lower() in TRANSPORT_SEGMENTS
                and len(segment) >= 20
                and random_looking(segment)
            )
        )
        if credential:
            found.append(PathSecret("url_path_secret", "generic", "url", raw[index]))
    return found
