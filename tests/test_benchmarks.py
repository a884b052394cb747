"""benchmarks/run_all.py: every benchmark's measure() into one JSON object; a failing one is an
error entry, not a crash."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def run_all(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import run_all

    return run_all


def test_quick_convert_run_writes_the_figures(tmp_path):
    out = tmp_path / "figures.json"
    argv = [sys.executable, str(BENCHMARKS / "run_all.py"), "--json", str(out), "--quick"]
    done = subprocess.run(
        [*argv, "--only", "bench_convert"],
        cwd=BENCHMARKS.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report) >= {"machine", "date", "figures", "raw"}
    assert set(report["machine"]) >= {"cpu", "cores", "ram_gb", "python", "platform"}
    assert report["figures"]["convert_vs_lxml"] > 0
    raw = report["raw"]["bench_convert"]
    assert raw["convert_s"] > 0 and raw["lxml_s"] > 0 and raw["answers"] == 20
    assert report["errors"] == {}


def test_a_failing_or_bare_benchmark_is_an_error_entry(run_all, tmp_path, monkeypatch):
    (tmp_path / "bench_good.py").write_text(
        "def measure(rounds=5, say=print):\n    say('working')\n    return {'good_ratio': 2}\n"
    )
    (tmp_path / "bench_fails.py").write_text(
        "def measure():\n    raise SystemExit('the crawl did not do its work')\n"
    )
    (tmp_path / "bench_bare.py").write_text("def main():\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(run_all, "HERE", tmp_path)
    monkeypatch.setitem(run_all.HEADLINES, "bench_good", ("good_*",))
    out = tmp_path / "figures.json"

    assert run_all.main(["--json", str(out), "--quick"]) == 1

    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["figures"] == {"good_ratio": 2.0}
    assert report["raw"]["bench_good"] == {"good_ratio": 2.0}
    assert report["raw"]["bench_fails"] == {"error": "SystemExit: the crawl did not do its work"}
    assert report["raw"]["bench_bare"] == {"error": "no measure() in the module"}
    assert set(report["errors"]) == {"bench_fails", "bench_bare"}


def test_only_the_parameters_a_measure_takes_are_given(run_all):
    def measure(answers=1, report=None):
        return {}

    lines = []
    kwargs = run_all.arguments(measure, {"answers": 3, "rounds": 1}, lines.append)
    assert kwargs == {"answers": 3, "report": lines.append}
