#!/usr/bin/env python
"""Test a trained MMSegmentation checkpoint (mIoU from MMSeg's IoUMetric); the result lands in a record.

    RUN=work_dirs/fcn-d16_resnet18_4xb4-30k_voc12aug-512x512
    python tools/test_seg.py $RUN/fcn-d16_resnet18_4xb4-30k_voc12aug-512x512.py $RUN/iter_30000.pth
    torchrun --nproc_per_node 4 tools/test_seg.py CONFIG CHECKPOINT --launcher pytorch
"""
import argparse
import sys

from downstream.mmseg.runner import add_config_arguments, load_config, summary, test_segmentation
from seed.errors import report_errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_arguments(parser, "configs/segmentation/fcn/fcn-d16_resnet18_4xb4-30k_voc12aug-512x512.py")
    parser.add_argument("checkpoint", help="a segmentor checkpoint written by train_seg.py (loaded strictly)")
    args = parser.parse_args()
    cfg = load_config(args.config, work_dir=args.work_dir, data_root=args.data_root, options=args.cfg_options,
                      launcher=args.launcher)
    print(summary(test_segmentation(cfg, args.checkpoint, args.results, name=args.name), args.results))


if __name__ == "__main__":
    sys.exit(report_errors("test_seg.py", main))
