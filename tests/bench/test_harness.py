from __future__ import annotations

import socket

import pytest

from bench import harness
from bench.harness import Result

WRK_OUTPUT = """\
Running 3s test @ http://127.0.0.1:8000/console/groups/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    41.23ms   12.01ms 180.00ms   80.00%
    Req/Sec    97.50     20.12   140.00     70.00%
  Latency Distribution
     50%   39.80ms
     75%   45.00ms
     90%   55.10ms
     99%    1.02s
  585 requests in 3.01s, 12.50MB read
Requests/sec:    194.35
Transfer/sec:      4.15MB
"""


def test_parse_wrk_reads_throughput_and_percentiles():
    parsed = harness.parse_wrk(WRK_OUTPUT)
    assert parsed.rps == 194.35
    assert parsed.p50_ms == 39.8
    assert parsed.p99_ms == 1020.0
    assert parsed.errors == 0


def test_parse_wrk_counts_failed_answers_and_socket_errors():
    output = WRK_OUTPUT.replace(
        "Requests/sec",
        "  Socket errors: connect 0, read 2, write 0, timeout 3\n"
        "  Non-2xx or 3xx responses: 7\nRequests/sec",
    )
    assert harness.parse_wrk(output).errors == 12


def test_parse_wrk_refuses_output_without_figures():
    with pytest.raises(ValueError, match="Requests/sec"):
        harness.parse_wrk("unable to connect to 127.0.0.1:8000 Connection refused")


@pytest.mark.parametrize(
    ("text", "ms"), [("812.00us", 0.812), ("3.21ms", 3.21), ("1.50s", 1500.0), ("2.00m", 120_000.0)]
)
def test_duration_ms_converts_wrk_units(text, ms):
    assert harness.duration_ms(text) == pytest.approx(ms)


def test_growth_cost_compares_ratios_to_the_floor():
    assert harness.growth_cost(0.50, 0.40) == pytest.approx(0.20)
    assert harness.growth_cost(0.40, 0.50) == pytest.approx(-0.25)
    assert harness.growth_cost(0.0, 0.40) is None


def test_ratio_to_floor():
    assert harness.ratio(500, 2000) == 0.25
    assert harness.ratio(500, 0) == 0.0


def result(kind="console", rps=100.0, single_ms=10.0, ratio=0.3, growth=None):
    return Result("page", kind, rps, 5.0, 20.0, single_ms, 4, ratio=ratio, growth=growth)


def test_verdict_console_page_needs_ratio_and_time():
    assert harness.verdict(result(ratio=0.30, single_ms=20.0)) == (
        True,
        "yes (ratio +20%, time +20%)",
    )
    met, text = harness.verdict(result(ratio=0.30, single_ms=30.0))
    assert not met
    assert text == "no (ratio +20%, time -20%)"


def test_verdict_counts_growth_when_known():
    met, text = harness.verdict(result(kind="portal", ratio=0.60, growth=0.35))
    assert not met
    assert text == "no (ratio +20%, growth -15 pt)"


def test_verdict_key_check_against_its_share_of_the_204_floor():
    met, text = harness.verdict(result(kind="key", ratio=0.60))
    assert not met
    assert text == "no (ratio -25%)"


def test_table_lists_floors_then_pages_in_equal_columns():
    rows = [result(), result(kind="key", ratio=0.9, growth=0.05)]
    text = harness.table(rows, {"template": [1000.0, 1200.0], "204": [3000.0, 2800.0]})
    lines = text.splitlines()
    assert len(lines) == 2 + 2 + 2
    assert {line.count("|") for line in lines} == {11}
    assert "| floor: template (start / end) | 1,100 (1,000 / 1,200) |" in lines[2]
    assert "≥ 0.80 × 204 floor" in lines[5]
    assert "| +5% |" in lines[5]
    assert lines[4].endswith("| yes (ratio +20%, time +60%) |")


def test_replace_section_rewrites_between_the_markers():
    readme = f"# Bench\n\nintro\n\n{harness.README_START}\nold\n{harness.README_END}\n\n## Older\n"
    updated = harness.replace_section(readme, "new table")
    assert "old" not in updated
    assert f"{harness.README_START}\nnew table\n{harness.README_END}" in updated
    assert updated.startswith("# Bench\n\nintro\n") and updated.endswith("## Older\n")
    assert harness.replace_section(updated, "newer").count(harness.README_START) == 1


def test_replace_section_appends_when_no_markers():
    updated = harness.replace_section("# Bench\n", "table")
    assert updated == f"# Bench\n\n{harness.README_START}\ntable\n{harness.README_END}\n"


def test_add_growth_matches_pages_by_label():
    small = {"results": [{"label": "a", "ratio": 0.5}, {"label": "b", "ratio": 0.2}]}
    large = {"results": [{"label": "a", "ratio": 0.25}, {"label": "c", "ratio": 0.1}]}
    harness.add_growth(large, small)
    assert large["results"][0]["growth"] == pytest.approx(0.5)
    assert large["results"][1]["growth"] is None


def test_machine_names_no_host():
    described = harness.machine()
    assert "cores" in described
    assert socket.gethostname() not in described


def test_pages_cover_the_issue_and_the_key_check_expects_204():
    seeded = {
        "group": "bench-00250",
        "groups_last_page": 20,
        "user_id": 5,
        "console_product": "bench-product-0010",
        "portal_product": "bench-product-0001",
        "api": "bench-api",
    }
    pages = harness.pages(seeded)
    assert len({p.label for p in pages}) == len(pages) == 18
    key = [p for p in pages if p.kind == "key"]
    assert [(p.who, p.status) for p in key] == [("gateway", 204)]
    assert all(p.status == 200 for p in pages if p.kind != "key")
