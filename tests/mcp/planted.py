"""Every fake secret planted in fixtures/mcp/ and fixtures/demo/mcp/, in one place.

Tests read the fixture files, scan them, and then search the database file, stdout and stderr
for each value below and for distinctive pieces of it (the parts a hint never shows). The
values are fake: right format, no account behind them.
"""

from __future__ import annotations

# --- the demo (fixtures/demo/mcp/home): the rogue agent ops-copilot --------------------------
DEMO_AWS_KEY_ID = "AKIANWOPSCOPILOT0001"  # an identifier, not a secret: it may be shown
DEMO_AWS_SECRET = "nWOps3ZDF2gyjniYpMBoCO0WX8SivsTMS2n/Zn01"
DEMO_OPENAI = "sk-proj-NWdDhU4XgaOzyx7J3SdoVwgP4T3BlbkFJFmErxTM1cHho4PA1b2"
DEMO_ANTHROPIC = (
    "sk-ant-api03-NWdAAANvkYfQv9NomBbjl2y4y5qtO2oSoJGr297EYx8ZXnd1mof4efXgMxhV8az36a4sMzMJ5xu09kc24Qo4YXgInJMxQAA"
)
DEMO_GITHUB = "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"
DEMO_SLACK = "xoxb-2400000000001-2400000000002-swFwTjT7fXwZ8Qz8IpCRMRz5"
DEMO_GOOGLE = "AIzaSyKaeHCk7FeRvH4SUeledHRZHeDFHzML001"

DEMO_SECRETS = {
    "aws_secret_access_key": DEMO_AWS_SECRET,
    "openai_project_key": DEMO_OPENAI,
    "anthropic_api_key": DEMO_ANTHROPIC,
    "github_fine_grained_pat": DEMO_GITHUB,
    "slack_token": DEMO_SLACK,
    "google_api_key": DEMO_GOOGLE,
}

# --- the client tree (fixtures/mcp/): one or more per client and field ----------------------
GH_CLASSIC = "ghp_SbWKBCo8IrKLsA6ukNIMqWwRgmAo0000XyZ9"  # 36 after the prefix
CLI_API_KEY = "cli-EeZQlQykEdBQQQx3h9IS"  # by flag name: --api-key=
PG_PASSWORD = "Pg9QeFhX8Bj0MkXJ1b"  # inside postgres://...:<pw>@ in args
ANTHROPIC_ADMIN = (
    "sk-ant-admin01-FakIitlZGHVtIgI2rnICQYfkwaEWnr1rhluirLT28usPN5OMmTIFJYEAKr1jwF3kVhpdaCbEjquazkrt12wqAA"
)
OPENAI_SVCACCT = "sk-svcacct-FakQiXCMCgLv8WdEuhHkZnaT3BlbkFJ7rjNmpFBwFKA0sayAYj6Zz99"
GITLAB = "glpat-26HqwZGxomRXKdaoNLTA"
URL_TOKEN = "qtok-87it8xL2OqXOdlWtzvPQx0y9"  # ?token= in a committed .mcp.json
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJmYWtlLWN1cnNvci1hZ2VudCIsImlhdCI6MTcwMDAwMDAwMH0"
    ".fmlKj4hqogFsPKHLaZDF0yTlzgdqn0f1EznBuwBE"
)
URL_PASSWORD = "Cu7rjNmpFBwFKA0sayA"
AWS_TEMP_ID = "ASIAFAKEVSCODETEMP01"
AWS_TEMP_SECRET = "Fk2gyjniYpMBoCO0WX8Siv/sTMS2nZnLrOe3ZDF2"
PEM_BODY = "MIIEvgvYkSGamKgGSgk8peHtd3x87dyTlQMZgkLYkPfKhuNWhlawfGH6unBAkVUcu"
PEM = f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----"
STRIPE = "sk_live_YmpPj8uqDX4uQ7ziEb1nJiJRJ2o5"
GOOGLE_WINDSURF = "AIzaSyPQ5GatXKHOPB5eoFT3TwbwREgOhShc001"
OPENAI_LEGACY_DEFAULT = "sk-SMfDBG3pyh6MAXcMFakeT3BlbkFJ9QeFhX8Bj0MkXJ1ber00"  # ${X:-<this>}
SHARED_OPENAI = "sk-proj-SHRvvduksF6LPrIYrdtQp4OT3BlbkFJ3Fths5tsF0h1VzyZkYSh4R"
HUGGINGFACE = "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"  # Gemini CLI settings.json env
NAMED_PASSWORD = "h2Qy7Lfk-Pw9x"  # by name: DB_PASSWORD

