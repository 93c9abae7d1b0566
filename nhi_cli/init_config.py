"""The nhi.yaml that `nhi init` writes: one commented section per provider, enabled where
credentials were detected (nhi_cli/detect.py), commented out with the reason where not.

Only non-secret choices are written (an AWS profile name, Organization mode). Keys and tokens
stay in the environment or the provider's own credential store, never in nhi.yaml.
"""

from __future__ import annotations

from nhi_cli.detect import Detection

HEADER = """\
# nhi.yaml -- written by `nhi init`; check it with `nhi config validate`.
# Providers whose credentials were found are enabled; the others are commented out with the
# reason. Credentials are never written here: nhi reads them from each provider's standard
# chain (AWS profiles/SSO, Google ADC, Azure CLI/environment, GITHUB_TOKEN, *_ADMIN_KEY).
version: 1

# Exit 1 from `nhi scan` when an open finding is at or above this severity (CI gate).
# fail_on: high
"""

# Settings worth knowing per provider, shown commented out under its section.
HINTS: dict[str, list[str]] = {
    "aws": [
        "# org: true                  # every ACTIVE account of the Organization (same as --aws-org)",
        "# org_role: OrganizationAccountAccessRole",
        "# skip_accounts: []",
    ],
    "gcp": [
        "# projects: []               # empty: every ACTIVE project the credentials can see",
        "# organization: organizations/123456789012",
    ],
    "azure": [
        "# subscriptions: []          # empty: every subscription the credential can read",
        "# cloud: public              # usgov, china",
    ],
    "github": ["# orgs: []                   # empty: the token's orgs (or the app's installations)"],
    "openai": ["# organization: org-...      # a label for the scope"],
    "anthropic": ["# organization: my-org"],
    "mcp": [
        "# discover: true             # MCP client configs under your home directory",
        "# paths: []                  # plus files or repositories with .mcp.json",
    ],
}

FOOTER = """
# Agents you know about: identities and credentials (globs) that belong to one agent.
# agents:
#   - name: ops-copilot
#     owner: someone@example.com
#     identities: ["*ops-copilot*"]

# Accepted risks: every suppression needs a reason, an owner and an expiry date.
# suppressions:
#   - rule: credential_max_age
#     resource: AKIA...
#     reason: rotation scheduled with the vendor
#     owner: someone@example.com
#     expires: 2027-06-30
"""


def _value(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def render(detections: list[Detection]) -> str:
    lines = [HEADER, "providers:"]
    for d in detections:
        lines.append(f"  # {d.provider}: {'found' if d.found else 'not found'}: {d.reason}")
        prefix = "  " if d.found else "  # "
        lines.append(f"{prefix}{d.provider}:" + ("" if d.settings or not d.found else " {}"))  # {}: its defaults
        for key, value in d.settings.items():
            lines.append(f"{prefix}  {key}: {_value(value)}")
        hints = [h for h in HINTS.get(d.provider, []) if h[2:].split(":")[0] not in d.settings]
        lines.extend(f"{prefix}  {hint}" if d.found else f"  #   {hint[2:]}" for hint in hints)
    return "\n".join(lines) + "\n" + FOOTER
