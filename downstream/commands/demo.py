"""`seed demo`: the embedded demo on scikit-learn's bundled digits (no downloads, a few CPU minutes)."""
from __future__ import annotations

import argparse

NAME = "demo"
HELP = "the embedded demo: MoCo-v2 teacher, SEED vs MoCo-v2 student, kNN (--suite: every benchmark kind)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="seed-demo", help="demo folder (the teacher kept here is reused)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--threads", type=int, default=2,
                        help="CPU threads for torch (pinned so that runs repeat exactly; default 2)")
    parser.add_argument("--retrain-teacher", action="store_true", help="train the teacher again even if kept")
    parser.add_argument("--suite", action="store_true",
                        help="then run the embedded suite (configs/bench/embedded.yaml: kNN, probe, semi-supervised, "
                        "Detectron2/MMDetection detection, mask AP, MMSeg segmentation) for the demo's models and a "
                        "random-weights floor, reusing finished runs; writes a table and a figure in --out")


def run(args: argparse.Namespace) -> int:
    from downstream.demo import run_demo

    run_demo(args.out, device=args.device, retrain_teacher=args.retrain_teacher, threads=args.threads,
             suite=args.suite)
    return 0
