# MobileNetV3-Large student; recipe and data: ../_base_/recipes/deeplabv3-d8_voc12aug_20k.py
_base_ = '../_base_/recipes/deeplabv3-d8_voc12aug_20k.py'
model = dict(
    backbone=dict(
        model_name='mobilenetv3_large_100',
        init_cfg=dict(checkpoint='runs/seed_r50-mocov2-200ep_mobilenetv3_large_100/student.pth')),
    decode_head=dict(in_channels=960),
    auxiliary_head=dict(in_channels=112))
