"""`seed distill --slurm`: the spec, and jobs run by submitit's local executor (same code path as SLURM)."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from seed.config import ConfigError
from seed.engine.slurm import DistillJob, parse_slurm, submit
from seed.engine.trainer import RunExistsError, distill

from conftest import run_cli, tiny_config


def test_slurm_spec_reads_nodes_gpus_and_partition():
    options = parse_slurm("nodes=2,gpus=8,partition=learn")
    assert (options.nodes, options.gpus, options.partition, options.tasks_per_node) == (2, 8, "learn", 8)
    assert parse_slurm("gpus=0,tasks=2").tasks_per_node == 2


@pytest.mark.parametrize("spec, named", [("nodes=2,gpu=8", "unknown key 'gpu'"), ("nodes=two", "nodes='two'"),
                                         ("partition", "'partition' is not KEY=VALUE")])
def test_slurm_spec_errors_name_the_bad_key(spec, named):
    with pytest.raises(ConfigError, match=named):
        parse_slurm(spec)


def test_cli_slurm_error_is_one_line_naming_the_key(tmp_path):
    result = run_cli("distill", "--config", "distill/demo/student_seed.yaml", "--slurm", "nodes=1,gpu=8",
                     f"train.output_dir={tmp_path}")
    assert result.returncode == 2 and "unknown key 'gpu'" in result.stderr and "Traceback" not in result.stderr


def test_submitting_into_a_used_run_folder_is_refused(tmp_path):
    distill(tiny_config(tmp_path, "train.max_steps=1"))
    with pytest.raises(RunExistsError, match="--resume"):
        submit(tiny_config(tmp_path, "train.max_steps=1"), None, parse_slurm("gpus=0"), cluster="local")


def test_checkpoint_resubmits_the_job_resuming_from_the_latest_checkpoint(tmp_path):
    cfg = tiny_config(tmp_path, "train.max_steps=2", "train.checkpoint_every=1")
    job = DistillJob({"train": {"output_dir": cfg.train.output_dir}})
    assert job.checkpoint().function.resume is None  # nothing saved yet: start over
    distill(cfg)
    delayed = job.checkpoint()
    assert delayed.function.resume == str(tmp_path / "run" / "checkpoints" / "step-00000002.pth")


@pytest.mark.slow
def test_local_executor_runs_a_two_task_distill_to_completion(tmp_path):
    cfg = tiny_config(tmp_path, "train.max_steps=3")
    job = submit(cfg, None, parse_slurm("gpus=0,tasks=2,timeout=20"), cluster="local")
    assert job.results() == [str(tmp_path / "run" / "student.pth")] * 2
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["status"] == "completed" and record["step"] == 3
    assert record["sessions"][0]["world_size"] == 2  # torch.distributed env from submitit's JobEnvironment


def task_pids(controller: int) -> list[int]:
    """The processes submitit's local controller started (one per task)."""
    return [int(pid) for pid in Path(f"/proc/{controller}/task/{controller}/children").read_text().split()]


@pytest.mark.slow
def test_preemption_on_one_task_and_sigterm_on_another_requeues_and_resumes(tmp_path):
    cfg = tiny_config(tmp_path, "train.epochs=4", "train.checkpoint_every=2", "train.keep_checkpoints=100")
    job = submit(cfg, None, parse_slurm("gpus=0,tasks=2,timeout=20"), cluster="local")
    run = tmp_path / "run"
    deadline = time.time() + 300
    while not (run / "checkpoints" / "step-00000004.pth").exists():
        assert job.state in ("RUNNING", "PENDING", "UNKNOWN") and time.time() < deadline, job.stderr()
        time.sleep(0.01)
    first, second = task_pids(job._process.pid)
    os.kill(first, signal.SIGTERM)  # submitit's meaning: logged and bypassed
    os.kill(second, signal.SIGUSR2)  # what SLURM sends on preemption (a smaller number than SIGTERM on Linux)
    assert job.results() == [str(run / "student.pth")] * 2
    record = json.loads((run / "run.json").read_text())
    first, second = record["sessions"]
    assert first["stopped_by"] == "SIGUSR2" and second["resumed_from"].endswith(f"step-{first['stopped_at_step']:08d}.pth")
    assert record["status"] == "completed" and record["step"] == 12
    logged = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert logged == list(range(1, 13))
