#!/usr/bin/env python
"""Test a trained MMDetection checkpoint (VOCMetric or CocoMetric AP); the results land in records.

    RUN=work_dirs/faster-rcnn_resnet18-c4_8xb2-24k_voc0712
    python tools/test_mmdet.py $RUN/faster-rcnn_resnet18-c4_8xb2-24k_voc0712.py $RUN/iter_24000.pth
    torchrun --nproc_per_node 4 tools/test_mmdet.py CONFIG CHECKPOINT --launcher pytorch
"""
import argparse
import sys

from downstream.mmdet.runner import add_config_arguments, load_config, summary, test_detection
from seed.errors import report_errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_arguments(parser, "configs/mmdet/faster-rcnn/faster-rcnn_resnet18-c4_8xb2-24k_voc0712.py")
    parser.add_argument("checkpoint", help="a detector checkpoint written by train_mmdet.py (loaded strictly)")
    args = parser.parse_args()
    cfg = load_config(args.config, work_dir=args.work_dir, data_root=args.data_root, options=args.cfg_options,
                      launcher=args.launcher)
    print(summary(test_detection(cfg, args.checkpoint, args.results, name=args.name), args.results))


if __name__ == "__main__":
    sys.exit(report_errors("test_mmdet.py", main))
