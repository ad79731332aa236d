"""`seed convert --to d2|mmdet|mmseg IN OUT`: a student checkpoint for Detectron2, MMDetection or MMSegmentation."""
from __future__ import annotations

import argparse

NAME = "convert"
HELP = "convert a student checkpoint to a Detectron2 (d2), MMDetection (mmdet) or MMSegmentation (mmseg) checkpoint"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from downstream.convert import TARGETS

    parser.add_argument("--to", required=True, choices=sorted(TARGETS), help="target library")
    parser.add_argument("source", help="student checkpoint (ours, official SEED, MoCo-style, ...)")
    parser.add_argument("destination", help="file to write (.pkl or .pth for d2, .pth for mmdet and mmseg)")
    parser.add_argument("--arch", default="auto", help="student architecture when the file does not record it")
    parser.add_argument("--layout", default="auto", help="checkpoint layout (default: detected)")


def run(args: argparse.Namespace) -> int:
    from downstream.convert import convert

    print(convert(args.to, args.source, args.destination, arch=args.arch, layout=args.layout))
    return 0
