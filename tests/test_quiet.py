"""Known dependency warnings are hidden where we import or call the dependency (and no other warning);
an unreadable checkpoint is a one-line error naming the file, not torch's weights_only advice."""
from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
import torch.distributed as dist
from conftest import REPO, write_teacher
from torch import nn

from seed import cli
from seed.models.checkpoints import CheckpointError, read_checkpoint
from seed.utils.distributed import wrap_ddp
from seed.utils.quiet import without_warning


def test_without_warning_hides_that_message_only():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with without_warning("`torch.jit.script` is deprecated"):
            warnings.warn("`torch.jit.script` is deprecated. Please switch", FutureWarning)
            warnings.warn("something else is deprecated", FutureWarning)
            warnings.warn("`torch.jit.script` is deprecated as a user warning", UserWarning)
    assert [str(w.message) for w in caught] == ["something else is deprecated",
                                                "`torch.jit.script` is deprecated as a user warning"]


def test_importing_the_mmseg_integration_raises_no_future_warning():
    result = subprocess.run([sys.executable, "-W", "error::FutureWarning", "-c", "import downstream.mmseg"],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Warning" not in result.stderr


def test_convert_to_d2_prints_no_dependency_warning(tmp_path):
    student = write_teacher(tmp_path / "student.pth", arch="resnet18")
    result = subprocess.run([sys.executable, "-W", "error::FutureWarning", "-m", "seed", "convert", "--to", "d2",
                             str(student), str(tmp_path / "student.pkl")], capture_output=True, text=True, cwd=REPO,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Warning" not in result.stderr and (tmp_path / "student.pkl").is_file()


def test_ddp_start_raises_no_future_warning(tmp_path):
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'rendezvous'}", rank=0, world_size=1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)
            model = wrap_ddp(nn.Linear(2, 2), torch.device("cpu"))
        assert model.forward_sync_buffers is False  # still no buffer broadcast
    finally:
        dist.destroy_process_group()


def saved(path):
    torch.save({"weight": torch.zeros(2)}, path)
    return path


@pytest.mark.parametrize("content, expected", [
    (b"<html>404 Not Found</html>", "not a PyTorch checkpoint"),
    (b"", "not a PyTorch checkpoint"),
    ("half", "not a complete PyTorch checkpoint, truncated or corrupt"),
])
def test_an_unreadable_checkpoint_is_one_clear_line(tmp_path, content, expected):
    path = tmp_path / "model.pth"
    if content == "half":
        data = saved(path).read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(content)
    with pytest.raises(CheckpointError) as error:
        read_checkpoint(path)
    message = str(error.value)
    assert message.startswith(f"{path}: {expected}") and "\n" not in message and "weights_only" not in message


def test_a_checkpoint_holding_objects_is_refused_without_advice_to_unpickle(tmp_path):
    path = tmp_path / "numpy.pth"
    torch.save({"weight": np.zeros(2)}, path)
    with pytest.raises(CheckpointError, match="holds Python objects other than tensors") as error:
        read_checkpoint(path)
    assert "weights_only" not in str(error.value)


def test_the_cli_names_the_garbage_file(tmp_path, capsys):
    garbage = tmp_path / "checkpoint.pth"
    garbage.write_text("not a checkpoint")
    assert cli.main(["distill", "--resume", str(garbage)]) == 2
    assert f"CheckpointError: {garbage}: not a PyTorch checkpoint" in capsys.readouterr().err
