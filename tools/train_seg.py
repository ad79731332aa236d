#!/usr/bin/env python
"""Train an MMSegmentation config on a distilled student, then test it; the mIoU lands in a result record.

    python tools/train_seg.py configs/segmentation/fcn/fcn-d16_student_4xb4-30k_voc12aug-512x512.py
    python tools/train_seg.py CONFIG --student runs/x/student.pth --data-root /data/VOCdevkit/VOC2012
    torchrun --nproc_per_node 4 tools/train_seg.py CONFIG --student FILE --launcher pytorch
"""
import sys

from downstream.mmseg.runner import MMSEG
from downstream.openmmlab.runner import train_tool
from seed.errors import report_errors

if __name__ == "__main__":
    sys.exit(report_errors("train_seg.py", lambda: train_tool(MMSEG, __doc__)))
