"""The URL corpus (url_corpus.txt): URLs that hold a credential and ordinary URLs that do not,
with the random parts filled from a fixed seed. Run it to print nhi's precision and recall:

    .venv/bin/python tests/mcp/url_corpus.py

A URL counts as flagged when nhi reports any credential in it (as the ``url`` of a server);
a positive counts as typed when the type the corpus names is among those reported.
"""

from __future__ import annotations

import random
import re
import string
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).with_name("url_corpus.txt")
ALPHABETS = {
    "d": string.digits,
    "h": "0123456789abcdef",
    "a": string.ascii_letters + string.digits,
    "l": string.ascii_lowercase + string.digits,
    "U": string.ascii_uppercase + string.digits,
    "b": string.ascii_letters + string.digits + "-_",
}
SLOT = re.compile(r"\{(?:(?P<kind>[dhalUb])(?P<n>\d+)|u)\}")


@dataclass(frozen=True)
class Case:
    positive: bool
    secret_type: str | None
    url: str
    source: str
    line: int


def load(seed: int = 2121) -> list[Case]:
    rng = random.Random(seed)

    def fill(match: re.Match[str]) -> str:
        if match.group("kind") is None:
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return "".join(rng.choice(ALPHABETS[match.group("kind")]) for _ in range(int(match.group("n"))))

    cases = []
    for number, raw in enumerate(CORPUS.read_text().splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        body, _, source = raw.partition("   # ")
        label, secret_type, template = body.split()
        cases.append(
            Case(label == "+", None if secret_type == "-" else secret_type, SLOT.sub(fill, template), source, number)
        )
    return cases


def reported(url: str) -> list[str]:
    from nhi_connectors.mcp.detect import scan_server

    return [f.secret_type for f in scan_server({"url": url}).found]


def measure(cases: list[Case]) -> dict[str, object]:
    tp = [c for c in cases if c.positive and reported(c.url)]
    typed = [c for c in cases if c.positive and c.secret_type in reported(c.url)]
    fp = [c for c in cases if not c.positive and reported(c.url)]
    positives = sum(c.positive for c in cases)
    flagged = len(tp) + len(fp)
    return {
        "positives": positives,
        "negatives": len(cases) - positives,
        "found": len(tp),
        "typed": len(typed),
        "false_positives": len(fp),
        "recall": len(tp) / positives,
        "precision": len(tp) / flagged if flagged else 1.0,
        "missed": [c for c in cases if c.positive and c not in tp],
        "mistyped": [c for c in tp if c not in typed],
        "false": fp,
    }


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    result = measure(load())
    print(
        f"positives {result['positives']}, negatives {result['negatives']}: found {result['found']} "
        f"(recall {result['recall']:.1%}), typed right {result['typed']}, "
        f"false positives {result['false_positives']} (precision {result['precision']:.1%})"
    )
    for label in ("missed", "mistyped", "false"):
        for case in result[label]:  # type: ignore[attr-defined]
            print(f"  {label}: line {case.line} {case.source} -> {reported(case.url)}")
