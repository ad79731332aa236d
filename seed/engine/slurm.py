"""`seed distill ... --slurm nodes=2,gpus=8,partition=P`: the same run as a SLURM job through submitit.

One task per GPU; torch.distributed's env:// variables come from submitit's JobEnvironment.
On preemption or time-out SLURM sends submitit's preemption signal (USR2, asked for before the
time limit): the trainer stops at its next logging step and saves, then submitit's handler calls
`DistillJob.checkpoint()`, which requeues the job resuming from that checkpoint. SIGTERM keeps
submitit's meaning (logged and bypassed: SLURM sends it to every process before a kill), so only
the preemption signal and Ctrl-C stop the trainer. A job (re)started with checkpoints in its run
folder continues from the latest, so SLURM's own requeue resumes too.
"""
from __future__ import annotations

import dataclasses
import logging
import signal
from dataclasses import dataclass
from pathlib import Path

from seed.config import ConfigError, DistillConfig, from_dict, to_dict
from seed.engine.checkpoint import latest_checkpoint
from seed.engine.stop import TrainingInterrupted
from seed.engine.trainer import distill, refuse_existing_run


@dataclass
class SlurmOptions:
    """The `--slurm KEY=VALUE,...` keys; gpus and tasks are per node (tasks defaults to gpus, at least 1)."""

    nodes: int = 1
    gpus: int = 8
    tasks: int = 0
    partition: str = ""
    timeout: int = 72 * 60  # minutes
    cpus: int = 10  # per task
    mem_gb: int = 0  # per node; 0 = the partition's default
    account: str = ""
    qos: str = ""
    constraint: str = ""
    folder: str = ""  # submitit's logs; default <train.output_dir>/slurm

    @property
    def tasks_per_node(self) -> int:
        return self.tasks or max(self.gpus, 1)


def parse_slurm(spec: str) -> SlurmOptions:
    """`nodes=2,gpus=8,partition=learn` -> SlurmOptions, naming any unknown key or bad value."""
    fields = {f.name: f for f in dataclasses.fields(SlurmOptions)}
    values: dict[str, object] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not value:
            raise ConfigError(f"--slurm: {item!r} is not KEY=VALUE (e.g. --slurm nodes=2,gpus=8,partition=learn)")
        if key not in fields:
            raise ConfigError(f"--slurm: unknown key {key!r}; known keys: {', '.join(fields)}")
        kind = fields[key].type
        if kind == "int":
            try:
                values[key] = int(value)
            except ValueError:
                raise ConfigError(f"--slurm: {key}={value!r} is not an integer") from None
            if values[key] < 0:
                raise ConfigError(f"--slurm: {key}={value} must not be negative")
        else:
            values[key] = value
    return SlurmOptions(**values)


class DistillJob:
    """What submitit runs on every task: join the job's process group, distill, resume when requeued."""

    def __init__(self, config: dict, resume: str | None = None) -> None:
        self.config, self.resume = config, resume

    def checkpoints(self) -> Path:
        return Path(self.config["train"]["output_dir"]) / "checkpoints"

    def __call__(self) -> str:
        import submitit

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        submitit.helpers.TorchDistributedEnvironment().export(set_cuda_visible_devices=False, overwrite=True)
        cfg = from_dict(DistillConfig, self.config, source="the submitted job")
        latest = latest_checkpoint(self.checkpoints())
        preempt = preemption_signal()
        try:
            result = distill(cfg, resume_from=latest or self.resume, stop_signals=(preempt, signal.SIGINT))
        except TrainingInterrupted as stop:
            handler = signal.getsignal(stop.signum)
            if stop.signum == preempt and callable(handler):
                handler(stop.signum, None)  # submitit's: checkpoint() then requeue (exits on the main task)
            raise
        return str(result.student_path)

    def checkpoint(self) -> "submitit.helpers.DelayedSubmission":  # noqa: F821
        """Called by submitit on preemption: the same job, resuming from the run's latest checkpoint."""
        import submitit

        latest = latest_checkpoint(self.checkpoints())
        return submitit.helpers.DelayedSubmission(DistillJob(self.config, str(latest) if latest else self.resume))


def preemption_signal() -> signal.Signals:
    """The signal submitit asks SLURM to send before preemption or the time limit (USR2 unless
    SUBMITIT_PREEMPT_SIGNAL names another)."""
    import submitit

    return signal.Signals[f"SIG{submitit.JobEnvironment.USR_SIG}"]


def build_executor(options: SlurmOptions, folder: str | Path, cluster: str | None = None):
    """A submitit executor for `options` (`cluster="local"` runs the tasks as local processes)."""
    import submitit

    executor = submitit.AutoExecutor(folder=str(folder), cluster=cluster)
    slurm = {"slurm_partition": options.partition, "slurm_account": options.account, "slurm_qos": options.qos,
             "slurm_constraint": options.constraint}
    executor.update_parameters(
        name="seed-distill", nodes=options.nodes, tasks_per_node=options.tasks_per_node,
        gpus_per_node=options.gpus, cpus_per_task=options.cpus, timeout_min=options.timeout,
        **({"mem_gb": options.mem_gb} if options.mem_gb else {}),
        **{key: value for key, value in slurm.items() if value and executor.cluster == "slurm"})
    return executor


def submit(cfg: DistillConfig, resume: str | Path | None, options: SlurmOptions, cluster: str | None = None):
    """Submit the run as one job; refuses a run folder that already holds checkpoints unless resuming."""
    if resume is None:
        refuse_existing_run(cfg.train.output_dir)
    folder = options.folder or Path(cfg.train.output_dir) / "slurm"
    executor = build_executor(options, folder, cluster)
    return executor.submit(DistillJob(to_dict(cfg), str(resume) if resume else None))
