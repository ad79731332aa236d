"""`seed eval` end to end: each protocol writes a record that `seed results` tabulates."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, run_cli, write_teacher
from eval_fixtures import write_cifar10, write_imagenet_folder, write_sun397

FAST = ["features.image_size=32", "features.resize=32", "features.workers=0", "features.batch_size=16"]


def test_knn_linear_fast_and_semisup_write_records_and_one_table(tmp_path):
    write_imagenet_folder(tmp_path / "imagenet", classes=3)
    student = write_teacher(tmp_path / "run" / "student.pth", seed=4)
    common = ["--model", str(student), "--data", str(tmp_path / "imagenet"), "--dataset", "imagenet",
              "--output", str(tmp_path / "results"), f"features.cache_dir={tmp_path / 'cache'}", *FAST]
    knn = run_cli("eval", "knn", *common, "knn.ks=[5,10]")
    assert knn.returncode == 0, knn.stderr[-2000:]
    assert "run | knn | imagenet val" in knn.stdout
    fast = run_cli("eval", "linear-fast", *common, "probe.weight_decays=[0.0,0.001]")
    assert fast.returncode == 0, fast.stderr[-2000:]
    (tmp_path / "1percent.txt").write_text("n00000000_0.JPEG\nn00000001_0.JPEG\nn00000002_1.JPEG\n")
    semi = run_cli("eval", "semisup", *common, "--subset", str(tmp_path / "1percent.txt"), "probe.weight_decays=[0.0]")
    assert semi.returncode == 0, semi.stderr[-2000:]

    record = json.loads((tmp_path / "results" / "run__knn__imagenet__val.json").read_text())
    assert set(record["metrics"]) >= {"top1", "top5", "k5_top1", "k10_majority_top1"}
    assert record["checkpoint"] == str(student) and len(record["checkpoint_sha256"]) == 64
    assert record["config"]["knn"]["ks"] == [5, 10]
    semi_record = json.loads((tmp_path / "results" / "run__semisup-1percent__imagenet__val.json").read_text())
    assert semi_record["config"]["protocol_details"]["subset_size"] == 3

    table = run_cli("results", str(tmp_path / "results"))
    assert table.returncode == 0
    header = table.stdout.splitlines()[0]
    for column in ("knn imagenet top1", "linear-fast imagenet top1", "semisup-1percent imagenet top1"):
        assert column in header


def test_semisup_on_two_images_per_class_cross_validates_and_a_missing_class_is_named(tmp_path):
    write_imagenet_folder(tmp_path / "imagenet", classes=4, train_per_class=4, val_per_class=2)
    student = write_teacher(tmp_path / "student.pth", seed=5)
    common = ["--model", str(student), "--data", str(tmp_path / "imagenet"), "--output", str(tmp_path / "results"),
              "--name", "few", f"features.cache_dir={tmp_path / 'cache'}", *FAST, "probe.max_iter=50"]
    (tmp_path / "two.txt").write_text("".join(f"n{c:08d}_{i}.JPEG\n" for c in range(4) for i in range(2)))
    semi = run_cli("eval", "semisup", *common, "--subset", str(tmp_path / "two.txt"))
    assert semi.returncode == 0, semi.stderr[-2000:]
    details = json.loads((tmp_path / "results" / "few__semisup-two__imagenet__val.json").read_text()
                         )["config"]["protocol_details"]
    assert details["train_images"] == 8 and details["train_classes"] == 4
    assert details["weight_decay_choice"]["method"] == "cross-validation"
    assert details["weight_decay_choice"]["splits"] == 2 and len(details["sweep"]) == 6

    (tmp_path / "partial.txt").write_text("n00000000_0.JPEG\nn00000001_0.JPEG\n")
    partial = run_cli("eval", "semisup", *common, "--subset", str(tmp_path / "partial.txt"))
    assert partial.returncode != 0 and "test_size" not in partial.stderr
    assert "partial.txt" in partial.stderr and "n00000002, n00000003" in partial.stderr


def test_official_linear_protocol_runs_and_records(tmp_path):
    write_imagenet_folder(tmp_path / "imagenet", classes=2, train_per_class=4, val_per_class=2)
    student = write_teacher(tmp_path / "student.pth")
    result = run_cli("eval", "linear", "--model", str(student), "--data", str(tmp_path / "imagenet"),
                     "--output", str(tmp_path / "results"), "--name", "tiny", *FAST, "linear.epochs=2",
                     "linear.batch_size=4", "linear.workers=0")
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / "results" / "tiny__linear__imagenet__val.json").read_text())
    assert record["metrics"]["lr"] == 30.0 * 4 / 256  # resnet18: the ResNet learning rate, scaled by batch
    assert record["config"]["linear"]["epochs"] == 2


def test_transfer_on_cifar10_and_sun397(tmp_path):
    write_cifar10(tmp_path / "cifar")
    write_sun397(tmp_path / "sun")
    student = write_teacher(tmp_path / "student.pth")
    for dataset, root in (("cifar10", tmp_path / "cifar"), ("sun397", tmp_path / "sun")):
        result = run_cli("eval", "transfer", "--model", str(student), "--dataset", dataset, "--data", str(root),
                         "--output", str(tmp_path / "results"), "--name", "student", *FAST, "probe.weight_decays=[0.0]",
                         f"features.cache_dir={tmp_path / 'cache'}")
        assert result.returncode == 0, result.stderr[-2000:]
        assert (tmp_path / "results" / f"student__transfer__{dataset}__val.json").is_file()


def test_disco_transfer_setting_uses_sgd_on_features(tmp_path):
    write_cifar10(tmp_path / "cifar")
    result = run_cli("eval", "transfer", "--config", "configs/eval/cifar10_transfer_disco.yaml",
                     "--model", str(write_teacher(tmp_path / "student.pth")), "--data", str(tmp_path / "cifar"),
                     "--output", str(tmp_path / "results"), "--name", "student", *FAST, "probe.epochs=3",
                     "probe.milestones=[2]")
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / "results" / "student__transfer-sgd__cifar10__test.json").read_text())
    assert record["config"]["probe"]["lr"] == 3.0 and record["config"]["protocol_details"]["solver"] == "sgd"


def test_bad_inputs_are_named(tmp_path):
    student = write_teacher(tmp_path / "student.pth")
    missing = run_cli("eval", "knn", "--model", str(student), "--data", str(tmp_path / "nowhere"))
    assert missing.returncode != 0 and "nowhere/train" in missing.stderr
    write_imagenet_folder(tmp_path / "imagenet", classes=2)
    wrong = run_cli("eval", "transfer", "--model", str(student), "--data", str(tmp_path / "imagenet"))
    assert wrong.returncode != 0 and "transfer evaluates on cifar10" in wrong.stderr
    nosub = run_cli("eval", "semisup", "--model", str(student), "--data", str(tmp_path / "imagenet"), *FAST)
    assert nosub.returncode != 0 and "data.subset" in nosub.stderr


@pytest.mark.slow
def test_two_processes_extract_the_same_features_as_one(tmp_path):
    write_imagenet_folder(tmp_path / "imagenet", classes=3, train_per_class=5, val_per_class=3)
    student = write_teacher(tmp_path / "student.pth", seed=6)
    common = ["eval", "knn", "--model", str(student), "--data", str(tmp_path / "imagenet"), "--dataset", "imagenet",
              "--name", "tiny", *FAST, "knn.ks=[3]", "device=cpu"]
    single = run_cli(*common, "--output", str(tmp_path / "one"), f"features.cache_dir={tmp_path / 'c1'}")
    assert single.returncode == 0, single.stderr[-2000:]
    sharded = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                              "-m", "seed", *common, "--output", str(tmp_path / "two"),
                              f"features.cache_dir={tmp_path / 'c2'}"],
                             cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True,
                             timeout=600)
    assert sharded.returncode == 0, sharded.stderr[-3000:]
    one = json.loads((tmp_path / "one" / "tiny__knn__imagenet__val.json").read_text())["metrics"]
    two = json.loads((tmp_path / "two" / "tiny__knn__imagenet__val.json").read_text())["metrics"]
    assert one == pytest.approx(two)
    first = {f.shape: f for f in (np.load(p) for p in (tmp_path / "c1").glob("*/features.npy"))}
    second = {f.shape: f for f in (np.load(p) for p in (tmp_path / "c2").glob("*/features.npy"))}
    assert first.keys() == second.keys()
    for shape in first:
        assert np.allclose(first[shape], second[shape], atol=1e-5)
