"""One trainer for every objective: a plain process on CPU/GPU, or DDP under torchrun.

The loop is short because the pieces are honest: the objective computes its loss and
updates its queues, the sampler knows where an epoch stands, the schedule is an array,
and a checkpoint holds everything needed to continue bit for bit.
"""
from __future__ import annotations

import logging
import random
import signal
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from seed.config import DistillConfig, to_dict
from seed.data.datasets import build_dataset
from seed.data.loader import Batch, ResumableBatchSampler, SeededViews, build_loader
from seed.data.transforms import MultiView, student_data_config
from seed.engine import checkpoint as ckpt_io
from seed.engine.failures import NonFiniteLossError, RunFailed, RunPosition, explain_failure
from seed.engine.metrics import MetricWindow
from seed.engine.records import RunFolder
from seed.engine.schedule import lr_schedule
from seed.engine.stop import STOP_SIGNALS, StopRequest, TrainingInterrupted, ignore_stop_signals
from seed.errors import InputError, SeedError
from seed.utils.progress import StepProgress
from seed.models.checkpoints import RUN_FORMAT, student_record
from seed.models.students import student_kwargs
from seed.objectives import build_objective
from seed.objectives.base import resolve_objective_defaults
from seed.utils.capabilities import device_capabilities
from seed.utils.distributed import (DistributedContext, cleanup, gather_objects, init_distributed,
                                     wrap_ddp)
from seed.utils.step_setup import choose_step_setup, compile_parts

log = logging.getLogger(__name__)

class RunExistsError(SeedError, FileExistsError):
    """A run folder already holds checkpoints and --resume was not given."""


@dataclass
class TrainResult:
    """Where a finished run put its files, and how it ended."""

    output_dir: Path
    student_path: Path
    last_checkpoint: Path
    steps: int
    final_loss: float
    skipped_samples: int


def refuse_existing_run(output_dir: str | Path) -> None:
    """Raise RunExistsError when `output_dir` already holds checkpoints (a fresh run would mix with them)."""
    if ckpt_io.latest_checkpoint(Path(output_dir) / "checkpoints") is not None:
        raise RunExistsError(f"{output_dir} already holds checkpoints: pass --resume to continue "
                             "that run, or set train.output_dir to a new folder")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def forward_backward(model: torch.nn.Module, views: dict[str, list[torch.Tensor]], optimizer: torch.optim.Optimizer,
                     scaler: torch.amp.GradScaler, amp_dtype: torch.dtype | None) -> dict[str, torch.Tensor]:
    """The objective's forward under autocast (when `amp_dtype` is set) and the backward of its loss."""
    device_type = next(iter(views.values()))[0].device.type
    with torch.autocast(device_type, dtype=amp_dtype, enabled=amp_dtype is not None):
        outputs = model(views)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(outputs["loss"]).backward()
    return outputs


def distill(cfg: DistillConfig, resume_from: str | Path | None = None,
            stop_signals: tuple[int, ...] = STOP_SIGNALS) -> TrainResult:
    """Train `cfg.objective` to the end of its schedule, continuing `resume_from` if given.

    One of `stop_signals` (highest priority first) ends the run at the next logging step with a checkpoint,
    the run marked "interrupted", and TrainingInterrupted raised. A failure of the environment (disk, memory)
    or a non-finite loss raises RunFailed, recorded in run.json."""
    ctx = init_distributed(cfg.train.device)
    try:
        return Trainer(cfg, ctx, stop_signals).run(Path(resume_from) if resume_from else None)
    finally:
        cleanup()


