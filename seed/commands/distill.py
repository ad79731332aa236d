"""`seed distill --config FILE [KEY=VALUE ...] [--resume [PATH]]`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seed.errors import MissingInputError

LATEST = "latest"

NAME = "distill"
HELP = "train a student (SEED, MoCo-v2, ...) from a YAML config"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML config (a path, or a packaged name like distill/seed_r50_effb0.yaml)")
    parser.add_argument("--resume", nargs="?", const=LATEST, metavar="PATH",
                        help="continue a run: the latest checkpoint of train.output_dir (no value), "
                        "a run folder, or a checkpoint file; without --config, the run's own config is used")
    parser.add_argument("--slurm", metavar="KEY=VALUE,...",
                        help="submit the run as a SLURM job through submitit instead of running it here, e.g. "
                        "nodes=2,gpus=8,partition=learn (keys: nodes, gpus and tasks per node, partition, "
                        "timeout in minutes, cpus per task, mem_gb, account, qos, constraint, folder); "
                        "preempted jobs requeue and resume")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides, e.g. train.epochs=10")


def resolve_resume(args: argparse.Namespace):
    """The config and the checkpoint to resume from (None for a fresh run)."""
    from seed.config import ConfigError, DistillConfig, apply_overrides, from_dict, load_config
    from seed.engine.checkpoint import latest_checkpoint, load_run_checkpoint

    if args.resume in (None, LATEST):
        if not args.config:
            raise ConfigError("--config is required (or --resume PATH to continue a run with its own config)")
        cfg = load_config(args.config, args.overrides)
        if args.resume is None:
            return cfg, None
        found = latest_checkpoint(Path(cfg.train.output_dir) / "checkpoints")
        if found is None:
            raise MissingInputError(f"--resume: no checkpoint in {cfg.train.output_dir}/checkpoints")
        return cfg, found
    target = Path(args.resume)
    found = latest_checkpoint(target / "checkpoints") if target.is_dir() else target
    if found is None or not found.is_file():
        raise MissingInputError(f"--resume {args.resume}: no checkpoint there")
    if args.config:
        return load_config(args.config, args.overrides), found
    saved = load_run_checkpoint(found)["config"]
    return from_dict(DistillConfig, apply_overrides(saved, args.overrides), source=str(found)), found


def run(args: argparse.Namespace) -> int:
    from seed.engine.slurm import parse_slurm, submit
    from seed.engine.stop import TrainingInterrupted
    from seed.engine.trainer import distill

    slurm = parse_slurm(args.slurm) if args.slurm is not None else None  # a bad spec fails before anything runs
    cfg, checkpoint = resolve_resume(args)
    if slurm is not None:
        job = submit(cfg, checkpoint, slurm)
        print(f"submitted SLURM job {job.job_id}: logs in {job.paths.folder}, run folder {cfg.train.output_dir}")
        return 0
    try:
        result = distill(cfg, resume_from=checkpoint)
    except TrainingInterrupted as stop:
        print(f"seed distill: {stop}", file=sys.stderr)
        return 128 + stop.signum  # the shell's convention for "ended by signal N"
    print(f"finished at step {result.steps}: loss {result.final_loss:.4f}; student -> {result.student_path}")
    if result.skipped_samples:
        print(f"{result.skipped_samples} unreadable image(s) skipped; see {result.output_dir / 'run.json'}")
    return 0

