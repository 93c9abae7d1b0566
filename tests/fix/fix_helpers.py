"""Shared by the `nhi fix mcp` tests: the planted fake secrets, writing a config as a client
would, and what a shell sees after sourcing the secrets file. (A module of its own:
``conftest`` is a name every test folder uses.)"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

GH = "ghp_SbWKBCo8IrKLsA6ukNIMqWwRgmAo0000XyZ9"
OPENAI = "sk-proj-NWdDhU4XgaOzyx7J3SdoVwgP4T3BlbkFJFmErxTM1cHho4PA1b2"
SLACK = "xoxb-2400000000001-2400000000002-swFwTjT7fXwZ8Qz8IpCRMRz5"
PLANTED = (GH, OPENAI, SLACK)


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    path.chmod(mode)
    return path


def sourced(secrets_file: Path, name: str) -> str:
    """The value a POSIX shell sees after sourcing the secrets file."""
    out = subprocess.run(
        ["sh", "-c", f'. "$1" && printf %s "${name}"', "sh", str(secrets_file)],
        capture_output=True,
        text=True,
        check=True,
        cwd=secrets_file.parent,
    )
    return out.stdout


def assert_no_secret(text: str) -> None:
    for value in PLANTED:
        assert value not in text
        assert value[8:24] not in text  # nor a distinctive piece of it


def memory_keyring() -> Any:
    """A keyring backend as keyring documents them (a KeyringBackend subclass, registered by
    the test with ``keyring.set_keyring``), keeping the values in memory for one test."""
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.store: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    return MemoryKeyring()


def files_holding(root: Path, values: tuple[str, ...] = PLANTED) -> list[str]:
    """Every file under ``root`` (the test's directory: the inventory, configs, secrets files,
    backups) holding one of ``values``, relative to ``root``."""
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and any(value.encode() in path.read_bytes() for value in values)
    )
