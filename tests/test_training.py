"""The trainer end to end: resumable after kill -9, atomic saves, NaN stops, corrupt images skipped."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from seed.config import to_dict
from seed.data.tsv import build_lineidx, imagefolder_to_tsv
from seed.engine.checkpoint import atomic_save, latest_checkpoint, list_checkpoints
from seed.engine.stop import TrainingInterrupted
from seed.engine.trainer import RunExistsError, Trainer, distill

from conftest import (REPO, assert_interrupted_with_a_checkpoint, assert_same_run, make_image_folder, run_cli,
                      tiny_config, wait_for, write_teacher)


def write_config(path: Path, cfg) -> Path:
    path.write_text(yaml.safe_dump(to_dict(cfg)))
    return path


def test_a_run_writes_config_versions_metrics_and_a_student(tmp_path):
    result = distill(tiny_config(tmp_path))
    run = tmp_path / "run"
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "completed" and record["seed"] == 0
    assert record["sessions"][0]["versions"]["torch"] == torch.__version__.split("+")[0] or \
        record["sessions"][0]["versions"]["torch"].startswith(torch.__version__.split("+")[0])
    assert yaml.safe_load((run / "config.yaml").read_text())["objective"]["params"]["teacher_temperature"] == 1e-4
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == list(range(1, 7)) and all("img_per_s" in m for m in metrics)
    assert any((run / "tensorboard").iterdir())
    names = [p.name for p in list_checkpoints(run / "checkpoints")]
    assert names == ["epoch-0000-step-00000003.pth", "epoch-0001-step-00000006.pth"]
    student = torch.load(result.student_path, weights_only=True)
    assert student["format"] == "seed-student/1" and student["arch"] == "mobilenetv3_small_050"


def test_without_a_progress_bar_every_log_step_prints_a_line_with_the_window_mean_loss(tmp_path, caplog):
    caplog.set_level("INFO")
    distill(tiny_config(tmp_path, "train.log_every=4", "train.progress=true"))  # pytest's stderr is no terminal
    lines = [r.getMessage() for r in caplog.records if r.name == "seed.utils.progress"]
    assert [line.split(" (")[0] for line in lines] == ["step 4/6", "step 6/6"]
    metrics = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [4, 6]
    assert f"loss {metrics[0]['loss']:.4f}" in lines[0]


def test_a_second_run_into_the_same_folder_is_refused(tmp_path):
    distill(tiny_config(tmp_path, "train.max_steps=1"))
    with pytest.raises(RunExistsError, match="--resume"):
        distill(tiny_config(tmp_path, "train.max_steps=1"))


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_stop_mid_epoch_then_resume_equals_an_uninterrupted_run(tmp_path, stop):
    common = ["train.epochs=6", "train.checkpoint_every=2", "data.workers=2", "train.keep_checkpoints=100"]
    teacher = write_teacher(tmp_path / "teacher.pth")
    reference_file = write_config(tmp_path / "reference.yaml", tiny_config(tmp_path / "ref", *common, teacher=teacher))
    killed_file = write_config(tmp_path / "killed.yaml", tiny_config(tmp_path / "killed", *common, teacher=teacher))
    reference = run_cli("distill", "--config", str(reference_file))  # same interpreter settings as the others
    assert reference.returncode == 0, reference.stderr[-3000:]

    process = subprocess.Popen([sys.executable, "-m", "seed", "distill", "--config", str(killed_file)], cwd=REPO,
                               env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    run = tmp_path / "killed" / "run"
    wait_for(run / "checkpoints" / "step-00000004.pth", process)  # step 4 of 3-step epochs: mid-epoch
    process.send_signal(stop)
    stderr = process.communicate()[1].decode()
    assert not (run / "student.pth").exists(), "the run finished before it was stopped"
    if stop == signal.SIGTERM:
        assert process.returncode == 128 + signal.SIGTERM, stderr[-3000:]
        assert_interrupted_with_a_checkpoint(run, stderr)

    resumed = run_cli("distill", "--config", str(killed_file), "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed from" in resumed.stderr
    assert_same_run(tmp_path / "ref" / "run", run, steps=18)


def test_sigterm_in_process_saves_marks_interrupted_and_resumes_bit_for_bit(tmp_path, monkeypatch):
    teacher = write_teacher(tmp_path / "teacher.pth")
    reference = distill(tiny_config(tmp_path / "ref", "train.checkpoint_every=100", teacher=teacher))
    after_step = Trainer.after_step

    def signal_at_step_2(self, batch):
        after_step(self, batch)
        if self.step == 2:
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(Trainer, "after_step", signal_at_step_2)
    cfg = tiny_config(tmp_path / "stopped", "train.checkpoint_every=100", teacher=teacher)
    with pytest.raises(TrainingInterrupted, match="SIGTERM after step 2") as stopped:
        distill(cfg)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the trainer's handler is gone again
    run = tmp_path / "stopped" / "run"
    assert stopped.value.checkpoint == str(run / "checkpoints" / "step-00000002.pth")
    assert json.loads((run / "run.json").read_text())["status"] == "interrupted"
    monkeypatch.undo()
    resumed = distill(cfg, resume_from=stopped.value.checkpoint)
    assert resumed.steps == reference.steps == 6
    assert_same_run(tmp_path / "ref" / "run", run, steps=6)


SIGNALS_DURING_THE_FINAL_SAVE = """
import os, signal, sys
from seed.cli import main
from seed.engine import checkpoint
from seed.engine.trainer import Trainer

