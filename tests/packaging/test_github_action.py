"""The composite GitHub Action (action.yml): valid against the Action metadata schema, and its
steps run by a small shell harness against the demo estate the way a runner would run them.

The harness renders ``${{ inputs.* }}``, ``${{ github.* }}`` and ``${{ steps.*.outputs.* }}``,
evaluates each step's ``if:``, runs ``run:`` steps with bash (GITHUB_OUTPUT and
GITHUB_STEP_SUMMARY as files, a recording ``pip`` first on PATH: nothing is downloaded), and
records ``uses:`` steps with their rendered ``with:`` instead of running them (setup-python,
cache and the SARIF upload are GitHub's own actions). Two runs share the inventory file, as the
cache step would restore it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
SCHEMA = json.loads((Path(__file__).parent / "github-action.schema.json").read_text())
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def test_action_metadata_is_valid_against_the_schema():
    jsonschema.Draft7Validator(SCHEMA).validate(ACTION)
    assert ACTION["runs"]["using"] == "composite"


def test_the_schema_rejects_what_github_rejects():
    broken = json.loads(json.dumps(ACTION))
    broken["runs"]["steps"][1].pop("shell")  # a composite run step needs a shell
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(SCHEMA).validate(broken)
    broken = json.loads(json.dumps(ACTION))
    broken["inputs"]["fail-on"]["default"] = 1  # defaults are strings
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(SCHEMA).validate(broken)


class Runner:
    """Just enough of a GitHub runner for this action's expressions and steps."""

    def __init__(self, work: Path, inputs: dict[str, str]):
        self.work = work
        self.inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
        unknown = set(inputs) - set(self.inputs)
        assert not unknown, unknown
        self.inputs.update(inputs)
        self.github = {"action_path": str(REPO), "repository": "northwind/infra", "run_id": "42"}
        self.steps: dict[str, dict[str, str]] = {}
        self.used: list[tuple[str, dict]] = []
        self.summary = work / "summary.md"
        self.pip_log = work / "pip.log"
        stubs = work / "stubs"
        stubs.mkdir(exist_ok=True)
        (stubs / "pip").write_text(f'#!/bin/sh\necho "$@" >> "{self.pip_log}"\n')
        (stubs / "pip").chmod(0o755)
        self.path = f"{stubs}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"

    def value(self, expr: str) -> str:
        scope, _, rest = expr.partition(".")
        if scope == "inputs":
            return self.inputs[rest]
        if scope == "github":
            return self.github[rest]
        if scope == "steps":
            step, _, output = rest.partition(".outputs.")
            return self.steps.get(step, {}).get(output, "")
        raise AssertionError(f"expression the harness does not know: {expr}")

    def render(self, text: str) -> str:
        return EXPR.sub(lambda m: self.value(m.group(1)), str(text))

    def condition(self, expr: str | None) -> bool:
        if not expr:
            return True
        python = re.sub(r"\b(inputs|github|steps)\.[\w.-]+", lambda m: repr(self.value(m.group(0))), expr)
        python = python.replace("always()", "True").replace("&&", " and ").replace("||", " or ")
        return bool(eval(python, {"__builtins__": {}}))  # noqa: S307 -- our own action.yml, rendered literals

    def run(self) -> int:
        code = 0
        for step in ACTION["runs"]["steps"]:
            if not self.condition(step.get("if")):
                continue
            if "uses" in step:
                self.used.append((step["uses"], {k: self.render(v) for k, v in step.get("with", {}).items()}))
                continue
            output = self.work / f"output-{len(self.steps)}"
            output.write_text("")
            env = {k: v for k, v in os.environ.items() if not k.startswith(("NHI_", "AWS_PROFILE"))}
            env.update({k: self.render(v) for k, v in step.get("env", {}).items()})
            env.update(PATH=self.path, GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(self.summary))
            done = subprocess.run(
                [step["shell"], "-e", "-c", self.render(step["run"])],
                cwd=self.work,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            self.steps[step.get("id", f"step{len(self.steps)}")] = dict(
                line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
            )
            code = done.returncode
            if code != 0:
                return code
        return code


def test_action_steps_scan_the_demo_upload_sarif_write_the_summary_and_gate(tmp_path):
    first = Runner(tmp_path, {"args": "--demo", "secret-salt": "action-test-salt-0123456789"})
    assert first.run() == 1  # the demo has high findings: the gate step fails the job
    assert first.pip_log.read_text().split() == ["install", "--quiet", "nhi-cli[all]"]
    sarif = json.loads((tmp_path / "nhi.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert first.steps["scan"]["exit-code"] == "1"
    uses = dict(first.used)
    assert uses["actions/setup-python@v5"] == {"python-version": "3.12"}
    assert uses["actions/cache@v4"] == {
        "path": "nhi.db",
        "key": "nhi-inventory-northwind/infra-42",
        "restore-keys": "nhi-inventory-northwind/infra-",
    }
    assert uses["github/codeql-action/upload-sarif@v3"] == {"sarif_file": "nhi.sarif", "category": "nhi"}
    summary = first.summary.read_text()
    assert summary.startswith("#") and "ops-copilot" in summary

    # The next run restores the same inventory: with new-only nothing is new, the gate passes.
    second = Runner(
        tmp_path,
        {"args": "--demo", "new-only": "true", "secret-salt": "action-test-salt-0123456789", "upload-sarif": "false"},
    )
    assert second.run() == 0
    assert second.steps["scan"]["exit-code"] == "0"
    assert "github/codeql-action/upload-sarif@v3" not in dict(second.used)


def test_a_scan_that_cannot_run_fails_the_job_with_its_code(tmp_path):
    (tmp_path / "nhi.yaml").write_text("providers:\n  awz: {}\n")
    runner = Runner(tmp_path, {"config": "nhi.yaml", "extras": ""})
    assert runner.run() == 2
    assert runner.pip_log.read_text().split() == ["install", "--quiet", "nhi-cli"]
    assert runner.steps["scan"]["exit-code"] == "2"
