#!/usr/bin/env python
"""Test a trained MMDetection checkpoint (VOCMetric or CocoMetric AP); the results land in records.

    RUN=work_dirs/faster-rcnn_student-c4_8xb2-24k_voc0712
    python tools/test_mmdet.py $RUN/faster-rcnn_student-c4_8xb2-24k_voc0712.py $RUN/iter_24000.pth
    torchrun --nproc_per_node 4 tools/test_mmdet.py CONFIG CHECKPOINT --launcher pytorch
"""
import sys

from downstream.mmdet.runner import MMDET
from downstream.openmmlab.runner import test_tool
from seed.errors import report_errors

if __name__ == "__main__":
    sys.exit(report_errors("test_mmdet.py", lambda: test_tool(MMDET, __doc__)))