after_step, atomic_save = Trainer.after_step, checkpoint.atomic_save

def sigterm_at_step_2(self, batch):
    after_step(self, batch)
    if self.step == 2:
        os.kill(os.getpid(), signal.SIGTERM)

def signals_while_saving(state, path):
    if path.name == "step-00000002.pth":  # the save after the agreed stop: a second SIGTERM, then Ctrl-C
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
    return atomic_save(state, path)

Trainer.after_step, checkpoint.atomic_save = sigterm_at_step_2, signals_while_saving
sys.exit(main(["distill", "--config", sys.argv[1]]))
"""


@pytest.mark.slow
def test_a_second_sigterm_and_ctrl_c_during_the_final_save_leave_a_complete_checkpoint(tmp_path):
    teacher = write_teacher(tmp_path / "teacher.pth")
    configs = {name: write_config(tmp_path / f"{name}.yaml", tiny_config(tmp_path / name, "train.checkpoint_every=100",
                                                                         teacher=teacher))
               for name in ("reference", "stopped")}
    reference = run_cli("distill", "--config", str(configs["reference"]))  # same interpreter settings as the others
    assert reference.returncode == 0, reference.stderr[-3000:]
    stopped = subprocess.run([sys.executable, "-c", SIGNALS_DURING_THE_FINAL_SAVE, str(configs["stopped"])],
                             cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True,
                             timeout=600)
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr[-3000:]
    assert stopped.stderr.count("waiting for the save to finish") == 2
    run = tmp_path / "stopped" / "run"
    assert [p.name for p in list_checkpoints(run / "checkpoints")] == ["step-00000002.pth"]
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "interrupted" and record["sessions"][-1]["stopped_by"] == "SIGTERM"
    resumed = run_cli("distill", "--config", str(configs["stopped"]), "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert_same_run(tmp_path / "reference" / "run", run, steps=6)


def test_resume_from_a_run_folder_uses_its_own_config(tmp_path):
    distill(tiny_config(tmp_path, "train.max_steps=2"))
    result = run_cli("distill", "--resume", str(tmp_path / "run"), "train.max_steps=4")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "finished at step 4" in result.stdout


def test_save_interrupted_half_way_leaves_the_previous_checkpoint(tmp_path):
    path = tmp_path / "checkpoints" / "step-00000001.pth"
    atomic_save({"step": 1, "weights": torch.ones(3)}, path)

    class KilledWhileWriting:
        def __reduce__(self):
            raise KeyboardInterrupt("killed half-way")

    with pytest.raises(KeyboardInterrupt):
        atomic_save({"step": 2, "weights": torch.zeros(10_000), "later": KilledWhileWriting()}, path)
    assert torch.equal(torch.load(path, weights_only=True)["weights"], torch.ones(3))
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_sigkill_during_saves_never_leaves_a_partial_checkpoint(tmp_path):
    script = ("import sys, torch\nfrom seed.engine.checkpoint import atomic_save\n"
              "for i in range(10**6):\n"
              "    atomic_save({'step': i, 'x': torch.full((2_000_000,), float(i))}, sys.argv[1] + '/step-00000001.pth')\n"
              "    print(i, flush=True)\n")
    process = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    for _ in range(3):
        process.stdout.readline()
    process.send_signal(signal.SIGKILL)
    process.wait()
    found = list_checkpoints(tmp_path)
    assert [p.name for p in found] == ["step-00000001.pth"]
    state = torch.load(found[0], weights_only=True)
    assert torch.all(state["x"] == state["step"])


def corrupt_jpeg(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def test_corrupt_jpeg_is_skipped_logged_and_counted(tmp_path):
    make_image_folder(tmp_path / "images")
    bad = tmp_path / "images" / "class_1" / "001.jpg"
    corrupt_jpeg(bad)
    result = distill(tiny_config(tmp_path, "train.epochs=1"))
    assert result.skipped_samples == 1
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["skipped_samples"] == 1 and record["skipped_examples"][0]["name"] == str(bad)


def test_truncated_tsv_line_is_skipped_and_counted(tmp_path):
    make_image_folder(tmp_path / "images")
    tsv = tmp_path / "train.tsv"
    imagefolder_to_tsv(tmp_path / "images", tsv)
    lines = tsv.read_text().splitlines()
    key, label, encoded = lines[5].split("\t")
    lines[5] = f"{key}\t{label}\t{encoded[: len(encoded) // 2]}"
    tsv.write_text("\n".join(lines) + "\n")
    build_lineidx(tsv)
    result = distill(tiny_config(tmp_path, "data.format=tsv", f"data.path={tsv}", "train.epochs=1"))
    assert result.skipped_samples == 1
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["skipped_examples"][0]["name"] == f"{tsv}:6"


def test_small_patch_seed_trains_with_two_queues(tmp_path):
    cfg = tiny_config(tmp_path, "objective.params.small_views=2", "data.augmentation.small_size=16",
                      "train.max_steps=2")
    result = distill(cfg)
    state = torch.load(result.last_checkpoint, weights_only=True)
    assert int(state["model"]["queue.pointer"]) == 16 % 20 and int(state["model"]["small_queue.pointer"]) == 16 % 20


def test_moco_baseline_trains_under_the_same_trainer(tmp_path):
    result = distill(tiny_config(tmp_path, "objective.name=mocov2", "objective.params.embed_dim=32",
                                 "train.max_steps=2"))
    state = torch.load(result.last_checkpoint, weights_only=True)
    assert "momentum_student.head.2.weight" in state["model"] and int(state["model"]["steps"]) == 2
    assert torch.load(result.student_path, weights_only=True)["head"]["2.weight"].shape[0] == 32


def test_amp_bf16_and_channels_last_train_on_cpu(tmp_path):
    result = distill(tiny_config(tmp_path, "train.amp=bf16", "train.channels_last=true", "train.max_steps=2"))
    assert result.steps == 2 and result.final_loss == result.final_loss  # not NaN


def test_sync_bn_on_cpu_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="train.sync_bn"):
        distill(tiny_config(tmp_path, "train.sync_bn=true"))


def test_old_checkpoints_are_pruned_except_every_kth_epoch(tmp_path):
    result = distill(tiny_config(tmp_path, "train.epochs=4", "train.checkpoint_every=2", "train.keep_checkpoints=2",
                                 "train.keep_every_epochs=2"))
    names = [p.name for p in list_checkpoints(tmp_path / "run" / "checkpoints")]
    # 3-step epochs: step checkpoints at 2, 4, 8, 10 and epoch ends at 3, 6, 9, 12
    assert names == ["epoch-0001-step-00000006.pth", "step-00000010.pth", "epoch-0003-step-00000012.pth"]
    assert result.last_checkpoint.name == names[-1]
