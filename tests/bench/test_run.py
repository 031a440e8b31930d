"""bench/run end to end at a tiny scale: seeding, both listeners, floors, wrk, the report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from bench import harness

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["key check", "/products/, guest", "a group's Members"]


def test_bench_run_measures_pages_against_the_floors_and_writes_the_report(tmp_path):
    env = os.environ | {"BENCH_CACHE_DIR": str(tmp_path / "cache")}
    db = "sqlite"
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        # The same server, a database of its own beside the tests' one.
        db = "postgres"
        env["BENCH_DATABASE_URL"] = os.environ["DATABASE_URL"] + "_bench"
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n")
    command = [sys.executable, str(ROOT / "bench" / "run"), "--db", db, "--scale", "tiny"]
    command += ["--seconds", "1", "--single", "3", "--results", str(tmp_path / "results")]
    command += ["--readme", str(readme)]
    for page in PAGES:
        command += ["--page", page]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr

    (report,) = (tmp_path / "results").glob(f"*-{db}.md")
    text = report.read_text()
    assert f"{db}, tiny scale" in text
    for floor in ("template", "204"):
        figures = r"[\d,]+ \([\d,]+ / [\d,]+\)"
        assert re.search(rf"\| floor: {floor} \(start / end\) \| {figures} \|", text)
    rows = [
        line
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith(("| page |", "| floor:"))
    ]
    assert [row.split(" | ")[0].lstrip("| ") for row in rows] == [
        "/products/, guest",
        "a group's Members",
        "key check (gateway listener)",
    ]
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert float(cells[1].replace(",", "")) > 0  # req/s
        assert cells[5].isdigit()  # queries per request, read from the header
        assert cells[9].startswith(("yes (", "no ("))
    assert harness.README_START in readme.read_text()
    assert "## Latest bench/run" in readme.read_text()
    assert text.strip() in readme.read_text()

    stored = json.loads((tmp_path / "cache" / f"last-{db}-tiny.json").read_text())
    assert 0 < stored["rss_mb"] < harness.MAX_RSS_MB
    key = stored["results"][-1]
    assert key["kind"] == "key" and key["queries"] >= 1
