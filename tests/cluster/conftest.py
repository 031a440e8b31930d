"""Two Portico nodes, two workers, one database and one Redis, as separate processes.

The database is the one DATABASE_URL names the engine of: on SQLite a fresh
file both nodes share, on PostgreSQL a fresh database on that server (created
here, dropped at the end). Redis is a redis-server of the module's own, on a
free port, keeping nothing on disk. Every process runs in its own process
group, so a SIGKILL reaches a gunicorn master and its workers, or an RQ
worker and the work-horse it forked, at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import requests

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "cluster-" + secrets.token_urlsafe(12)
# The nodes' and the workers': development settings, as they are.
PORTICO_SETTINGS = "portal.settings"
# The seeding's: the same plus tests/cluster's app (its management command).
SEED_SETTINGS = "tests.cluster.settings"


@pytest.fixture(scope="module")
def cluster_redis(redis_url: str) -> str:
    """The session's redis-server (tests/conftest.py), a database number of the cluster's own."""
    return redis_url.rsplit("/", 1)[0] + "/5"


class Database:
    """The cluster's database, read directly by the test (never through its Django)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith(("postgres://", "postgresql://"))

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run a query written with %s placeholders; its rows."""
        if self.postgres:
            with psycopg.connect(self.url, autocommit=True) as conn:
                return conn.execute(sql, params).fetchall()
        path = urlsplit(self.url).path[1:]
        with sqlite3.connect(path, timeout=20) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()

    def value(self, sql: str, *params: Any) -> Any:
        return self.rows(sql, *params)[0][0]

    def job_id(self, job: str) -> str:
        # Django stores a UUID as 32 hex digits on SQLite, as a uuid on PostgreSQL.
        return job if self.postgres else job.replace("-", "")


@pytest.fixture(scope="module")
def cluster_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        path = tmp_path_factory.mktemp("cluster-db") / "cluster.sqlite3"
        yield Database(f"sqlite:///{path}")
        return
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'portico'}_nodes_{secrets.token_hex(3)}"
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Database(urlunsplit(parts._replace(path=f"/{name}")))
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL the process and everything it started (its process group)."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=20)


@dataclass
class Cluster:
    env: dict[str, str]
    workdir: Path
    database: Database
    processes: dict[str, Process] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    seed: dict[str, Any] = field(default_factory=dict)

    def _environment(self, settings: str) -> dict[str, str]:
        return {**self.env, "DJANGO_SETTINGS_MODULE": settings}

    def manage(self, *args: str, timeout: float = 120) -> str:
        """Run a management command with the seeding's settings; its output."""
        return self.finish(self.begin(*args), timeout=timeout)

    def begin(self, *args: str) -> subprocess.Popen[str]:
        """Start a management command with the seeding's settings (finish() waits for it)."""
        return subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self._environment(SEED_SETTINGS),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def finish(self, command: subprocess.Popen[str], timeout: float = 120) -> str:
        try:
            out, err = command.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            command.kill()
            out, err = command.communicate()
        if command.returncode:
            pytest.fail(f"{' '.join(map(str, command.args))} failed:\n{out}\n{err}")
        return out

    def _spawn(self, name: str, command: list[str], settings: str) -> Process:
        log = self.workdir / f"{name}.log"
        with log.open("ab") as handle:
            popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self._environment(settings),
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self.processes[name] = process
        return process

    def start_node(self, name: str, port: int | None = None) -> str:
        """A gunicorn node (master and two sync workers); its base URL once /health/ answers."""
        port = port or free_port()
        self._spawn(
            name,
            [sys.executable, "-m", "gunicorn", "portal.wsgi:application"]
            + ["-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            PORTICO_SETTINGS,
        )
        url = f"http://127.0.0.1:{port}"
        self.urls[name] = url
        return url

    def start_worker(self, name: str) -> Process:
        return self._spawn(name, [sys.executable, "manage.py", "portico_worker"], PORTICO_SETTINGS)

    def kill_worker_running(self, pid: int) -> str:
        """SIGKILL the worker process that is, or forked, this pid, and the pid; its name."""
        with open(f"/proc/{pid}/stat") as stat:
            parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        name = next(
            name
            for name, process in self.processes.items()
            if name.startswith("worker")
            and process.popen.poll() is None
            and process.popen.pid in (pid, parent)
        )
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        self.processes[name].kill()
        return name

    def wait_healthy(self, name: str, deadline: float = 60) -> None:
        until = time.monotonic() + deadline
        while time.monotonic() < until:
            if self.processes[name].popen.poll() is not None:
                pytest.fail(f"{name} stopped while starting:\n{self.tail(name)}")
            try:
                if requests.get(f"{self.urls[name]}/health/", timeout=10).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        pytest.fail(f"{name} didn't answer /health/:\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 40) -> str:
        text = self.processes[name].log.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def worker_logs(self) -> str:
        return "".join(
            process.log.read_text(errors="replace")
            for process in self.processes.values()
            if process.name.startswith("worker")
        )

    def stop(self) -> None:
        for process in self.processes.values():
            process.kill()


@pytest.fixture(scope="module")
def cluster(
    cluster_redis: str, cluster_database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("cluster")
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "PORTICO_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_EMAIL_URL="console://",
        DATABASE_URL=cluster_database.url,
        REDIS_URL=cluster_redis,
        PORTICO_VAR_DIR=str(workdir / "var"),
        PORTICO_JOB_LEASE_SECONDS="5",
        PORTICO_WORKER_SWEEP_SECONDS="1",
        PYTHONUNBUFFERED="1",
    )
    nodes = Cluster(env=env, workdir=workdir, database=cluster_database)
    try:
        # Started side by side: the workers wait for the tables (their sweeper
        # retries), the nodes need collectstatic's files and manifest (DEBUG is
        # off), not the tables, to start.
        migrating = nodes.begin("migrate", "--noinput", "-v0")
        nodes.manage("collectstatic", "--noinput", "-v0")
        nodes.start_node("a")
        nodes.start_node("b")
        nodes.finish(migrating)
        nodes.start_worker("worker-1")
        nodes.start_worker("worker-2")
        nodes.seed = json.loads(nodes.manage("cluster_seed", "base", "--password", PASSWORD))
        nodes.wait_healthy("a")
        nodes.wait_healthy("b")
        yield nodes
    finally:
        nodes.stop()
        for name in nodes.processes:
            print(f"--- {name} (last lines)\n{nodes.tail(name)}")
