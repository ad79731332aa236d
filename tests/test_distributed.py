"""Two gloo processes under torchrun compute what one process computes on the same global batch."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import torch
import yaml

from seed.config import to_dict

import signal

from conftest import (REPO, assert_interrupted_with_a_checkpoint, assert_same_run, run_cli, tiny_config, wait_for,
                      write_teacher)

# A student without BatchNorm: per-process batch statistics are the one thing that legitimately
# differs between 2 x 4 images and 1 x 8 (SyncBN removes that on GPU, see train.sync_bn).
VIT = ["student.arch=vit_tiny_patch16_224", "student.kwargs={img_size: 32, patch_size: 8}"]


def losses(run) -> list[float]:
    return [json.loads(line)["loss"] for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_two_gloo_processes_match_one_process(tmp_path):
    teacher = write_teacher(tmp_path / "teacher.pth")
    configs = {}
    for name in ("single", "ddp"):
        # fp32: bf16 kernels may sum in another order for a half batch, and this compares to 1e-5
        cfg = tiny_config(tmp_path / name, *VIT, "train.max_steps=4", "data.workers=0", "train.amp=none",
                          teacher=teacher)
        configs[name] = tmp_path / f"{name}.yaml"
        configs[name].write_text(yaml.safe_dump(to_dict(cfg)))

    single = run_cli("distill", "--config", str(configs["single"]))
    assert single.returncode == 0, single.stderr[-3000:]
    ddp = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                          "-m", "seed", "distill", "--config", str(configs["ddp"])],
                         cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True,
                         timeout=600)
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    assert "FutureWarning" not in ddp.stderr, ddp.stderr[-3000:]  # DDP's broadcast_buffers deprecation is hidden

    one, two = tmp_path / "single" / "run", tmp_path / "ddp" / "run"
    assert json.loads((two / "run.json").read_text())["sessions"][0]["world_size"] == 2
    single_losses, ddp_losses = losses(one), losses(two)
    assert len(single_losses) == len(ddp_losses) == 4
    for a, b in zip(single_losses, ddp_losses):
        assert abs(a - b) < 1e-5, (single_losses, ddp_losses)
    state_one = torch.load(one / "checkpoints" / "epoch-0000-step-00000003.pth", weights_only=True)["model"]
    state_two = torch.load(two / "checkpoints" / "epoch-0000-step-00000003.pth", weights_only=True)["model"]
    assert torch.allclose(state_one["queue.features"], state_two["queue.features"], atol=1e-5)
    assert int(state_one["queue.pointer"]) == int(state_two["queue.pointer"])
    for key in ("student.head.2.weight", "student.backbone.blocks.0.attn.qkv.weight"):
        assert torch.allclose(state_one[key], state_two[key], atol=1e-5), key


def torchrun(*args: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "seed", *args]


@pytest.mark.slow
def test_sigterm_under_torchrun_stops_every_rank_at_one_step_and_resumes_bit_for_bit(tmp_path):
    teacher = write_teacher(tmp_path / "teacher.pth")
    common = [*VIT, "train.epochs=6", "train.checkpoint_every=2", "train.keep_checkpoints=100", "data.workers=0"]
    configs = {}
    for name in ("reference", "stopped"):
        configs[name] = tmp_path / f"{name}.yaml"
        configs[name].write_text(yaml.safe_dump(to_dict(tiny_config(tmp_path / name, *common, teacher=teacher))))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    reference = subprocess.run(torchrun("distill", "--config", str(configs["reference"])), cwd=REPO, env=env,
                               capture_output=True, text=True, timeout=900)
    assert reference.returncode == 0, reference.stderr[-3000:]

    process = subprocess.Popen(torchrun("distill", "--config", str(configs["stopped"])), cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    run = tmp_path / "stopped" / "run"
    wait_for(run / "checkpoints" / "step-00000004.pth", process)
    process.send_signal(signal.SIGTERM)  # to torchrun, as a scheduler does; it forwards it to both ranks
    stderr = process.communicate(timeout=300)[1].decode()
    assert process.returncode != 0 and not (run / "student.pth").exists(), stderr[-3000:]
    assert_interrupted_with_a_checkpoint(run, stderr)
    steps = re.findall(r"seed distill: stopped by SIGTERM after step (\d+)", stderr)
    assert len(steps) == 2 and len(set(steps)) == 1, stderr[-3000:]  # both ranks stopped after the same step

    resumed = subprocess.run(torchrun("distill", "--config", str(configs["stopped"]), "--resume"), cwd=REPO,
                             env=env, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert_same_run(tmp_path / "reference" / "run", run, steps=18)
