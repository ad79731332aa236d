#!/usr/bin/env python
"""Train an MMDetection config on a distilled student, then test it; VOC or COCO AP lands in result records.

    python tools/train_mmdet.py configs/mmdet/faster-rcnn/faster-rcnn_resnet18-c4_8xb2-24k_voc0712.py
    python tools/train_mmdet.py CONFIG --student runs/x/student.pth --data-root /data/VOCdevkit
    torchrun --nproc_per_node 4 tools/train_mmdet.py CONFIG --student FILE --launcher pytorch
"""
import argparse
import sys

from downstream.mmdet.runner import add_config_arguments, load_config, summary, train_detection
from seed.errors import report_errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_arguments(parser, "configs/mmdet/faster-rcnn/faster-rcnn_resnet18-c4_8xb2-24k_voc0712.py")
    parser.add_argument("--student", help="student checkpoint (any layout, or a `seed convert --to mmdet` file); "
                        "default: the config's model.backbone.init_cfg.checkpoint")
    parser.add_argument("--layout", default="auto", help="the student checkpoint's layout (default: detected)")
    parser.add_argument("--resume", action="store_true", help="resume from the latest checkpoint of the work dir")
    args = parser.parse_args()
    cfg = load_config(args.config, work_dir=args.work_dir, student=args.student, layout=args.layout,
                      data_root=args.data_root, options=args.cfg_options, launcher=args.launcher)
    cfg.resume = args.resume
    print(summary(train_detection(cfg, args.results, name=args.name), args.results))


if __name__ == "__main__":
    sys.exit(report_errors("train_mmdet.py", main))
