# CPU-SIZED RECIPE for the digit scenes (`seed data digit-scenes`), not a paper's: Faster R-CNN C4
# (the student C4 model of faster-rcnn_student-c4_8xb2-24k_voc0712.py) on 96-128 px scenes of 1-4
# digits, the ten digits as classes, read from the scenes' VOC2007 tree; 50 iterations of batch 4 on
# one CPU process, anchors sized for 16-48 px digits, small RPN/RoI samples, evaluated on the
# validation scenes with MMDetection's VOCMetric (11-point AP50). Minutes of CPU, for the embedded
# suite (configs/bench/embedded.yaml). Data: data/digit-scenes (or --data-root).
# Every student: tools/train_mmdet.py THIS_FILE --student FILE; the network and every channel
# count come from the student file.
_base_ = [
    '../_base_/models/faster-rcnn_student-c4.py',
    'mmdet::_base_/default_runtime.py',
]
classes = tuple(str(digit) for digit in range(10))
data_root = 'data/digit-scenes/'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(128, 112), keep_ratio=True),
    dict(type='RandomFlip', prob=0.0),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 112), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=None,
    dataset=dict(
        type='VOCDataset',
        data_root=data_root,
        ann_file='VOC2007/ImageSets/Main/trainval.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        metainfo=dict(classes=classes),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VOCDataset',
        data_root=data_root,
        ann_file='VOC2007/ImageSets/Main/test.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        metainfo=dict(classes=classes),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='VOCMetric', metric='mAP', eval_mode='11points')
test_evaluator = val_evaluator
model = dict(
    rpn_head=dict(anchor_generator=dict(scales=[1, 2, 4])),
    roi_head=dict(bbox_head=dict(num_classes=10)),
    train_cfg=dict(
        rpn=dict(sampler=dict(num=64)),
        rpn_proposal=dict(nms_pre=300, max_per_img=64),
        rcnn=dict(sampler=dict(num=8))),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=20)))  # a scene holds at most 4 digits
train_cfg = dict(type='IterBasedTrainLoop', max_iters=50, val_begin=51, val_interval=50)  # evaluated once, by the test after training
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=5),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=50, milestones=[40], gamma=0.1)
]
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001))
auto_scale_lr = dict(enable=False, base_batch_size=4)
randomness = dict(seed=0, deterministic=False)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=100000), logger=dict(interval=50))
log_processor = dict(by_epoch=False)
seed_record = dict(protocol='detection-c4-digits', dataset='digit-scenes', split='val', primary_metric='AP50')
