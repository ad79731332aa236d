#!/usr/bin/env python
"""Train an MMDetection config on a distilled student, then test it; VOC or COCO AP lands in result records.

    python tools/train_mmdet.py configs/mmdet/faster-rcnn/faster-rcnn_student-c4_8xb2-24k_voc0712.py
    python tools/train_mmdet.py CONFIG --student runs/x/student.pth --data-root /data/VOCdevkit
    torchrun --nproc_per_node 4 tools/train_mmdet.py CONFIG --student FILE --launcher pytorch
"""
import sys

from downstream.mmdet.runner import MMDET
from downstream.openmmlab.runner import train_tool
from seed.errors import report_errors

if __name__ == "__main__":
    sys.exit(report_errors("train_mmdet.py", lambda: train_tool(MMDET, __doc__)))
