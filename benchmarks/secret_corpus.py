"""Recall and precision of the MCP secret detector on a corpus built from a public rule set's own
examples: the true and false positives that gitleaks' rule generator validates every rule with
(``cmd/generate/config/rules/*.go``). The corpus is read from a gitleaks checkout at run time and
never written anywhere (it holds real-looking tokens); only the counts are printed.

    .venv/bin/python benchmarks/secret_corpus.py --gitleaks /path/to/gitleaks [--rev HEAD]

Each string literal of a rule file is an example: a literal in a rule's ``fps`` list is a
negative; any other is a positive of the first rule whose own regex (from
``config/gitleaks.toml``, translated to Python) matches it, with the rule's secret group as the
value (a literal no rule matches is not used). For each family nhi
claims (by the provider it reports), positives are scanned twice: under a neutral name (format
alone) and under a telling name (the identifier written before the value in the example, else
``<VENDOR>_API_KEY``). A positive counts as found when nhi reports a credential of that family;
found under another family, it is mistyped. Negatives found at all are false positives.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nhi_connectors.mcp.detect import scan_value  # noqa: E402

# gitleaks rule id prefix -> the provider nhi reports for that family
FAMILY = {
    "1password": "1password",
    "age": "age",
    "anthropic": "anthropic",
    "atlassian": "atlassian",
    "aws": "aws",
    "azure": "azure",
    "bitbucket": "atlassian",
    "cloudflare": "cloudflare",
    "cohere": "cohere",
    "databricks": "databricks",
    "datadog": "datadog",
    "digitalocean": "digitalocean",
    "doppler": "doppler",
    "gcp": "google",
    "github": "github",
    "gitlab": "gitlab",
    "grafana": "grafana",
    "heroku": "heroku",
    "huggingface": "huggingface",
    "jwt": "jwt",
    "linear": "linear",
    "mailgun": "mailgun",
    "notion": "notion",
    "npm": "npm",
    "openai": "openai",
    "perplexity": "perplexity",
    "planetscale": "planetscale",
    "postman": "postman",
    "private": "pem",
    "pulumi": "pulumi",
    "pypi": "pypi",
    "sendgrid": "sendgrid",
    "sendinblue": "brevo",
    "sentry": "sentry",
    "shopify": "shopify",
    "slack": "slack",
    "stripe": "stripe",
    "telegram": "telegram",
    "twilio": "twilio",
    "hashicorp": "hashicorp",
    "dockerhub": "docker",
}
LITERAL = re.compile(r'`([^`]{12,})`|"((?:[^"\\]|\\.){12,})"')


def go_to_python(pattern: str) -> re.Pattern | None:
    """RE2 -> Python, best effort: a mid-pattern (?i) scopes to the rest; \\z is \\Z."""
    pattern = pattern.replace(r"\z", r"\Z")
    at = pattern.find("(?i)", 1)
    if at > 0:
        pattern = pattern[:at] + "(?i:" + pattern[at + 4 :] + ")"
    try:
        return re.compile(pattern)
    except re.error:
        return None


def git_show(repo: Path, rev: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "show", f"{rev}:{path}"], check=True, capture_output=True, text=True
    ).stdout


def load(repo: Path, rev: str):
    rules = []
    for rule in tomllib.loads(git_show(repo, rev, "config/gitleaks.toml"))["rules"]:
        family = FAMILY.get(rule["id"].split("-")[0])
        compiled = go_to_python(rule.get("regex", "")) if rule.get("regex") else None
        if compiled is not None:
            rules.append((rule["id"], family, compiled, rule.get("secretGroup", 1 if compiled.groups else 0)))
    names = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "--name-only", f"{rev}:cmd/generate/config/rules"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    positives, negatives = [], []
    for name in names:
        if not name.endswith(".go") or name.endswith("_test.go"):
            continue
        state = None
        for line in git_show(repo, rev, f"cmd/generate/config/rules/{name}").splitlines():
            if re.search(r"\bfps\b", line):
                state = "fp"
            elif re.search(r"\btps\b", line):
                state = "tp"
            elif "Validate(" in line or line.startswith("func "):
                state = None
            for match in LITERAL.finditer(line):
                text = match.group(1) or match.group(2).replace('\\"', '"')
                if state == "fp":
                    if text.strip():
                        negatives.append(text)
                    continue
                hit = next(((rid, fam, rx, g) for rid, fam, rx, g in rules if rx.search(text)), None)
                if hit is not None:
                    rid, fam, rx, group = hit
                    m = rx.search(text)
                    value = (m.group(group) if group and group <= rx.groups and m.group(group) else m.group(0)).strip()
                    before = text[: text.find(value)] if value in text else ""
                    named = re.search(r"([A-Za-z_][A-Za-z0-9_.-]*)[\"']?\s*(?:[:=]|:=|=>)\s*[\"'`]?\s*$", before)
                    positives.append((rid, fam, value, named.group(1) if named else None))
    return positives, negatives


def mask(text: str) -> str:
    """Enough to recognise an example's shape, never the example."""
    return f"{text[:8]!r}...({len(text)} chars)"


