"""Every install line in the README names the distribution and extras pyproject.toml defines."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_install_lines_name_the_real_distribution_and_extras():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    name, extras = project["name"], set(project["optional-dependencies"])
    readme = (REPO / "README.md").read_text()
    lines = re.findall(r"pipx? install ((?:-\S+ )*)'?([A-Za-z0-9_.-]+)(?:\[([a-z,]+)\])?'?", readme)
    assert len(lines) >= 3
    for options, dist, wanted in lines:
        if dist in (".", "-e") or {"-r", "--requirement", "--require-hashes", "-e"} & set(
            options.replace("`", " ").split()
        ):
            continue  # the source checkout or a lock file, not the published distribution
        assert dist == name, f"README installs {dist!r}, the distribution is {name!r}"
        assert set(filter(None, wanted.split(","))) <= extras, wanted
    assert name == "nhi-cli" and project["scripts"]["nhi"]
