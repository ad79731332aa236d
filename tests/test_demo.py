"""The embedded demo end to end: what README promises a new user."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli


@pytest.mark.slow
def test_demo_trains_teacher_and_both_students_and_prints_knn(tmp_path):
    result = run_cli("demo", "--out", str(tmp_path / "demo"), timeout=1800, env={"OMP_NUM_THREADS": "2"})
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((tmp_path / "demo" / "demo_results.json").read_text())
    rows = {row["model"]: row for row in results["rows"]}
    assert set(rows) == {"teacher", "seed", "moco"}
    for row in rows.values():
        assert 0.0 <= row["knn_top1"] <= 100.0
        assert f"| {row['model']} |" in result.stdout
    assert rows["seed"]["arch"] == rows["moco"]["arch"] and rows["seed"]["epochs"] == rows["moco"]["epochs"]
    # a teacher worth distilling: well above chance (10 classes) and not collapsed (checked by the demo)
    assert rows["teacher"]["knn_top1"] > 30.0
    second = run_cli("demo", "--out", str(tmp_path / "demo"), timeout=1800, env={"OMP_NUM_THREADS": "2"})
    assert second.returncode == 0 and "reusing" in second.stdout