def families_of(text: str, name: str | None) -> set[str]:
    return {f.provider for f in scan_value(text, "f", name).found}


# detect-secrets (Yelp) plugin types -> the family nhi would report; entropy and keyword hits are
# "generic", as nhi's named secrets are.
DETECT_SECRETS_FAMILY = {
    "AWS Access Key": "aws",
    "Azure Storage Account access key": "azure",
    "GitHub Token": "github",
    "GitLab Token": "gitlab",
    "JSON Web Token": "jwt",
    "NPM tokens": "npm",
    "OpenAI Token": "openai",
    "Private Key": "pem",
    "PyPI Token": "pypi",
    "SendGrid API Key": "sendgrid",
    "Slack Token": "slack",
    "Stripe Access Key": "stripe",
    "Telegram Bot Token": "telegram",
    "Twilio API Key": "twilio",
}


def detect_secrets_families(text: str, name: str | None) -> set[str]:
    """The same question asked of detect-secrets with its default plugins, on the line
    ``NAME = "value"`` (its keyword plugin reads the name, as nhi's name check does)."""
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import default_settings

    one_line = text.replace("\n", "\\n")  # a PEM block as it is written inside a JSON string
    line = f'{name or "VALUE"} = "{one_line}"'
    with default_settings():
        return {DETECT_SECRETS_FAMILY.get(found.type, "generic") for found in scan_line(line)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gitleaks", type=Path, required=True, help="a gitleaks checkout (work tree or git dir)")
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument("--misses", action="store_true", help="list misses and false positives, masked")
    parser.add_argument(
        "--engine",
        choices=("nhi", "detect-secrets"),
        default="nhi",
        help="what to measure: nhi's detector, or detect-secrets' default plugins (pip install detect-secrets)",
    )
    args = parser.parse_args()
    global families_of
    if args.engine == "detect-secrets":
        families_of = detect_secrets_families
    positives, negatives = load(args.gitleaks, args.rev)
    claimed = {p for p in FAMILY.values()}
    per = defaultdict(Counter)
    for rid, family, value, name in positives:
        if family not in claimed:
            per["(not claimed)"]["examples"] += 1
            per["(not claimed)"]["neutral"] += bool(families_of(value, "VALUE"))
            continue
        row = per[family]
        row["examples"] += 1
        neutral = families_of(value, "VALUE")
        telling = families_of(value, name or f"{family.upper()}_API_KEY")
        row["neutral"] += family in neutral
        row["telling"] += family in telling
        row["mistyped"] += bool(neutral or telling) and family not in (neutral | telling)
        if args.misses and family not in telling:
            print(f"miss {rid} name={name} {mask(value)} got={sorted(neutral | telling)}", file=sys.stderr)
    fp = 0
    for text in negatives:
        if families_of(text, "VALUE"):
            fp += 1
            if args.misses:
                print(f"false positive {mask(text)} {sorted(families_of(text, 'VALUE'))}", file=sys.stderr)
    total = Counter()
    print("| family | examples | found by format (neutral name) | found under a telling name | mistyped |")
    print("|---|---:|---:|---:|---:|")
    for family in sorted(per, key=lambda f: (f.startswith("("), f)):
        row = per[family]
        if not family.startswith("("):
            total.update(row)
        print(
            f"| {family} | {row['examples']} | {row['neutral']} ({row['neutral'] / row['examples']:.0%}) | "
            f"{row['telling']} ({row['telling'] / row['examples']:.0%}) | {row['mistyped']} |"
        )
    print(
        f"| **claimed, all** | {total['examples']} | {total['neutral']} ({total['neutral'] / total['examples']:.1%}) | "
        f"{total['telling']} ({total['telling'] / total['examples']:.1%}) | {total['mistyped']} |"
    )
    print(f"\nnegatives (the rules' own false-positive examples): {len(negatives)}, flagged: {fp}")


if __name__ == "__main__":
    main()
