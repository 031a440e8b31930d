"""bench/run's workings: seed or reuse, serve, load, compare with the floors, report.

The pure parts (parsing wrk's output, ratios, growth, targets, the table) come
first and are unit-tested (tests/bench/); the rest drives processes: the
seeder (bench/seed_large.py), gunicorn with bench/settings.py, wrk.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
SCALE_ORDER = ["tiny", "tenth", "full"]
FLOOR_TEMPLATE = "/bench/floor/template/"
FLOOR_EMPTY = "/bench/floor/empty/"
QUERIES_HEADER = "X-Bench-Queries"
API_VERSION = "2022-08-01"
README_START = "<!-- bench/run: latest -->"
README_END = "<!-- bench/run: end -->"

# The targets: a page's share of its floor, one request alone, growth.
TARGETS: dict[str, dict[str, Any]] = {
    "key": {"ratio": 0.80, "floor": "204"},
    "portal": {"ratio": 0.50, "floor": "template"},
    "console": {"ratio": 0.25, "floor": "template", "ms": 25.0},
}
MAX_GROWTH = 0.20
MAX_RSS_MB = 200
# How long gunicorn may take to answer /health/ after it starts. Two workers
# importing Django on a machine busy with other tests took over 30 s once.
START_SECONDS = 120


@dataclass(frozen=True)
class Page:
    label: str
    who: str  # admin, developer, guest, token (management API), gateway (key check)
    path: str
    kind: str  # key, portal, console
    status: int = 200


@dataclass
class Wrk:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int = 0


@dataclass
class Result:
    label: str
    kind: str
    rps: float
    p50_ms: float
    p99_ms: float
    single_ms: float
    queries: int | None
    ratio: float = 0.0
    growth: float | None = None
    extra: dict = field(default_factory=dict)


# --- pure parts ---------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def duration_ms(text: str) -> float:
    """wrk's durations (`812.00us`, `3.21ms`, `1.02s`, `1.5m`) in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _UNITS_MS[match[2]]


def parse_wrk(output: str) -> Wrk:
    """Requests per second, p50 and p99, and failed answers, from `wrk --latency`."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    p50 = re.search(r"^\s+50(?:\.000)?%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99(?:\.000)?%\s+(\S+)", output, re.MULTILINE)
    if not (rps and p50 and p99):
        raise ValueError("wrk's output has no Requests/sec or latency distribution:\n" + output)
    errors = 0
    if non_2xx := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        errors += int(non_2xx[1])
    if sockets := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in sockets.groups())
    return Wrk(float(rps[1]), duration_ms(p50[1]), duration_ms(p99[1]), errors)


def ratio(rps: float, floor: float) -> float:
    return rps / floor if floor else 0.0


def growth_cost(small: float, large: float) -> float | None:
    """The share of a page's ratio to its floor lost from a tenth of the data to full size.

    Ratios, not requests per second: the floor is measured in the same run,
    so a machine busier during one run than the other doesn't read as growth.
    Positive: slower at full size.
    """
    if not small or large is None:
        return None
    return (small - large) / small


def verdict(result: Result) -> tuple[bool, str]:
    """Whether a page meets its targets, and by how much it beats or misses each."""
    target = TARGETS[result.kind]
    parts = []
    met = True
    margin = result.ratio / target["ratio"] - 1
    parts.append(f"ratio {margin:+.0%}")
    met &= margin >= 0
    if "ms" in target:
        ms_margin = 1 - result.single_ms / target["ms"]
        parts.append(f"time {ms_margin:+.0%}")
        met &= ms_margin >= 0
    if result.growth is not None:
        growth_margin = MAX_GROWTH - result.growth
        parts.append(f"growth {growth_margin * 100:+.0f} pt")
        met &= growth_margin >= 0
    return met, ("yes" if met else "no") + " (" + ", ".join(parts) + ")"


def target_text(kind: str) -> str:
    target = TARGETS[kind]
    text = f"≥ {target['ratio']:.2f} × {target['floor']} floor"
    if "ms" in target:
        text += f", < {target['ms']:.0f} ms"
    return text


def fmt_growth(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.0%}"


def table(results: list[Result], floors: dict[str, list[float]]) -> str:
    """The Markdown table: the floors first, then every page."""
    lines = [
        "| page | req/s | p50 ms | p99 ms | one at a time ms | queries | ratio to floor "
        "| growth cost tenth → full | target | met |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, values in floors.items():
        runs = " / ".join(f"{v:,.0f}" for v in values)
        lines.append(
            f"| floor: {name} (start / end) | {statistics.mean(values):,.0f} ({runs}) "
            "| | | | 0 | 1.00 | | | |"
        )
    for r in results:
        _, met = verdict(r)
        lines.append(
            f"| {r.label} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.single_ms:.1f} "
            f"| {'?' if r.queries is None else r.queries} | {r.ratio:.2f} "
            f"| {fmt_growth(r.growth)} | {target_text(r.kind)} | {met} |"
        )
    return "\n".join(lines)


def replace_section(text: str, section: str) -> str:
    """Put `section` between the README's markers, or append it with them."""
    block = f"{README_START}\n{section.strip()}\n{README_END}"
    if README_START in text and README_END in text:
        before, rest = text.split(README_START, 1)
        _, after = rest.split(README_END, 1)
        return before + block + after
    return text.rstrip("\n") + "\n\n" + block + "\n"


