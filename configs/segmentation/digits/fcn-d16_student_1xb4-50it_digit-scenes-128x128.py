# CPU-SIZED RECIPE for the digit scenes (`seed data digit-scenes`), not a paper's: MoCo's FCN-16s
# head (fcn-d16_student.py) on 96-128 px scenes, 11 classes (background and the ten digits) from the
# scenes' VOC-style label PNGs; 50 iterations of batch 4 at a 128 px pad on one CPU process, a
# 64-channel head, evaluated on the validation scenes with MMSeg's IoUMetric (mIoU). Minutes of
# CPU, for the embedded suite (configs/bench/embedded.yaml). Data: data/digit-scenes/VOC2007 (or
# --data-root). Every student: tools/train_seg.py THIS_FILE --student FILE; the network and every
# channel count come from the student file.
_base_ = [
    '../_base_/models/fcn-d16_student.py',
    'mmseg::_base_/default_runtime.py',
]
classes = ('background', ) + tuple(str(digit) for digit in range(10))
crop_size = (128, 128)
data_root = 'data/digit-scenes/VOC2007'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
test_pipeline = train_pipeline
dataset = dict(
    type='BaseSegDataset',
    data_root=data_root,
    data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
    img_suffix='.jpg',
    seg_map_suffix='.png',
    metainfo=dict(classes=classes))
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(**dataset, ann_file='ImageSets/Segmentation/train.txt', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**dataset, ann_file='ImageSets/Segmentation/val.txt', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(channels=64, num_classes=11))
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001))
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=50, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=50, val_begin=51, val_interval=50)  # evaluated once, by the test after training
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
randomness = dict(seed=0, deterministic=False)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100000),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=False)
seed_record = dict(protocol='segmentation-fcn-digits', dataset='digit-scenes', split='val')
