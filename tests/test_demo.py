"""The embedded demo end to end: what README promises a new user. The demo runs once per session (the
`demo_run` fixture in conftest.py) and these tests read it."""
from __future__ import annotations

import json

import pytest

from conftest import HANG_GUARD_S
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
