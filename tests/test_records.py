"""Result records and the one results table."""
from __future__ import annotations

import hashlib
import json

import pytest

from downstream.records import ResultRecord, read_records, write_record
from seed.utils.hashing import file_digest

from conftest import run_cli


def record(model, protocol, dataset, value, metric="top1", created="2026-01-01T00:00:00"):
    return ResultRecord(model=model, protocol=protocol, dataset=dataset, split="val",
                        metrics={metric: value, "other": -1.0}, primary_metric=metric, created=created)


def test_seed_results_builds_one_row_per_model_and_one_column_per_protocol(tmp_path):
    write_record(record("seed-effb0", "knn", "imagenet", 61.25), tmp_path)
    write_record(record("seed-effb0", "linear", "imagenet", 67.5), tmp_path)
    write_record(record("mocov2-effb0", "knn", "imagenet", 40.0), tmp_path / "nested")
    write_record(record("mocov2-effb0", "detection", "voc07+12", 50.1, metric="AP50"), tmp_path)
    (tmp_path / "unrelated.json").write_text(json.dumps({"hello": 1}))
    result = run_cli("results", str(tmp_path), "--csv", str(tmp_path / "t.csv"), "--markdown", str(tmp_path / "t.md"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "t.csv").read_text().splitlines() == [
        "model,detection voc07+12 AP50,knn imagenet top1,linear imagenet top1",
        "mocov2-effb0,50.10,40.00,",
        "seed-effb0,,61.25,67.50",
    ]
    assert (tmp_path / "t.md").read_text() == result.stdout
    assert "| seed-effb0 |  | 61.25 | 67.50 |" in result.stdout


def test_the_newest_record_of_a_cell_wins(tmp_path):
    write_record(record("m", "knn", "cifar10", 10.0, created="2026-01-01T00:00:00"), tmp_path / "a")
    write_record(record("m", "knn", "cifar10", 20.0, created="2026-02-01T00:00:00"), tmp_path / "b")
    assert [r.metrics["top1"] for r in read_records(tmp_path)] == [10.0, 20.0]
    assert "20.00" in run_cli("results", str(tmp_path)).stdout


def test_record_names_its_primary_metric():
    with pytest.raises(ValueError, match="primary metric 'top5'"):
        ResultRecord(model="m", protocol="knn", dataset="d", split="val", metrics={"top1": 1.0}, primary_metric="top5")


def test_record_keeps_checkpoint_hash_config_and_versions(tmp_path):
    checkpoint = tmp_path / "student.pth"
    checkpoint.write_bytes(b"weights")
    rec = record("m", "knn", "d", 1.0)
    rec.checkpoint, rec.checkpoint_sha256, rec.config = str(checkpoint), file_digest(checkpoint), {"k": 20}
    saved = json.loads(write_record(rec, tmp_path).read_text())
    assert saved["checkpoint_sha256"] == hashlib.sha256(b"weights").hexdigest()
    assert saved["config"] == {"k": 20} and "torch" in saved["versions"]


def test_empty_results_folder_is_reported(tmp_path):
    result = run_cli("results", str(tmp_path))
    assert result.returncode != 0 and "no result records" in result.stderr