def machine() -> str:
    """CPU model, cores and memory: enough to compare runs, nothing that names the host."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.1f} GB RAM"
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}"


def pages(seed: dict) -> list[Page]:
    """Every page the issue measures, with what the seed named for them."""
    service = (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/portico"
        "/providers/Microsoft.ApiManagement/service/portico"
    )
    group = seed["group"]
    return [
        Page("landing, developer", "developer", "/", "portal"),
        Page("/products/, developer in 200 groups", "developer", "/products/", "portal"),
        Page("/products/, guest", "guest", "/products/", "portal"),
        Page(
            "a product's portal page", "developer", f"/products/{seed['portal_product']}/", "portal"
        ),
        Page("an API's reference page", "developer", f"/apis/{seed['api']}/", "portal"),
        Page("console Groups list", "admin", "/console/groups/", "console"),
        Page(
            "console Groups list, last page",
            "admin",
            f"/console/groups/?page={seed['groups_last_page']}",
            "console",
        ),
        Page("a group's Members", "admin", f"/console/groups/{group}/members/", "console"),
        Page(
            "Members › + Add, search ~11% of people",
            "admin",
            f"/console/groups/{group}/members/add/?q=first1",
            "console",
        ),
        Page("console Users", "admin", "/console/users/", "console"),
        Page("Users, search matching 1%", "admin", "/console/users/?q=last100", "console"),
        Page("a user's page", "admin", f"/console/users/{seed['user_id']}/", "console"),
        Page(
            "a product's console page",
            "admin",
            f"/console/products/{seed['console_product']}/",
            "console",
        ),
        Page("console Subscriptions", "admin", "/console/subscriptions/", "console"),
        Page("console Approvals", "admin", "/console/approvals/", "console"),
        Page(
            "management API group list",
            "token",
            f"{service}/groups?api-version={API_VERSION}",
            "console",
        ),
        Page(
            "management API product list",
            "token",
            f"{service}/products?api-version={API_VERSION}",
            "console",
        ),
        Page("key check (gateway listener)", "gateway", "/gateway/check", "key", 204),
    ]


# --- processes --------------------------------------------------------------


class BenchError(Exception):
    """Something the run can't go on without; its message says what."""


