"""Throughput past one node: the console bench's page mix against one Portico node, then two.

    .venv/bin/python bench/cluster.py [--seconds 10]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portico_bench_cluster \\
        .venv/bin/python bench/cluster.py

It fills a throwaway database with bench/seed_large.py at a tenth of its size
(10,000 users, 500 groups, 100,000 memberships, 200 products; a PostgreSQL
database named by DATABASE_URL is dropped and created again, otherwise a
SQLite file in a temporary folder), starts a redis-server of its own, and
runs each node as `gunicorn -c gunicorn.conf.py` (2 sync workers) with
REDIS_URL set, as in a deployment of several nodes.

Load: wrk, 2 threads and 8 connections per node, each connection cycling
through the page mix of bench/console.sh (console pages as an administrator,
portal pages as a developer in many groups and as a guest). For two nodes,
one wrk per node runs at the same time (what a round-robin balancer does);
their requests per second are added up.

Per-request database time: each page of the mix requested 20 times in one
process with Django's test client, after a warm-up, with DEBUG off; a
connection.execute_wrapper times every query (wall-clock around the
driver's execute, so the round trip to the database server is included,
fetching rows the ORM does after execute is not); the sum per request and
the whole request's time, medians. This is the number that decides how far more
nodes help: the database serves every node.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

# bench/console.sh's mix, at this bench's size: (who, path).
PAGES = [
    ("admin", "/console/groups/"),
    ("admin", "/console/groups/?q=bench+group+04"),
    ("admin", "/console/groups/bench-00250/members/"),
    ("admin", "/console/groups/bench-00250/members/add/?q=first1"),
    ("admin", "/console/users/"),
    ("admin", "/console/users/?q=last100"),
    ("admin", "/console/users/?page=200"),
    ("admin", "/console/products/"),
    ("admin", "/console/products/bench-product-0100/"),
    ("developer", "/products/"),
    ("developer", "/products/?q=0042"),
    ("developer", "/"),
    ("guest", "/products/"),
    ("guest", "/products/?q=0042"),
    ("guest", "/"),
]

WRK_SCRIPT = """
local pages = {%s}
local counter = 0
request = function()
  counter = counter + 1
  local page = pages[(counter %% #pages) + 1]
  local headers = {}
  if page[2] ~= "" then headers["Cookie"] = page[2] end
  return wrk.format("GET", page[1], headers)
end
"""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} didn't answer")


def database_time(cookies: dict[str, str], runs: int) -> list[dict[str, float]]:
    """The pages' database and request times, in this process (run with the bench's env)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    spent: list[float] = []

    def timed(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append(time.perf_counter() - started)

    results = []
    for who, path in PAGES:
        client = Client(HTTP_HOST="127.0.0.1")
        if cookies.get(who):
            client.cookies["sessionid"] = cookies[who]
        status = client.get(path).status_code
        if status != 200:
            raise SystemExit(f"{path} as {who} answered {status}, not 200")
        db_ms, total_ms, queries = [], [], 0
        for _ in range(runs):
            spent.clear()
            with connection.execute_wrapper(timed):
                started = time.perf_counter()
                client.get(path)
                total_ms.append((time.perf_counter() - started) * 1000)
            db_ms.append(sum(spent) * 1000)
            queries = len(spent)
        results.append(
            {
                "who": who,
                "path": path,
                "queries": queries,
                "db_ms": statistics.median(db_ms),
                "total_ms": statistics.median(total_ms),
            }
        )
    return results


def wrk(url: str, seconds: int, script: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-s", str(script), url],
        stdout=subprocess.PIPE,
        text=True,
    )


def read_wrk(process: subprocess.Popen[str]) -> tuple[float, str, int]:
    out, _ = process.communicate()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, p99, int(errors.group(1)) if errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--dbtime", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dbtime:
        print(json.dumps(database_time(json.loads(args.dbtime), args.runs)))
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing (apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="portico-cluster-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    url = os.environ.get("DATABASE_URL", "")
    postgres = url.startswith(("postgres://", "postgresql://"))
    if postgres:
        import psycopg

        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    redis_port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTICO_"))},
        "DATABASE_URL": url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "PORTICO_VAR_DIR": str(workdir / "var"),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 60,
    }
    try:
        processes.append(
            subprocess.Popen(
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1"]
                + ["--save", "", "--appendonly", "no", "--dir", str(workdir)],
                stdout=subprocess.DEVNULL,
            )
        )
        started = time.monotonic()
        seeded = subprocess.run(
            [PYTHON, "bench/seed_large.py", "--users", "10000", "--groups", "500"]
            + ["--memberships", "100000", "--products", "200"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        print(
            f"seeded in {time.monotonic() - started:.0f} s",
            "(PostgreSQL)" if postgres else "(SQLite)",
        )
        cookies = {
            who: re.search(rf"^{who}: sessionid=(\S+)$", seeded, re.MULTILINE).group(1)  # type: ignore[union-attr]
            for who in ("admin", "developer")
        }
        subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        script = workdir / "mix.lua"
        entries = ", ".join(
            f'{{"{path}", "{"sessionid=" + cookies[who] if who in cookies else ""}"}}'
            for who, path in PAGES
        )
        script.write_text(WRK_SCRIPT % entries)

        nodes = []
        for _ in range(2):
            port = free_port()
            processes.append(
                subprocess.Popen(
                    [PYTHON, "-m", "gunicorn", "portal.wsgi:application", "-c", "gunicorn.conf.py"]
                    + ["--bind", f"127.0.0.1:{port}", "--workers", "2"]
                    + ["--access-logfile", "/dev/null", "--error-logfile", str(workdir / "g.log")],
                    cwd=ROOT,
                    env=env,
                    start_new_session=True,
                )
            )
            nodes.append(f"http://127.0.0.1:{port}")
        for node in nodes:
            wait_for(f"{node}/health/")
            # wrk counts a redirect (to sign-in, say) as a success: check each page first.
            for who, path in PAGES:
                request = urllib.request.Request(f"{node}{path}")
                if who in cookies:
                    request.add_header("Cookie", f"sessionid={cookies[who]}")
                with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as answer:
                    if answer.status != 200:
                        raise SystemExit(f"{path} as {who} answered {answer.status}")

        print(f"\nwrk -t2 -c8 -d{args.seconds}s per node, the {len(PAGES)}-page mix")
        rate, p99, errors = read_wrk(wrk(nodes[0], args.seconds, script))
        print(f"one node:  {rate:8.1f} req/s  p99 {p99}  non-2xx {errors}")
        both = [wrk(node, args.seconds, script) for node in nodes]
        results = [read_wrk(process) for process in both]
        print(
            f"two nodes: {sum(r[0] for r in results):8.1f} req/s  "
            f"(node A {results[0][0]:.1f}, node B {results[1][0]:.1f}; p99 "
            f"{results[0][1]} / {results[1][1]})  non-2xx {sum(r[2] for r in results)}"
        )

        timed = json.loads(
            subprocess.run(
                [PYTHON, "bench/cluster.py", "--dbtime", json.dumps(cookies)]
                + ["--runs", str(args.runs)],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            ).stdout
        )
        print(f"\nper request, median of {args.runs} (in-process, Django's test client):")
        print(f"{'page':60} {'queries':>7} {'db ms':>7} {'total ms':>8}")
        for row in timed:
            label = f"{row['path']} ({row['who']})"
            print(f"{label:60} {row['queries']:7d} {row['db_ms']:7.2f} {row['total_ms']:8.2f}")
        db = sum(row["db_ms"] for row in timed) / len(timed)
        total = sum(row["total_ms"] for row in timed) / len(timed)
        print(
            f"{'mean over the mix':60} {'':7} {db:7.2f} {total:8.2f}",
            f"({db / total:.0%} in the database)",
        )
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                if process.args[0] == PYTHON:
                    os.killpg(process.pid, signal.SIGTERM)
                else:
                    process.terminate()
                process.wait(timeout=30)
        if postgres:
            with psycopg.connect(
                urlunsplit(parts._replace(path="/postgres")), autocommit=True
            ) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
