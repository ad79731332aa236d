# EfficientNet-B0 student; recipe and data: ../_base_/recipes/upernet_ade20k_80k.py
_base_ = '../_base_/recipes/upernet_ade20k_80k.py'
model = dict(
    backbone=dict(
        model_name='efficientnet_b0',
        init_cfg=dict(checkpoint='runs/seed_r50-mocov2-200ep_efficientnet_b0/student.pth')),
    decode_head=dict(in_channels=[24, 40, 112, 320]),
    auxiliary_head=dict(in_channels=112))
