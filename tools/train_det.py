#!/usr/bin/env python
"""Fine-tune a converted student with Detectron2 and evaluate it (VOC AP50, COCO box/mask AP).

    tools/train_det.py --config-file configs/detection/voc/faster_rcnn_c4_24k.yaml \
        --num-gpus 8 MODEL.WEIGHTS resnet18_student.pkl OUTPUT_DIR runs/voc_r18
    tools/train_det.py --config-file runs/voc_r18/config.yaml --eval-only \
        MODEL.WEIGHTS runs/voc_r18/model_final.pth

Data sets come from Detectron2's built-in registration under $DETECTRON2_DATASETS.
Results are written as result records to OUTPUT_DIR (or RESULTS.DIR) for `seed results`.
"""
import sys

from downstream.detectron2.train import launch_from_command_line
from seed.errors import report_errors

if __name__ == "__main__":
    sys.exit(report_errors("train_det.py", lambda: launch_from_command_line(__doc__)))
