"""Well-known secret formats, and the provider-style hint kept in place of each secret.

The formats are each vendor's documented token prefix and shape, checked against the public
gitleaks rule set (v8.30, rule ids in benchmarks/README.md) and loosened where a vendor does
not promise a fixed length; the measured recall and precision are in benchmarks/README.md.
Families without a format of their own (Cohere, Datadog, Cloudflare API tokens, Twilio auth
tokens, Mistral, ...) are typed by the name they are stored under (NAMED_TYPES). A prefix this
specific rarely matches by accident, and these values sit in fields meant for credentials, so
recall matters more than in a repo-wide scan.

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


def _prefixed_hint(prefix_len: int, head: int = 3, tail: int = 4) -> Callable[[str, re.Match[str]], str]:
    def hint(value: str, match: re.Match[str]) -> str:
        keep = prefix_len if prefix_len >= 0 else len(match.group("prefix"))
        return f"{value[: keep + head]}...{value[-tail:]}"

    return hint


def _last_eight(value: str, match: re.Match[str]) -> str:
    return value[-8:]


def _generic(value: str, match: re.Match[str]) -> str:
    return secret_hint(value)


def _pem(value: str, match: re.Match[str]) -> str:
    return f"-----BEGIN {match.group('label').strip()}-----"


@dataclass(frozen=True)
class Format:
    secret_type: str
    regex: re.Pattern[str]
    hint: Callable[[str, re.Match[str]], str]
    provider: str  # whose credential this is: aws, openai, anthropic, github, ...
    is_identifier: bool = False  # AWS key ids identify a key; they are not the secret


def _re(pattern: str, flags: int = 0) -> re.Pattern[str]:
    # Token boundaries: not preceded or followed by a character the token could contain.
    return re.compile(rf"(?<![A-Za-z0-9_\-])(?:{pattern})(?![A-Za-z0-9_\-])", flags)


def _p(secret_type: str, prefix: str, body: str, provider: str, flags: int = 0) -> Format:
    """A prefixed token; its hint is the prefix, three characters and the last four."""
    return Format(secret_type, _re(rf"(?P<prefix>{prefix}){body}", flags), _prefixed_hint(-1), provider)


def _g(secret_type: str, pattern: str, provider: str, flags: int = 0) -> Format:
    return Format(secret_type, _re(pattern, flags), _generic, provider)


# Order matters where formats overlap: the first match of a span wins (it is blanked before the
# next format runs), so a specific prefix comes before a general one (sk-ant- before sk-,
# xoxe.xoxb- before xoxb-, glpat- routable before glpat-).
FORMATS: tuple[Format, ...] = (
    # --- AWS --------------------------------------------------------------------------------
    Format("aws_access_key_id", _re(r"(?:AKIA|ABIA|ACCA)[A-Z0-9]{16}"), lambda v, m: v, "aws", is_identifier=True),
    Format("aws_temporary_access_key_id", _re(r"ASIA[A-Z0-9]{16}"), lambda v, m: v, "aws", is_identifier=True),
    _p("aws_bedrock_api_key", "ABSK", r"[A-Za-z0-9+/]{109,269}={0,2}", "aws"),
    _p("aws_bedrock_short_term_api_key", "bedrock-api-key-", r"YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=%]*", "aws"),
    # --- GitHub -----------------------------------------------------------------------------
    Format("github_fine_grained_pat", _re(r"github_pat_[A-Za-z0-9_]{60,255}"), _last_eight, "github"),
    Format("github_pat", _re(r"ghp_[A-Za-z0-9]{36,255}"), _last_eight, "github"),
    Format("github_oauth_token", _re(r"gho_[A-Za-z0-9]{36,255}"), _last_eight, "github"),
    Format("github_app_user_token", _re(r"ghu_[A-Za-z0-9]{36,255}"), _last_eight, "github"),
    Format("github_app_installation_token", _re(r"ghs_[A-Za-z0-9]{36,255}"), _last_eight, "github"),
    Format("github_refresh_token", _re(r"ghr_[A-Za-z0-9]{36,255}"), _last_eight, "github"),
    # --- AI providers -----------------------------------------------------------------------
    # keys end in "AA"; shorter or other endings are truncated copies or other text
    _p("anthropic_admin_key", "sk-ant-admin01-", r"[A-Za-z0-9_\-]{78,}AA", "anthropic"),
    _p("anthropic_api_key", "sk-ant-api03-", r"[A-Za-z0-9_\-]{78,}AA", "anthropic"),
    _p("anthropic_oauth_token", r"sk-ant-o[ar]t01-", r"[A-Za-z0-9_\-]{40,}", "anthropic"),
    _p("openai_admin_key", "sk-admin-", r"[A-Za-z0-9_\-]{20,}", "openai"),
    _p("openai_service_account_key", "sk-svcacct-", r"[A-Za-z0-9_\-]{20,}", "openai"),
    _p("openai_project_key", "sk-proj-", r"[A-Za-z0-9_\-]{20,}", "openai"),
    _p("openrouter_api_key", "sk-or-v1-", r"[a-f0-9]{64}", "openrouter"),
    _p("openai_api_key", "sk-", r"(?:None-)?(?:[A-Za-z0-9]{48}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})", "openai"),
    _p("groq_api_key", "gsk_", r"[A-Za-z0-9]{52}", "groq"),
    _p("xai_api_key", "xai-", r"[A-Za-z0-9]{80}", "xai"),
    _p("perplexity_api_key", "pplx-", r"[A-Za-z0-9]{48}", "perplexity"),
    _p("replicate_api_token", "r8_", r"[A-Za-z0-9]{37}", "replicate"),
    _p("tavily_api_key", "tvly-", r"(?:dev-|prod-)?[A-Za-z0-9]{32}", "tavily"),
    _p("huggingface_token", "hf_", r"[A-Za-z]{34}", "huggingface"),
    _p("huggingface_org_token", "api_org_", r"[A-Za-z]{34}", "huggingface"),
    # --- chat and collaboration -------------------------------------------------------------
    _g("slack_config_token", r"xoxe\.xox[bp]-\d-[A-Za-z0-9]{100,}", "slack"),
    _g("slack_config_refresh_token", r"xoxe-\d-[A-Za-z0-9]{100,}", "slack"),
    _g("slack_bot_token", r"xoxb-[0-9]{6,}-[A-Za-z0-9\-]{8,}", "slack"),
    _g("slack_user_token", r"xox[pe]-[0-9]{6,}-[A-Za-z0-9\-]{8,}", "slack"),
    _g("slack_legacy_workspace_token", r"xox[ar]-(?:\d-)?[0-9A-Za-z]{8,48}", "slack"),
    _g("slack_legacy_token", r"xox[os]-\d+-\d+-\d+-[A-Fa-f0-9]+", "slack"),
    _g("slack_app_token", r"xapp-\d-[A-Za-z0-9]+-\d+-[A-Za-z0-9]+", "slack"),
    _g(
        "slack_webhook_url",
        r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{20,}",
        "slack",
    ),
    _p("linear_api_key", "lin_api_", r"[A-Za-z0-9]{40}", "linear"),
    _p("linear_oauth_token", "lin_oauth_", r"[A-Za-z0-9]{40,64}", "linear"),
    _p("notion_api_token", "ntn_", r"[0-9]{11}[A-Za-z0-9]{35}", "notion"),
    _p("notion_legacy_integration_token", "secret_", r"[A-Za-z0-9]{43}", "notion"),
    _p("atlassian_api_token", "ATATT3", r"[A-Za-z0-9_\-=]{150,}", "atlassian"),
    _p("bitbucket_app_password", "ATBB", r"[A-Za-z0-9_=.\-]{28,}", "atlassian"),
    _g("telegram_bot_token", r"[0-9]{8,10}:AA[0-9A-Za-z_\-]{33}", "telegram"),
    # --- code hosting and CI ----------------------------------------------------------------
    _g("gitlab_personal_access_token", r"glpat-[0-9A-Za-z_\-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7}", "gitlab"),
    _g("gitlab_runner_token", r"glrt-t\d_[0-9A-Za-z_\-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7}", "gitlab"),
    _g("gitlab_personal_access_token", r"glpat-[A-Za-z0-9_\-]{20,}", "gitlab"),
    _g("gitlab_deploy_token", r"gldt-[A-Za-z0-9_\-]{20,}", "gitlab"),
    _g("gitlab_runner_token", r"glrt-[A-Za-z0-9_\-]{20,}", "gitlab"),
    _g("gitlab_runner_registration_token", r"GR1348941[A-Za-z0-9_\-]{20}", "gitlab"),
    _g("gitlab_pipeline_trigger_token", r"glptt-[A-Za-z0-9_\-]{20,}", "gitlab"),
    _g("gitlab_feature_flag_client_token", r"glffct-[A-Za-z0-9_\-]{20,}", "gitlab"),
    _g("gitlab_ci_job_token", r"glcbt-[A-Za-z0-9]{1,5}_[A-Za-z0-9_\-]{20,}", "gitlab"),
    _g("gitlab_token", r"gl(?:soat|oas|ft|imt|agent)-[A-Za-z0-9_\-]{20,}", "gitlab"),
    _p("npm_token", "npm_", r"[A-Za-z0-9]{36}", "npm"),
    _p("pypi_token", "pypi-AgEIcHlwaS5vcmc", r"[A-Za-z0-9_\-]{50,}", "pypi"),
    _p("docker_hub_pat", "dckr_pat_", r"[A-Za-z0-9_\-]{27,}", "docker"),
    _p("pulumi_access_token", "pul-", r"[a-f0-9]{40}", "pulumi"),
    _g("terraform_cloud_token", r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_\-=]{60,70}", "hashicorp"),
    _p("postman_api_key", "PMAK-", r"[a-f0-9]{24}-[a-f0-9]{34}", "postman"),
    # --- cloud, data and operations ---------------------------------------------------------
    _g("google_api_key", r"AIza[A-Za-z0-9_\-]{35}", "google"),
    _p("google_oauth_client_secret", "GOCSPX-", r"[A-Za-z0-9_\-]{28}", "google"),
    _p("google_oauth_access_token", r"ya29\.", r"[A-Za-z0-9_\-]{30,}", "google"),
    Format(
        "azure_client_secret",
        re.compile(r"(?<![A-Za-z0-9_~.\-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}(?![A-Za-z0-9_~.\-])"),
        _generic,
        "azure",
    ),
    _p("databricks_token", "dapi", r"[a-f0-9]{32}(?:-\d)?", "databricks"),
    _p("digitalocean_pat", "dop_v1_", r"[a-f0-9]{64}", "digitalocean"),
    _p("digitalocean_oauth_token", "doo_v1_", r"[a-f0-9]{64}", "digitalocean"),
    _p("digitalocean_refresh_token", "dor_v1_", r"[a-f0-9]{64}", "digitalocean"),
    _p("doppler_token", r"dp\.(?:pt|st|sa|ct|scim|audit)\.", r"[A-Za-z0-9]{40,44}", "doppler"),
    _p("onepassword_service_account_token", "ops_", r"eyJ[A-Za-z0-9+/]{200,}={0,3}", "1password"),
    _g(
        "onepassword_secret_key",
        r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}",
        "1password",
    ),
    _p("cloudflare_origin_ca_key", r"v1\.0-", r"[a-f0-9]{24}-[a-f0-9]{146}", "cloudflare"),
    _p("sentry_user_token", "sntryu_", r"[a-f0-9]{64}", "sentry"),
    _p("sentry_org_token", "sntrys_", r"eyJ[A-Za-z0-9+/=_]{40,}", "sentry"),
    _p("grafana_service_account_token", "glsa_", r"[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}", "grafana"),
    _p("grafana_cloud_token", "glc_", r"[A-Za-z0-9+/]{32,400}={0,3}", "grafana"),
    _p("heroku_api_key", "HRKU-AA", r"[0-9A-Za-z_\-]{58}", "heroku"),
    _p("supabase_access_token", "sbp_", r"[a-f0-9]{40}", "supabase"),
    _p("supabase_secret_key", "sb_secret_", r"[A-Za-z0-9_\-]{20,}", "supabase"),
    _p("planetscale_token", r"pscale_(?:tkn|pw|oauth)_", r"[A-Za-z0-9_=.\-]{32,64}", "planetscale"),
    _p("sendgrid_api_key", r"SG\.", r"[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}", "sendgrid"),
    _p("brevo_api_key", "xkeysib-", r"[a-f0-9]{64}-[A-Za-z0-9]{16}", "brevo"),
    _p("mailgun_api_key", "key-", r"[a-f0-9]{32}", "mailgun"),
    Format("twilio_api_key_sid", _re(r"SK[0-9a-fA-F]{32}"), lambda v, m: v, "twilio", is_identifier=True),
    _p("shopify_token", r"shp(?:at|ca|pa|ss)_", r"[a-fA-F0-9]{32}", "shopify"),
    _p("stripe_live_key", r"sk_(?:live|prod)_", r"[A-Za-z0-9]{10,247}", "stripe"),
    _p("stripe_test_key", "sk_test_", r"[A-Za-z0-9]{10,247}", "stripe"),
    _p("stripe_restricted_key", r"rk_(?:live|test|prod)_", r"[A-Za-z0-9]{10,247}", "stripe"),
    _p("stripe_webhook_secret", "whsec_", r"[A-Za-z0-9+/=]{24,}", "stripe"),
    _p("age_secret_key", "AGE-SECRET-KEY-1", r"[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", "age"),
    Format(
        "private_key",
        re.compile(
            r"-----BEGIN (?P<label>[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?)-----.*?"
            r"-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----",
            re.S,
        ),
        _pem,
        "pem",
    ),
    _g("jwt", r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", "jwt"),
    # an unsigned token (alg none): the signature part is empty, the token still works
    _g("jwt_unsigned", r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.(?![A-Za-z0-9_\-])", "jwt"),
)

# An AWS secret access key: 40 characters of base64; only trusted next to a key id or under
# a variable name that says so, since any 40-character string would match.
AWS_SECRET_RE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
# Vendors' documented example keys, never real (each vendor's own docs and the gitleaks rule
# set's allow-list); runs of x, ellipses and "your-key-here" text are caught by detect.py.
KNOWN_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",  # AWS
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AKIAI44QH8DHBEXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",  # Stripe's API reference
        "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",  # GitHub's REST docs
        # jwt.io's default token
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
        ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    }
)

# Families without a format of their own, typed by the name a value is stored under (the
# first match wins; more specific names first). detected_by stays "name".
NAMED_TYPES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern, re.I), secret_type, provider)
    for pattern, secret_type, provider in (
        (r"azure.*openai|aoai", "azure_openai_key", "azure"),
        (r"(azure|arm)[_-]?client[_-]?secret", "azure_client_secret", "azure"),
        (r"azure.*(storage|account)[_-]?key|^account[_-]?key$", "azure_storage_key", "azure"),
        (r"cohere|^co_api_key$", "cohere_api_key", "cohere"),
        (r"mistral", "mistral_api_key", "mistral"),
        (r"datadog.*app|^dd_app(lication)?_key$", "datadog_app_key", "datadog"),
        (r"datadog|^dd_api_key$", "datadog_api_key", "datadog"),
        (r"cloudflare|^cf_api", "cloudflare_api_token", "cloudflare"),
        (r"twilio", "twilio_auth_token", "twilio"),
        (r"sendgrid", "sendgrid_api_key", "sendgrid"),
        (r"sentry", "sentry_auth_token", "sentry"),
        (r"linear", "linear_api_key", "linear"),
        (r"notion", "notion_api_token", "notion"),
        (r"atlassian|jira|confluence", "atlassian_api_token", "atlassian"),
        (r"databricks", "databricks_token", "databricks"),
        (r"digitalocean|^do_token$", "digitalocean_token", "digitalocean"),
        (r"doppler", "doppler_token", "doppler"),
        (r"^op_service_account|1password", "onepassword_service_account_token", "1password"),
        (r"pinecone", "pinecone_api_key", "pinecone"),
        (r"elevenlabs|xi[_-]api[_-]key", "elevenlabs_api_key", "elevenlabs"),
        (r"deepseek", "deepseek_api_key", "deepseek"),
        (r"together", "together_api_key", "together"),
        (r"fireworks", "fireworks_api_key", "fireworks"),
        (r"voyage", "voyage_api_key", "voyage"),
        (r"brave", "brave_search_api_key", "brave"),
        (r"exa[_-]api", "exa_api_key", "exa"),
        (r"firecrawl", "firecrawl_api_key", "firecrawl"),
        (r"anthropic|claude", "anthropic_api_key", "anthropic"),
        (r"openai", "openai_api_key", "openai"),
        (r"gemini|google[_-]?(ai|api)", "google_api_key", "google"),
        (r"huggingface|^hf_", "huggingface_token", "huggingface"),
        (r"github|^gh_", "github_token", "github"),
        (r"gitlab", "gitlab_token", "gitlab"),
        (r"slack", "slack_token", "slack"),
        (r"stripe", "stripe_key", "stripe"),
        (r"postgres|mysql|database|^db_|redis|mongo", "database_password", "database"),
    )
)


def hint_for(secret_type: str, value: str) -> str:
    """The hint for a value already known to be of ``secret_type``."""
    for fmt in FORMATS:
        if fmt.secret_type == secret_type:
            match = fmt.regex.search(value)
            if match:
                return fmt.hint(value, match)
    return secret_hint(value)
