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
    "slack_bot_token": DEMO_SLACK,
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
    GITLAB: ("gitlab_personal_access_token", "claude_code", "repo/.mcp.json", "gitlab", "headers X-API-Key"),
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
    NAMED_PASSWORD: (
        "database_password",
        "windsurf",
        "home/.codeium/windsurf/mcp_config.json",
        "db",
        "env DB_PASSWORD",
    ),
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

# --- the other clients (fixtures/mcp/clients/): home/ and a project work tree -----------------
# value: (expected credential type, client, file under fixtures/mcp/clients, server, field)
CLIENT_SECRETS = {
    "ghp_kASAOsE1nYEZ9GlGHpYaax7LBejYWo6oScBV": (
        "github_pat",
        "codex",
        "home/.codex/config.toml",
        "github",
        "env GITHUB_PERSONAL_ACCESS_TOKEN",
    ),
    "sk-proj-X4ANCc9vIFShP88xbjV0T3BlbkFJfhZ7bDkJUvzFjlQcE30p": (
        "openai_project_key",
        "codex",
        "home/.codex/config.toml",
        "gateway",
        "bearer_token",
    ),
    "eXmnRZ5QW8W5LUehJEJ0ymv7j4IAsx9": (
        "brave_search_api_key",
        "zed",
        "home/.config/zed/settings.json",
        "brave-search",
        "env BRAVE_API_KEY",
    ),
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ6ZWQtYWdlbnQifQ.i409hKgHLe1FvYiRst9gGr9dBUtV2-9NrJrbWqdHPF1": (
        "jwt",
        "zed",
        "home/.config/zed/settings.json",
        "internal",
        "headers Authorization",
    ),
    "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": (
        "github_fine_grained_pat",
        "zed",
        "home/.config/zed/settings.json",
        "mcp-server-github",
        "settings github_personal_access_token",
    ),
    "glpat-qRzW9Z5iijgzglbPCYje": (
        "gitlab_personal_access_token",
        "continue",
        "home/.continue/config.yaml",
        "GitLab",
        "env GITLAB_PERSONAL_ACCESS_TOKEN",
    ),
    "npm_3hPsitI8uzF4oNkll2ymTVJWcMTG3VXdY7ay": (
        "npm_token",
        "continue",
        "home/.continue/mcpServers/registry.yaml",
        "npm-registry",
        "env NPM_TOKEN",
    ),
    "xoxb-2400000000011-2400000000012-D3ezWKl2Toq9SMuVcpyjtU5s": (
        "slack_bot_token",
        "cline",
        "home/.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json",
        "slack",
        "env SLACK_BOT_TOKEN",
    ),
    "rk-0GZJF8KgIMdGMVu9HtsSNHWJmeN0": (
        "named_secret",
        "roo_code",
        "home/Library/Application Support/Code/User/globalStorage/"
        "rooveterinaryinc.roo-cline/settings/mcp_settings.json",
        "search",
        "headers X-API-Key",
    ),
    "AIzaPzTiO1njj5c48XZjCdg3fFJZ26EZXP_Dke9": (
        "google_api_key",
        "jetbrains_ai",
        "home/AppData/Roaming/JetBrains/WebStorm2025.3/options/llm.mcpServers.xml",
        "maps",
        "env GOOGLE_MAPS_API_KEY",
    ),
    "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": (
        "huggingface_token",
        "junie",
        "home/.junie/mcp/mcp.json",
        "hf",
        "env HF_TOKEN",
    ),
    "ghp_jfJlfHtN8yVVDg9kTBnRvxPLRmqf8buGq829": (
        "github_pat",
        "goose",
        "home/.config/goose/config.yaml",
        "github",
        "env GITHUB_PERSONAL_ACCESS_TOKEN",
    ),
    "j5RGmpMSrTyk8zDzBDNQrQlQyNrgm9nc": (
        "named_secret",
        "goose",
        "home/.config/goose/config.yaml",
        "tracker",
        "headers X-Api-Key",
    ),
    "6VaVvr3gNy1ZFC7cjk3yth+/8RtItTKMbjixmyUI": (
        "aws_access_key_id",  # one credential with the key id beside it
        "amazon_q",
        "home/.aws/amazonq/mcp.json",
        "aws-docs",
        "env AWS_SECRET_ACCESS_KEY",
    ),
    "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": (
        "github_fine_grained_pat",
        "copilot_cli",
        "home/.copilot/mcp-config.json",
        "github-remote",
        "headers Authorization",
    ),
    "ghp_pg9HQ7ry08HMgrE8k8L43HNgAOGjL3mKYoBF": (  # GitHub's documented Copilot-in-JetBrains form
        "github_pat",
        "copilot_jetbrains",
        "home/.config/github-copilot/intellij/mcp.json",
        "github",
        "headers Authorization",
    ),
    "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": (
        "tavily_api_key",
        "visual_studio",
        "home/.mcp.json",
        "tavily",
        "env TAVILY_API_KEY",
    ),
    "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": (
        "notion_api_token",
        "tabnine",
        "home/.tabnine/agent/settings.json",
        "notion",
        "env NOTION_TOKEN",
    ),
    "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": (
        "huggingface_token",
        "lm_studio",
        "home/.lmstudio/mcp.json",
        "hf-mcp-server",
        "headers Authorization",
    ),
    "sk-ant-api03-qd2dAnBVLpuE27_yBGx3WC-9Hf6AeR4MrCuWsYeaL6z-D9hdVq_Q7TX5jGnVG6pzQjNFqsHnLBAr__BeQVbysKhH0hpcDAA": (
        "anthropic_api_key",
        "codex",
        "project/.codex/config.toml",
        "claude-review",
        "env ANTHROPIC_API_KEY",
    ),
    "glpat-MTCFGI9JxBObO8xjwzWC": (
        "gitlab_personal_access_token",
        "roo_code",
        "project/.roo/mcp.json",
        "gitlab",
        "env GITLAB_PERSONAL_ACCESS_TOKEN",
    ),
    "ghp_OPDUGLoCYob2P5D1oXL5LVfwFjkaZruSvtn9": (
        "github_pat",
        "copilot_cli",
        "project/.github/mcp.json",
        "github",
        "args[4]",
    ),
    "sk_live_dDlmjaNk2joJhkIPhOzhWhnS": (
        "stripe_live_key",
        "jetbrains_ai",
        "project/.idea/workspace.xml",
        "billing",
        "env STRIPE_SECRET_KEY",
    ),
}
CLIENT_AWS_KEY_ID = "AKIAWXBE6CZ22PA8JGTM"
