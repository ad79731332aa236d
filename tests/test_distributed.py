"""Two gloo processes under torchrun compute what one process computes on the same global batch."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
import yaml

from seed.config import to_dict

from conftest import REPO, run_cli, tiny_config, write_teacher

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
        cfg = tiny_config(tmp_path / name, *VIT, "train.max_steps=4", "data.workers=0", teacher=teacher)
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
