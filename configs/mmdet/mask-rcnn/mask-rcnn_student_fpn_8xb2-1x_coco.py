# COCO 2017 Mask R-CNN FPN, 1x: MMDetection's selfsup_pretrain/mask-rcnn_r50-mocov2-pre_fpn_1x_coco
# (12 epochs, batch 16, lr 0.02, 1333x800; SyncBN everywhere, nothing frozen, norm_eval False)
# with a student backbone. Data: data/coco (or --data-root).
# Every student: tools/train_mmdet.py THIS_FILE --student FILE; the network and every channel
# count come from the student file.
_base_ = [
    '../_base_/models/mask-rcnn_student_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
]
seed_record = dict(protocol='detection-fpn-1x', dataset='coco', split='coco_2017_val', primary_metric='AP')
