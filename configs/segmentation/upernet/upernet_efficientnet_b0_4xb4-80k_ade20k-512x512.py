# EfficientNet-B0 student, UPerNet on ADE20K (150 classes), MMSeg's upernet ADE20K recipe
# (batch 16, SGD lr 0.01 poly, 80k iterations).
_base_ = [
    '../_base_/models/upernet_student.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        model_name='efficientnet_b0',
        init_cfg=dict(checkpoint='runs/seed_r50-mocov2-200ep_efficientnet_b0/student.pth')),
    decode_head=dict(in_channels=[24, 40, 112, 320], num_classes=150),
    auxiliary_head=dict(in_channels=112, num_classes=150))
seed_record = dict(dataset='ade20k', split='val')
