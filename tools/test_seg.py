#!/usr/bin/env python
"""Test a trained MMSegmentation checkpoint (mIoU from MMSeg's IoUMetric); the result lands in a record.

    RUN=work_dirs/fcn-d16_student_4xb4-30k_voc12aug-512x512
    python tools/test_seg.py $RUN/fcn-d16_student_4xb4-30k_voc12aug-512x512.py $RUN/iter_30000.pth
    torchrun --nproc_per_node 4 tools/test_seg.py CONFIG CHECKPOINT --launcher pytorch
"""
import sys

from downstream.mmseg.runner import MMSEG
from downstream.openmmlab.runner import test_tool
from seed.errors import report_errors

if __name__ == "__main__":
    sys.exit(report_errors("test_seg.py", lambda: test_tool(MMSEG, __doc__)))
