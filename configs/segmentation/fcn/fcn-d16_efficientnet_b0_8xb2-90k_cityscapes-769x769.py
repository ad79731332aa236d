# EfficientNet-B0 student; recipe and data: ../_base_/recipes/fcn-d16_cityscapes_90k.py
_base_ = '../_base_/recipes/fcn-d16_cityscapes_90k.py'
model = dict(
    backbone=dict(
        model_name='efficientnet_b0',
        init_cfg=dict(checkpoint='runs/seed_r50-mocov2-200ep_efficientnet_b0/student.pth')),
    decode_head=dict(in_channels=320))
