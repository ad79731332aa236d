"""benchmarks/gpu_suite.py --quick: every section of the GPU suite runs on CPU, reports its numbers and judges
its resume; a failing, hung or late section is recorded as such and the others still run."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from conftest import HANG_GUARD_S, REPO

# what each section must report, per row (the values are the GPU's business, not this test's)
EXPECTED = {
    "step": ["reference img/s", "ours eager img/s", "ours compiled img/s", "ours (best) vs reference"],
    "bound": ["teacher fwd ms", "student fwd+bwd ms", "efficiency (bound/step)", "GFLOP/step", "achieved TFLOP/s"],
    "data": ["img/s"],
    "run": ["first loss", "last loss", "img/s (mean of logs)"],
    "eval": ["value"],
}


@pytest.mark.slow
@pytest.mark.timeout(HANG_GUARD_S + 600)
def test_quick_mode_runs_every_section_and_reports_its_numbers(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    # a budget far above the quick mode's minutes: on a loaded machine it must not skip sections
    done = subprocess.run([sys.executable, "benchmarks/gpu_suite.py", "--quick", "--out", str(tmp_path), "--budget",
                           str(HANG_GUARD_S)], cwd=REPO, env=env, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "gpu_suite.json").read_text())
    assert list(report["sections"]) == list(EXPECTED)
    for name, keys in EXPECTED.items():
        section = report["sections"][name]
        assert section["status"] == "ok", (name, section.get("error"))
        assert section["rows"], name
        for row in section["rows"]:
            for key in keys:
                assert isinstance(row[key], (int, float)), (name, key, row)
    assert [row["student"] for row in report["sections"]["step"]["rows"]] == ["resnet18"]
    run = report["sections"]["run"]
    assert run["resume"] == {"starts after the checkpoint": True, "completes the run": True,
                             "matches the run without a stop": True}, run["curves"]
    table = (tmp_path / "gpu_suite.md").read_text()
    for name in EXPECTED:
        assert f"### {name} (ok" in table


@pytest.fixture
def gpu_suite():
    sys.path.insert(0, str(REPO / "benchmarks"))
    import gpu_suite

    yield gpu_suite
    sys.path.remove(str(REPO / "benchmarks"))


def test_a_resume_that_differs_from_the_run_without_a_stop_or_stops_early_is_judged_so(gpu_suite):
    reference = [(1, 5.0, 1.0), (2, 4.0, 1.0), (3, 3.0, 1.0), (4, 2.5, 1.0), (5, 2.25, 1.0), (6, 2.0, 1.0)]
    first, completed = reference[:3], {"status": "completed", "step": 6}
    good = gpu_suite.resume_verdict(first, reference[3:], reference, completed, 6, tolerance=0.0)
    assert all(good.values()), good
    drifted = [(4, 2.5, 1.0), (5, 2.3, 1.0), (6, 2.0, 1.0)]  # 2 % off at step 5
    assert gpu_suite.resume_verdict(first, drifted, reference, completed, 6, 0.0)["matches the run without a stop"] \
        is False
    assert gpu_suite.resume_verdict(first, drifted, reference, completed, 6, 0.05)["matches the run without a stop"]
    repeated = gpu_suite.resume_verdict(first, [(3, 3.0, 1.0), (4, 2.5, 1.0)], reference,
                                        {"status": "interrupted", "step": 4}, 6, 0.0)
    assert repeated["starts after the checkpoint"] is False and repeated["completes the run"] is False


def test_a_failing_section_is_recorded_and_the_next_still_runs(tmp_path, monkeypatch, gpu_suite):
    def broken(suite):
        raise ValueError("no such kernel")

    monkeypatch.setitem(gpu_suite.SECTIONS, "step", broken)
    assert gpu_suite.main(["--quick", "--out", str(tmp_path), "--sections", "step", "bound"]) == 0
    report = json.loads((tmp_path / "gpu_suite.json").read_text())
    assert report["sections"]["step"] == {"rows": [], "error": "ValueError: no such kernel", "status": "error",
                                          "seconds": report["sections"]["step"]["seconds"]}
    assert report["sections"]["bound"]["status"] == "error"  # ran, and says it lacks the step's models
    assert "section step's models" in report["sections"]["bound"]["error"]
    assert "error: `ValueError: no such kernel`" in (tmp_path / "gpu_suite.md").read_text()


def test_a_section_hung_past_the_budget_is_interrupted_and_recorded(tmp_path, monkeypatch, gpu_suite):
    def hung(suite):
        time.sleep(30)

    monkeypatch.setattr(gpu_suite, "GRACE_S", 1)
    monkeypatch.setitem(gpu_suite.SECTIONS, "data", hung)
    assert gpu_suite.main(["--quick", "--out", str(tmp_path), "--budget", "1", "--sections", "data"]) == 0
    section = json.loads((tmp_path / "gpu_suite.json").read_text())["sections"]["data"]
    assert section["status"] == "interrupted" and "past the time budget" in section["reason"]


def test_a_section_that_would_start_past_the_budget_is_recorded_as_skipped(tmp_path, monkeypatch, gpu_suite):
    def never(suite):
        raise AssertionError("a section past the budget must not start")

    monkeypatch.setitem(gpu_suite.SECTIONS, "eval", never)
    assert gpu_suite.main(["--quick", "--out", str(tmp_path), "--budget", "1e-9", "--sections", "eval"]) == 0
    section = json.loads((tmp_path / "gpu_suite.json").read_text())["sections"]["eval"]
    assert section["status"] == "skipped" and "spent before it started" in section["reason"]
    assert "### eval (skipped" in (tmp_path / "gpu_suite.md").read_text()