class Trainer:
    """Holds the run's objects; `run()` is the loop."""

    def __init__(self, cfg: DistillConfig, ctx: DistributedContext,
                 stop_signals: tuple[int, ...] = STOP_SIGNALS) -> None:
        resolve_objective_defaults(cfg)
        self.cfg, self.ctx = cfg, ctx
        self.config_dict = to_dict(cfg)
        self.device = ctx.device
        self.setup = choose_step_setup(cfg.train.amp, cfg.train.channels_last, cfg.train.compile,
                                       device_capabilities(self.device))
        self.amp_dtype, self.memory_format = self.setup.precision.dtype, self.setup.memory_format
        log.info("step set-up: %s", self.setup.to_dict())

        seed_everything(cfg.train.seed)
        self.objective = build_objective(cfg).to(self.device, memory_format=self.memory_format)
        if cfg.train.sync_bn:
            if self.device.type != "cuda":
                raise InputError("train.sync_bn=true needs CUDA: torch's SyncBatchNorm has no CPU kernel")
            self.objective = torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.objective)
        compile_parts(self.objective, self.setup.compile)
        trainable = [p for p in self.objective.parameters() if p.requires_grad]
        self.optimizer = torch.optim.SGD(trainable, lr=0.0, momentum=cfg.optim.momentum,
                                         weight_decay=cfg.optim.weight_decay)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.setup.precision.grad_scaler)

        dataset = build_dataset(cfg.data)
        views = SeededViews(dataset, MultiView(cfg.data.augmentation, self.objective.view_counts()), cfg.train.seed)
        self.sampler = ResumableBatchSampler(len(dataset), cfg.data.batch_size, ctx.rank, ctx.world_size,
                                             cfg.train.seed)
        self.loader = build_loader(views, self.sampler, cfg.data.workers, pin_memory=self.device.type == "cuda",
                                   worker_init_fn=ignore_stop_signals)
        self.steps_per_epoch = self.sampler.steps_per_epoch
        total = cfg.train.epochs * self.steps_per_epoch
        self.last_step = min(total, cfg.train.max_steps) if cfg.train.max_steps else total
        self.lrs = lr_schedule(cfg.optim.lr * cfg.data.batch_size / 256, total, self.steps_per_epoch,
                               cfg.optim.schedule, cfg.optim.warmup_epochs, cfg.optim.milestones,
                               cfg.optim.step_gamma)
        self.run_folder = RunFolder(cfg.train.output_dir, ctx.is_main)
        self.step = 0
        self.skipped: list[dict[str, str]] = []  # every process's, as of the last save
        self._new_skipped: list[dict[str, str]] = []  # this process's, since the last save
        self.last_saved: Path | None = None
        self.saved_step = -1
        self.stop_signals = stop_signals
        self.window = MetricWindow()
        self.final_loss = float("nan")

    # ------------------------------------------------------------------ state

    def state(self) -> dict:
        return {
            "format": RUN_FORMAT, "step": self.step, "epoch": self.step // self.steps_per_epoch,
            "model": self.objective.state_dict(), "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(), "rng": ckpt_io.rng_state(), "skipped": self.skipped,
            "world_size": self.ctx.world_size, "config": self.config_dict,
            "data_config": student_data_config(self.cfg.data.augmentation),
        }

    def restore(self, path: Path) -> None:
        state = ckpt_io.load_run_checkpoint(path)
        self.objective.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scaler.load_state_dict(state["scaler"])
        ckpt_io.set_rng_state(state["rng"])
        self.step, self.skipped = int(state["step"]), list(state["skipped"])
        self.last_saved, self.saved_step = path, self.step
        log.info("resumed from %s at step %d", path, self.step)

    def save(self, epoch: int | None = None) -> None:
        """Checkpoint the current step (every process calls this at the same step; rank 0 writes);
        a non-finite loss since the last log stops the run instead."""
        if len(self.window):
            self.check_finite(self.window.reduce(clear=False)[1])
        self.skipped += gather_objects(self._new_skipped)
        self._new_skipped = []
        path = self.run_folder.checkpoints / ckpt_io.checkpoint_name(self.step, epoch)
        if self.ctx.is_main:
            ckpt_io.atomic_save(self.state(), path)
            ckpt_io.prune_checkpoints(self.run_folder.checkpoints, self.cfg.train.keep_checkpoints,
                                      self.cfg.train.keep_every_epochs)
            self.run_folder.update(step=self.step, last_checkpoint=str(path), skipped_samples=len(self.skipped))
        self.last_saved, self.saved_step = path, self.step

    # ------------------------------------------------------------------ loop

    def run(self, resume_from: Path | None) -> TrainResult:
        if resume_from is not None:
            self.restore(resume_from)
        else:
            refuse_existing_run(self.run_folder.root)
        model = self.objective
        if self.ctx.distributed:
            model = wrap_ddp(self.objective, self.device)
        self.progress = StepProgress(self.last_step, self.step, self.ctx.is_main and self.cfg.train.progress,
                                     self.ctx.is_main)
        try:
            self.run_folder.start(self.config_dict, {
                "world_size": self.ctx.world_size, "device": str(self.device), "resumed_from": str(resume_from or ""),
                "steps_per_epoch": self.steps_per_epoch, "last_step": self.last_step,
                "step_setup": self.setup.to_dict(),
            }, resumed_step=self.step)
            # The handlers stay installed through the last save: a second signal cannot cut it short.
            with StopRequest(self.stop_signals, self.device) as stop:
                self.train(model, stop)
                if self.saved_step != self.step:
                    self.save()
                if self.step < self.last_step:
                    self.run_folder.update_session(stopped_by=signal.Signals(stop.signum).name,
                                                   stopped_at_step=self.step)
                    self.run_folder.update(status="interrupted", step=self.step)
                    raise TrainingInterrupted(stop.signum, self.step, str(self.last_saved))
                return self.finish()
        except Exception as error:
            failure = explain_failure(error, RunPosition(self.step, self.last_saved, self.run_folder.root))
            if failure is None:
                raise
            self.record_failure(failure)
            if failure is error:
                raise
            raise failure from error
        finally:
            self.progress.close()
            self.run_folder.close()

    def train(self, model: torch.nn.Module, stop: StopRequest) -> None:
        """Step until the end of the schedule, or until the processes agree to stop (asked at logging steps)."""
        while self.step < self.last_step and stop.signum is None:
            epoch, offset = divmod(self.step, self.steps_per_epoch)
            self.sampler.set_epoch(epoch, offset)
            model.train()
            for batch in self.loader:
                self.train_step(model, batch)
                self.after_step(batch)
                if self.step == self.last_step or (self.is_log_step() and stop.agreed()):
                    break
        stop.agreed()  # from here on, a signal waits for the last save

    def record_failure(self, failure: RunFailed) -> None:
        """Mark the run failed in run.json, saying why; a folder that cannot take even that is named in the error."""
        if self.ctx.is_main and not self.run_folder.record:
            return  # the run folder was never opened: an earlier run.json stays as it was
        try:
            self.run_folder.update(status="failed", failure=failure.reason, error=str(failure))
        except OSError as error:
            failure.args = (f"{failure} (run.json could not record this: {error.strerror})",)

    def train_step(self, model: torch.nn.Module, batch: Batch) -> None:
        """One optimiser step; its scalars stay on the device until the next logging step."""
        lr = float(self.lrs[self.step])
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        views = {kind: [v.to(self.device, non_blocking=True, memory_format=self.memory_format) for v in vs]
                 for kind, vs in batch.views.items()}
        outputs = forward_backward(model, views, self.optimizer, self.scaler, self.amp_dtype)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.step += 1
        self.window.add(self.step, outputs)
        self._new_skipped += [{"name": s.name, "reason": s.reason} for s in batch.skipped]

    def after_step(self, batch: Batch) -> None:
        """Log at logging steps, checkpoint at checkpoint steps and at the end of each epoch."""
        self.progress.update(batch.size * self.ctx.world_size)
        if self.is_log_step() or self.step == self.last_step:
            self.log_window()
        if self.step % self.steps_per_epoch == 0:
            self.save(epoch=self.step // self.steps_per_epoch - 1)
        elif self.step % self.cfg.train.checkpoint_every == 0:
            self.save()

    def is_log_step(self) -> bool:
        return self.step % self.cfg.train.log_every == 0

    def log_window(self) -> None:
        """Reduce the scalars since the last log (one host sync), stop on a non-finite loss, write them."""
        metrics, non_finite = self.window.reduce()
        self.check_finite(non_finite)
        self.final_loss = metrics["loss"]
        metrics.update(lr=float(self.lrs[self.step - 1]), epoch=self.step / self.steps_per_epoch,
                       img_per_s=self.progress.images_per_second())
        self.run_folder.log_metrics(self.step, metrics)
        self.progress.log(self.step, metrics)

    def check_finite(self, non_finite: tuple[int, float] | None) -> None:
        if non_finite is None:
            return
        step, loss = non_finite
        position = RunPosition(self.step, self.last_saved, self.run_folder.root)
        raise NonFiniteLossError(
            f"loss is {loss} at step {step} (epoch {(step - 1) // self.steps_per_epoch}); the run stopped at "
            f"step {self.step} without saving the steps since. "
            + position.how_to_continue("lower the learning rate (or set train.amp=none)", "optim.lr=<lower>"))

    def finish(self) -> TrainResult:
        student_path = self.run_folder.root / "student.pth"
        if self.ctx.is_main:
            record = student_record(self.objective.student, self.cfg.student.arch, student_kwargs(self.cfg.student),
                                    self.config_dict)
            record["data_config"] = student_data_config(self.cfg.data.augmentation)  # what `seed eval` feeds it
            ckpt_io.atomic_save(record, student_path)
            self.run_folder.update(status="completed", step=self.step, final_loss=self.final_loss,
                                   student=str(student_path), skipped_samples=len(self.skipped),
                                   skipped_examples=self.skipped[:100])
        return TrainResult(self.run_folder.root, student_path, self.last_saved, self.step, self.final_loss,
                           len(self.skipped))