def cache_dir() -> Path:
    if explicit := os.environ.get("BENCH_CACHE_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "portico-bench"


def database_url(db: str, scale: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{cache_dir() / f'{scale}.sqlite3'}"
    prefix = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portico_bench"
    )
    return f"{prefix}_{scale}"


def ensure_postgres_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(database: str, secret: str) -> dict[str, str]:
    """Production settings, serving plain HTTP on 127.0.0.1."""
    # REDIS_URL too: the run is on the embedded setup, and must not write
    # into whatever Redis the shell happens to name.
    dropped = ("PORTICO_LISTENER", "DJANGO_DEBUG", "REDIS_URL")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_ENV="production",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secret,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database,
        # Production refuses to start without a mailer; GET requests send no mail.
        DJANGO_EMAIL_URL="console://",
        # Production redirects plain HTTP to HTTPS; wrk speaks plain HTTP here.
        # Every other production switch (secure cookies, HSTS) stays on.
        DJANGO_SECURE_SSL_REDIRECT="false",
        PORTICO_VAR_DIR=str(cache_dir() / "var"),
    )
    return env


def python() -> str:
    return sys.executable


def seed(db: str, scale: str, env: dict[str, str]) -> dict:
    """Seed (or reuse) the database of this db and scale; what its pages need."""
    if db == "postgres":
        ensure_postgres_database(env["DATABASE_URL"])
    seed_env = env | {"DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_ENV": "development"}
    started = time.monotonic()
    done = subprocess.run(
        [python(), str(ROOT / "bench" / "seed_large.py"), "--scale", scale, "--reuse", "--json"],
        cwd=ROOT,
        env=seed_env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise BenchError(f"seeding failed:\n{done.stdout}\n{done.stderr}")
    prepared = json.loads(done.stdout.strip().splitlines()[-1])
    prepared["prepare_seconds"] = round(time.monotonic() - started, 1)
    return prepared


class Server:
    """One gunicorn with gunicorn.conf.py (2 sync workers): the portal or the gateway listener."""

    def __init__(self, env: dict[str, str], listener: str, logdir: Path) -> None:
        self.port = free_port()
        self.env = dict(env)
        if listener == "gateway":
            self.env |= {"PORTICO_LISTENER": "gateway", "PORTICO_GATEWAY_BIND": self.address}
        else:
            self.env |= {"PORTICO_BIND": self.address}
        self.log = logdir / f"{listener}.log"
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        gunicorn = str(Path(python()).with_name("gunicorn"))
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [gunicorn, "portal.wsgi:application", "--config", "gunicorn.conf.py"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn stopped:\n{self.log.read_text()[-2000:]}")
            try:
                status, _ = get(self.address, "/health/", {})
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(
            f"gunicorn did not answer /health/ in {START_SECONDS} s:\n"
            f"{self.log.read_text()[-2000:]}"
        )

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def worker_rss_mb(self) -> float:
        """The largest resident size among this master's workers."""
        if not self.process:
            return 0.0
        largest = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) != self.process.pid:
                    continue
                for line in (stat.parent / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        largest = max(largest, int(line.split()[1]) / 1024)
            except (OSError, IndexError, ValueError):
                continue
        return largest


def get(address: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    host, port = address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


def one_at_a_time_ms(address: str, path: str, headers: dict[str, str], count: int) -> float:
    """The median of `count` requests sent one after another, after one to warm up."""
    host, port = address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    timings = []
    try:
        for n in range(count + 1):
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if n:
                timings.append((time.perf_counter() - started) * 1000)
            if response.getheader("connection", "").lower() == "close":
                conn.close()
    finally:
        conn.close()
    return statistics.median(timings)


def run_wrk(address: str, path: str, headers: dict[str, str], seconds: int) -> Wrk:
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(
        [*command, f"http://{address}{path}"], capture_output=True, text=True, timeout=seconds + 60
    )
    if done.returncode:
        raise BenchError(f"wrk failed on {path}: {done.stderr}")
    return parse_wrk(done.stdout)


def headers_for(page: Page, seed: dict) -> dict[str, str]:
    if page.who == "admin":
        return {"Cookie": seed["admin_cookie"]}
    if page.who == "developer":
        return {"Cookie": seed["developer_cookie"]}
    if page.who == "token":
        return {"Authorization": f"Bearer {seed['token']}"}
    if page.who == "gateway":
        return {"Ocp-Apim-Subscription-Key": seed["key"], "X-Product": seed["key_product"]}
    return {}


def measure_floors(address: str, seconds: int) -> dict[str, float]:
    floors = {}
    for name, path, status in (("template", FLOOR_TEMPLATE, 200), ("204", FLOOR_EMPTY, 204)):
        got, answer = get(address, path, {})
        if got != status:
            raise BenchError(f"the {name} floor ({path}) answered {got}, not {status}")
        if answer.get(QUERIES_HEADER.lower()) != "0":
            raise BenchError(
                f"the {name} floor ran {answer.get(QUERIES_HEADER.lower())} queries, not 0"
            )
        floors[name] = run_wrk(address, path, {}, seconds).rps
    return floors


def measure(
    db: str, scale: str, seconds: int, single: int, only: list[str] | None, log=print
) -> dict:
    """Seed or reuse, serve, and measure every page against the floors: one scale's results."""
    secret = secrets.token_urlsafe(50)
    cache_dir().mkdir(parents=True, exist_ok=True)
    env = base_env(database_url(db, scale), secret)
    log(f"== {db}, {scale}: seeding or reusing the database")
    seeded = seed(db, scale, env)
    if seeded["reused"]:
        log(f"   reused a database seeded alike (migrated; {seeded['prepare_seconds']} s)")
    else:
        log(f"   seeded in {seeded['seed_seconds']} s ({seeded['params']})")
    collect = subprocess.run(
        [python(), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if collect.returncode:
        raise BenchError(f"collectstatic failed:\n{collect.stderr}")
    chosen = [p for p in pages(seeded) if not only or any(o in p.label for o in only)]
    if not chosen:
        raise BenchError(f"no page matches {only}")
    with tempfile.TemporaryDirectory(prefix="portico-bench-") as logdir:
        portal = Server(env, "portal", Path(logdir))
        gateway = Server(env, "gateway", Path(logdir))
        try:
            portal.start()
            gateway.start()
            for page in chosen:
                server = gateway if page.who == "gateway" else portal
                status, _ = get(server.address, page.path, headers_for(page, seeded))
                if status != page.status:
                    raise BenchError(
                        f"{page.label} ({page.path}) answered {status}, not {page.status}: "
                        "nothing was measured"
                    )
            log("   floors (start)")
            start = measure_floors(portal.address, seconds)
            results = []
            for page in chosen:
                server = gateway if page.who == "gateway" else portal
                headers = headers_for(page, seeded)
                _, answer = get(server.address, page.path, headers)
                raw_queries = answer.get(QUERIES_HEADER.lower())
                loaded = run_wrk(server.address, page.path, headers, seconds)
                if loaded.errors:
                    raise BenchError(
                        f"{page.label}: {loaded.errors} failed answers under load "
                        f"(see the gunicorn log)\n{server.log.read_text()[-2000:]}"
                    )
                alone = one_at_a_time_ms(server.address, page.path, headers, single)
                results.append(
                    Result(
                        page.label,
                        page.kind,
                        loaded.rps,
                        loaded.p50_ms,
                        loaded.p99_ms,
                        alone,
                        int(raw_queries) if raw_queries is not None else None,
                    )
                )
                log(f"   {page.label}: {loaded.rps:,.0f} req/s, {alone:.1f} ms alone")
            log("   floors (end)")
            end = measure_floors(portal.address, seconds)
            rss = max(portal.worker_rss_mb(), gateway.worker_rss_mb())
        finally:
            portal.stop()
            gateway.stop()
    floors = {name: [start[name], end[name]] for name in start}
    for r in results:
        floor = statistics.mean(floors[TARGETS[r.kind]["floor"]])
        r.ratio = ratio(r.rps, floor)
    return {
        "db": db,
        "scale": scale,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": seconds,
        "params": seeded["params"],
        "seed_seconds": seeded["seed_seconds"],
        "floors": floors,
        "results": [asdict(r) for r in results],
        "rss_mb": round(rss, 1),
    }


def stored_path(db: str, scale: str) -> Path:
    return cache_dir() / f"last-{db}-{scale}.json"


def add_growth(large: dict, small: dict | None) -> None:
    """Each page's growth cost from the smaller scale's run to the larger's."""
    if small is None:
        return
    ratios = {r["label"]: r["ratio"] for r in small["results"]}
    for r in large["results"]:
        r["growth"] = growth_cost(ratios.get(r["label"], 0.0), r["ratio"])


def report(run: dict, growth_from: str | None) -> str:
    results = [Result(**r) for r in run["results"]]
    params = run["params"]
    size = (
        f"{params['users']:,} users, {params['groups']:,} groups, "
        f"{params['memberships']:,} memberships, {params['products']:,} products"
    )
    seeded = (
        f"{run['seed_seconds']} s (target < 120 s at full size)"
        if run["seed_seconds"] is not None
        else "reused a database seeded alike"
    )
    growth = (
        f"growth cost against the {growth_from} run" if growth_from else "no run to compare growth"
    )
    return "\n".join(
        [
            f"### {run['date']}: {run['db']}, {run['scale']} scale",
            "",
            f"{size}; {machine()}; gunicorn 2 sync workers; wrk -t2 -c8 -d{run['seconds']}s; "
            f"{growth}. Every page's target includes growth ≤ {MAX_GROWTH:.0%}; "
            "in met, a positive margin beats a target by that much, a negative one misses it.",
            "",
            table(results, run["floors"]),
            "",
            f"Seeding: {seeded}. Largest gunicorn worker: {run['rss_mb']} MB "
            f"(target < {MAX_RSS_MB} MB).",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/run", description="Every page against the framework's floor, in one run."
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--scale", choices=["full", "tenth", "both", "tiny"], default="both")
    parser.add_argument("--seconds", type=int, default=10, help="wrk's load per page")
    parser.add_argument("--single", type=int, default=30, help="requests one at a time per page")
    parser.add_argument("--page", action="append", help="only pages whose label contains this")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--readme", type=Path, default=ROOT / "bench" / "README.md")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("bench/run needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    scales = ["tenth", "full"] if args.scale == "both" else [args.scale]
    runs = {}
    try:
        for scale in scales:
            runs[scale] = measure(args.db, scale, args.seconds, args.single, args.page)
            stored_path(args.db, scale).write_text(json.dumps(runs[scale]))
    except BenchError as error:
        print(f"bench/run: {error}", file=sys.stderr)
        return 1
    # The table is the largest scale's; growth from the other scale, this run's or stored.
    main_scale = scales[-1]
    run = runs[main_scale]
    growth_from = None
    if main_scale in ("tenth", "full"):
        other = "tenth" if main_scale == "full" else "full"
        small = runs.get(other)
        if small is None and stored_path(args.db, other).exists():
            small = json.loads(stored_path(args.db, other).read_text())
        if small is not None:
            large, little = (run, small) if main_scale == "full" else (small, run)
            add_growth(large, little)
            if main_scale == "tenth":
                # Shown on the tenth's table: the same figure, read from the stored full run.
                by_label = {r["label"]: r.get("growth") for r in large["results"]}
                for r in run["results"]:
                    r["growth"] = by_label.get(r["label"])
            growth_from = f"{other} ({small['date']})"
    text = report(run, growth_from)
    print(text)
    args.results.mkdir(parents=True, exist_ok=True)
    day = run["date"][:10]
    (args.results / f"{day}-{args.db}.md").write_text(text)
    if args.readme.exists():
        args.readme.write_text(
            replace_section(args.readme.read_text(), "## Latest bench/run\n\n" + text)
        )
    return 0