FIXTURE_SECRETS = {
    # value: (secret_type, client, file under the tree, server, field)
    GH_CLASSIC: (
        "github_pat",
        "claude_desktop",
        "home/.config/Claude/claude_desktop_config.json",
        "github",
        "env GITHUB_PERSONAL_ACCESS_TOKEN",
    ),
    CLI_API_KEY: (
        "named_secret",
        "claude_desktop",
        "home/.config/Claude/claude_desktop_config.json",
        "search",
        "args[2]",
    ),
    PG_PASSWORD: (
        "url_password",
        "claude_desktop",
        "home/.config/Claude/claude_desktop_config.json",
        "postgres",
        "args[2]",
    ),
    ANTHROPIC_ADMIN: (
        "anthropic_admin_key",
        "claude_code",
        "home/.claude.json",
        "anthropic-admin",
        "env ANTHROPIC_ADMIN_KEY",
    ),
    OPENAI_SVCACCT: (
        "openai_service_account_key",
        "claude_code",
        "home/.claude.json",
        "/work/projects/robot-arm::llm-gateway",
        "headers Authorization",
    ),
    GITLAB: ("gitlab_token", "claude_code", "repo/.mcp.json", "gitlab", "headers X-API-Key"),
    URL_TOKEN: ("url_query_secret", "claude_code", "repo/.mcp.json", "tracker", "url query token"),
    JWT: ("jwt", "cursor", "home/.cursor/mcp.json", "internal-api", "env SERVICE_JWT"),
    URL_PASSWORD: ("url_password", "cursor", "home/.cursor/mcp.json", "warehouse", "url"),
    AWS_TEMP_SECRET: (
        "aws_temporary_access_key_id",
        "vscode",
        "repo/.vscode/mcp.json",
        "aws-docs",
        "env AWS_SECRET_ACCESS_KEY",
    ),
    PEM: ("private_key", "vscode", "home/.config/Code/User/settings.json", "signer", "env SIGNING_KEY"),
    STRIPE: ("stripe_live_key", "vscode", "home/.config/Code/User/settings.json", "billing", "env STRIPE_KEY"),
    GOOGLE_WINDSURF: ("google_api_key", "windsurf", "home/.codeium/windsurf/mcp_config.json", "maps", "serverUrl"),
    OPENAI_LEGACY_DEFAULT: (
        "openai_api_key",
        "claude_desktop",
        "home/Library/Application Support/Claude/claude_desktop_config.json",
        "writer",
        "env OPENAI_API_KEY default",
    ),
    SHARED_OPENAI: ("openai_project_key", "cursor", "home/.cursor/mcp.json", "assistant", "env OPENAI_API_KEY"),
    NAMED_PASSWORD: ("named_secret", "windsurf", "home/.codeium/windsurf/mcp_config.json", "db", "env DB_PASSWORD"),
    HUGGINGFACE: ("huggingface_token", "gemini_cli", "home/.gemini/settings.json", "local-model", "env HF_TOKEN"),
}

# Placeholders in the tree that must be recorded as references, never as secrets.
FIXTURE_REFERENCES = [
    "input:github_pat",
    "env:GITHUB_TOKEN",
    "GITHUB_TOKEN",
    "env:WINDSURF_API_TOKEN",
    "LINEAR_API_KEY",
]

ALL_SECRETS = list(DEMO_SECRETS.values()) + list(FIXTURE_SECRETS)
