"""Help shows boolean flags as flags (no `<bool>` value), and Typer's shell completion works."""

from __future__ import annotations

import os
import subprocess
import sys

from test_cli import all_commands


def test_no_flag_is_shown_as_taking_a_value(nhi):
    for path, _command in [((), None), *all_commands()]:
        result = nhi(*path, "--help")
        assert result.code == 0, (path, result.err)
        assert "<bool>" not in result.out and "--no-" not in result.out, f"nhi {' '.join(path)} --help"
    scan = nhi("scan", "--help").out
    assert "--demo " in scan and "--profile" in scan and "<str>" in scan  # options with values keep their type


def test_shell_completion_script_and_completions():
    script = subprocess.run(
        [sys.executable, "-m", "nhi_cli", "--show-completion", "bash"], capture_output=True, text=True, timeout=60
    )
    assert script.returncode == 0, script.stderr
    assert "_nhi_completion" in script.stdout and "complete " in script.stdout
    env = {**os.environ, "_NHI_COMPLETE": "complete_bash", "COMP_WORDS": "nhi scan --pro", "COMP_CWORD": "2"}
    # python -m runs under the name "nhi" (prog_name), so the same variable drives it
    words = subprocess.run([sys.executable, "-m", "nhi_cli"], env=env, capture_output=True, text=True, timeout=60)
    assert set(words.stdout.split()) == {"--provider", "--profile"}, (words.stdout, words.stderr)
    env.update(COMP_WORDS="nhi con", COMP_CWORD="1")
    words = subprocess.run([sys.executable, "-m", "nhi_cli"], env=env, capture_output=True, text=True, timeout=60)
    assert words.stdout.split() == ["config"]
