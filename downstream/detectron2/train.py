"""Fine-tune and evaluate a converted student with Detectron2's DefaultTrainer (what tools/train_det.py runs).

Detectron2 does the work (DefaultTrainer, its hooks, checkpointer, evaluators, launch). This
module adds what it lacks: our keys in the config, a data set check before anything starts, a
weights load that refuses to leave the student random, and result records after evaluation.
"""
from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from detectron2.config import CfgNode
from detectron2.engine import DefaultTrainer, default_argument_parser, default_setup, launch
from detectron2.utils import comm

import downstream.detectron2  # noqa: F401  (registers our backbones and ROI head)
from downstream.detectron2.checkpoint import StudentWeightsError, load_weights
from downstream.detectron2.config import student_arch, student_cfg
from downstream.detectron2.datasets import build_evaluator, check_datasets
from downstream.detectron2.results import write_detection_records
from downstream.student_arch import AUTO

logger = logging.getLogger("detectron2.students")  # printed by Detectron2's setup_logger


class Trainer(DefaultTrainer):
    """DefaultTrainer with Detectron2's VOC/COCO evaluators and a checked first load of MODEL.WEIGHTS."""

    @classmethod
    def build_evaluator(cls, cfg: CfgNode, dataset_name: str, output_folder: str | None = None):
        """Detectron2's evaluator for the data set's kind (datasets.DATASET_KINDS)."""
        return build_evaluator(dataset_name, output_folder or os.path.join(cfg.OUTPUT_DIR, "inference"))

    def resume_or_load(self, resume: bool = True) -> None:
        """Resume from OUTPUT_DIR's last checkpoint as Detectron2 does; otherwise load MODEL.WEIGHTS and
        raise if any student weight stayed random."""
        if (resume and self.checkpointer.has_checkpoint()) or not self.cfg.MODEL.WEIGHTS:
            super().resume_or_load(resume=resume)
            return
        report = load_weights(self.checkpointer.model, self.cfg.MODEL.WEIGHTS)
        report.raise_if_missing("student")
        recorded, asked = report.file_info.get("arch"), self.cfg.MODEL.TIMM.ARCH
        if recorded and asked not in ("", AUTO) and recorded != asked:  # same names, other network (efficientnet_b0 vs *_seed)
            raise StudentWeightsError(f"{self.cfg.MODEL.WEIGHTS}: holds a {recorded!r} student, but MODEL.TIMM.ARCH "
                                      f"is {asked!r}; set MODEL.TIMM.ARCH {recorded}")
        logger.info("MODEL.WEIGHTS %s: %s", self.cfg.MODEL.WEIGHTS, report.summary())


def setup(args: argparse.Namespace) -> CfgNode:
    """The config file with KEY VALUE overrides, our defaults filled in, frozen; Detectron2's
    default_setup logs it and writes it to OUTPUT_DIR/config.yaml."""
    cfg = student_cfg()
    if args.config_file:
        cfg.merge_from_file(args.config_file)
    cfg.merge_from_list(args.opts)
    if cfg.MODEL.WEIGHTS and not args.eval_only:  # the written config.yaml names the network, for --eval-only
        cfg.MODEL.TIMM.ARCH = student_arch(cfg)
    if not cfg.RESULTS.MODEL:
        cfg.RESULTS.MODEL = Path(cfg.MODEL.WEIGHTS).stem if cfg.MODEL.WEIGHTS else "scratch"
    cfg.freeze()
    default_setup(cfg, args)
    return cfg


def main(args: argparse.Namespace) -> dict:
    """Train (or, with --eval-only, evaluate) as the config says; write result records; return the results."""
    cfg = setup(args)
    check_datasets(cfg)
    if args.eval_only:
        model = Trainer.build_model(cfg)
        report = load_weights(model, cfg.MODEL.WEIGHTS, everything=True)
        report.raise_if_missing("detector", "--eval-only evaluates a fine-tuned model, e.g. OUTPUT_DIR/model_final.pth")
        results = Trainer.test(cfg, model)
    else:
        trainer = Trainer(cfg)
        trainer.resume_or_load(resume=args.resume)
        trainer.train()
        results = getattr(trainer, "_last_eval_results", {})
    if comm.is_main_process() and results:
        for path in write_detection_records(cfg, results):
            logger.info("result record: %s", path)
    return results


def launch_from_command_line(usage: str, argv: list[str] | None = None) -> None:
    """tools/train_det.py: Detectron2's standard options (`usage` as epilog), then `main` on every GPU."""
    args = default_argument_parser(epilog=usage).parse_args(argv)
    launch(main, args.num_gpus, num_machines=args.num_machines, machine_rank=args.machine_rank,
           dist_url=args.dist_url, args=(args,))
