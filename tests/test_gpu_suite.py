"""benchmarks/gpu_suite.py --quick: every section of the GPU suite runs on CPU and reports its numbers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from conftest import REPO

# what each section must report, per row (the values are the GPU's business, not this test's)
EXPECTED = {
    "step": ["reference img/s", "ours eager img/s", "ours compiled img/s", "ours (best) vs reference"],
    "bound": ["teacher fwd ms", "student fwd+bwd ms", "efficiency (bound/step)", "GFLOP/step", "achieved TFLOP/s"],
    "data": ["img/s"],
    "run": ["first loss", "last loss", "img/s (mean of logs)"],
    "eval": ["value"],
}


@pytest.mark.slow
def test_quick_mode_runs_every_section_and_reports_its_numbers(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "benchmarks/gpu_suite.py", "--quick", "--out", str(tmp_path)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=900)
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
    assert run["curves"]["resumed"][0][0] > run["curves"]["first"][-1][0]  # the resume starts after the checkpoint
    table = (tmp_path / "gpu_suite.md").read_text()
    for name in EXPECTED:
        assert f"### {name} (ok" in table


def test_a_failing_section_is_recorded_and_the_next_still_runs(tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO / "benchmarks"))
    import gpu_suite

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


def test_a_section_hung_past_the_budget_is_interrupted_and_recorded(tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO / "benchmarks"))
    import gpu_suite

    def hung(suite):
        time.sleep(30)

    monkeypatch.setattr(gpu_suite, "GRACE_S", 1)
    monkeypatch.setitem(gpu_suite.SECTIONS, "data", hung)
    assert gpu_suite.main(["--quick", "--out", str(tmp_path), "--budget", "1", "--sections", "data"]) == 0
    section = json.loads((tmp_path / "gpu_suite.json").read_text())["sections"]["data"]
    assert section["status"] == "error" and "past the time budget" in section["error"]
