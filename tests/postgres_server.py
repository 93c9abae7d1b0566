"""A throwaway PostgreSQL server for the tests (Debian's postgresql package).

One cluster per test session, made by initdb in a temporary directory and started by pg_ctl as
an unprivileged user (PostgreSQL refuses to run as root; when the tests run as root the server
runs as the `postgres` system user through runuser). It listens on a loopback port with
password authentication, so the URL the tests use carries a password that must never show up
in nhi's output. Each test gets a fresh, empty database.

Outside CI a machine without the server skips the PostgreSQL tests; in CI (CI=true) a server
that cannot start fails them, so the PostgreSQL half of the suite can never silently vanish.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

PASSWORD = "pg-test-Secret-4711"
USER = "nhi_owner"
_counter = itertools.count(1)


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"PostgreSQL test server could not start (CI requires it): {reason}")
    pytest.skip(f"no PostgreSQL server: {reason}")


class Server:
    def __init__(self, port: int, admin_url: str):
        self.port, self.admin_url = port, admin_url

    def new_database(self) -> str:
        """An empty database; returns its URL (with the password)."""
        import psycopg

        name = f"nhi_test_{os.getpid()}_{next(_counter)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="session")
def postgres_server():
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        _unavailable("initdb/pg_ctl not installed (apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install -e '.[postgres]')")
    base = Path(tempfile.mkdtemp(prefix="nhi-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser") or shutil.which("setpriv")
        if runuser is None:
            _unavailable("running as root without runuser to drop privileges")
        run_as = [runuser, "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
    os.chmod(base, 0o700)
    pwfile = base / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if run_as:
        shutil.chown(pwfile, "postgres")
    port = _free_port()
    data = base / "data"
    try:
        subprocess.run(
            [
                *run_as,
                initdb,
                "-D",
                str(data),
                "-U",
                USER,
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        subprocess.run(
            [
                *run_as,
                pg_ctl,
                "-D",
                str(data),
                "-l",
                str(base / "log"),
                "-w",
                "-t",
                "60",
                "-o",
                f"-k {base} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60",
                "start",
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        shutil.rmtree(base, ignore_errors=True)
        _unavailable(f"initdb/pg_ctl failed: {detail.strip()[-300:]}")
    server = Server(port, f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/postgres")
    try:
        yield server
    finally:
        subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(postgres_server) -> str:
    """A fresh, empty database on the session's server."""
    return postgres_server.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request, tmp_path) -> str:
    """Where a store-level test keeps its inventory: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "nhi.db")
    return request.getfixturevalue("pg_url")
