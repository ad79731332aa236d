"""The embedded demo end to end: what README promises a new user."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli


PINNED = {"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}  # with --threads 2: the same numbers every run


@pytest.mark.slow
@pytest.mark.timeout(3000)  # two demo runs: the first trains 40 + 2 x 20 epochs, ~25 min on a slow 2-core machine
def test_demo_shows_the_teacher_above_the_seed_student_above_the_moco_student(tmp_path):
    result = run_cli("demo", "--out", str(tmp_path / "demo"), "--threads", "2", timeout=2700, env=PINNED)
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((tmp_path / "demo" / "demo_results.json").read_text())
    rows = {row["model"]: row for row in results["rows"]}
    assert set(rows) == {"teacher", "seed", "moco"}
    for row in rows.values():
        assert f"| {row['model']} |" in result.stdout
    assert rows["seed"]["arch"] == rows["moco"]["arch"] and rows["seed"]["epochs"] == rows["moco"]["epochs"]
    # what the demo exists to show: distilling from the teacher beats the student's own MoCo-v2
    assert rows["teacher"]["knn_top1"] > rows["seed"]["knn_top1"] > rows["moco"]["knn_top1"], rows
    for folder, name in (("teacher", "teacher"), ("seed-student", "seed"), ("moco-student", "moco")):
        # `seed eval` with no transform settings feeds each file as the demo does, and gives its number
        knn = run_cli("eval", "knn", "--model", str(tmp_path / "demo" / folder / "student.pth"),
                      "--data", str(tmp_path / "demo" / "data"), "--output", str(tmp_path / "eval"),
                      f"features.cache_dir={tmp_path / 'cache'}", "features.workers=0", env=PINNED)
        assert knn.returncode == 0, knn.stderr[-3000:]
        record = json.loads((tmp_path / "eval" / f"{folder}__knn__data__val.json").read_text())
        assert record["config"]["transform"]["source"] == "student file"
        assert record["metrics"]["top1"] == rows[name]["knn_top1"], (folder, record["metrics"], rows[name])
    second = run_cli("demo", "--out", str(tmp_path / "demo"), "--threads", "2", timeout=2700, env=PINNED)
    assert second.returncode == 0 and "reusing" in second.stdout
    again = {row["model"]: row for row in json.loads((tmp_path / "demo" / "demo_results.json").read_text())["rows"]}
    for name in ("seed", "moco"):  # retrained from scratch with pinned threads: exactly the same student
        assert again[name]["knn_top1"] == rows[name]["knn_top1"], (again[name], rows[name])
