"""The embedded demo end to end: what README promises a new user. The demo runs once per session (the
`demo_run` fixture in conftest.py) and these tests read it."""
from __future__ import annotations

import json

import pytest

from conftest import HANG_GUARD_S, PINNED_THREADS, run_cli
from downstream import demo

# the first test to ask for `demo_run` pays for it: 40 + 2 x 20 epochs of training
pytestmark = [pytest.mark.slow, pytest.mark.timeout(HANG_GUARD_S + 600)]


def test_demo_shows_the_teacher_above_the_seed_student_above_the_moco_student(demo_run):
    out, result = demo_run
    rows = {row["model"]: row for row in json.loads((out / "demo_results.json").read_text())["rows"]}
    assert set(rows) == {"teacher", "seed", "moco"}
    for row in rows.values():
        assert f"| {row['model']} |" in result.stdout
    assert rows["seed"]["arch"] == rows["moco"]["arch"] and rows["seed"]["epochs"] == rows["moco"]["epochs"]
    # what the demo exists to show: distilling from the teacher beats the student's own MoCo-v2
    assert rows["teacher"]["knn_top1"] > rows["seed"]["knn_top1"] > rows["moco"]["knn_top1"], rows


def test_a_second_run_reuses_the_kept_teacher_without_training_it(demo_run, monkeypatch):
    out, _ = demo_run
    first = {row["model"]: row for row in json.loads((out / "demo_results.json").read_text())["rows"]}

    def no_training(cfg, resume_from=None):
        raise AssertionError(f"trained {cfg.train.output_dir} again instead of reusing it")

    monkeypatch.setattr(demo, "distill", no_training)
    said: list[str] = []
    row = demo.DemoBench.prepare(out, "cpu").teacher(retrain=False, say=said.append)
    assert any("reusing" in line and str(out / "teacher" / "student.pth") in line for line in said), said
    assert row["train_seconds"] == 0
    assert (row["knn_top1"], row["knn_top5"]) == (first["teacher"]["knn_top1"], first["teacher"]["knn_top5"])


def test_seed_eval_knn_reproduces_each_demo_row_with_no_transform_flags(demo_run, tmp_path):
    out, _ = demo_run
    rows = {row["model"]: row for row in json.loads((out / "demo_results.json").read_text())["rows"]}
    for folder, name in (("teacher", "teacher"), ("seed-student", "seed"), ("moco-student", "moco")):
        # no transform settings: `seed eval` feeds each file as its student file says it was trained; the
        # demo extracts features in fp32 on every machine, so the precision is named here
        knn = run_cli("eval", "knn", "--model", str(out / folder / "student.pth"), "--data", str(out / "data"),
                      "--output", str(tmp_path / "eval"), f"features.cache_dir={tmp_path / 'cache'}",
                      "features.workers=0", "features.amp=none", env=PINNED_THREADS)
        assert knn.returncode == 0, knn.stderr[-3000:]
        record = json.loads((tmp_path / "eval" / f"{folder}__knn__data__val.json").read_text())
        assert record["config"]["transform"]["source"] == "student file"
        assert record["metrics"]["top1"] == rows[name]["knn_top1"], (folder, record["metrics"], rows[name])
