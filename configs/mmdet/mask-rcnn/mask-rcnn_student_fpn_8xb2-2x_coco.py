# COCO 2017 Mask R-CNN FPN, 2x: MMDetection's selfsup_pretrain/mask-rcnn_r50-mocov2-pre_fpn_ms-2x_coco
# (24 epochs, batch 16, lr 0.02, train short side 640-800, test 800; SyncBN everywhere, nothing
# frozen) with a student backbone. Data: data/coco (or --data-root).
# Every student: tools/train_mmdet.py THIS_FILE --student FILE; the network and every channel
# count come from the student file.
_base_ = [
    '../_base_/models/mask-rcnn_student_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    'mmdet::_base_/schedules/schedule_2x.py',
    'mmdet::_base_/default_runtime.py',
]
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomResize', scale=[(1333, 640), (1333, 800)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
seed_record = dict(protocol='detection-fpn-2x', dataset='coco', split='coco_2017_val', primary_metric='AP')
