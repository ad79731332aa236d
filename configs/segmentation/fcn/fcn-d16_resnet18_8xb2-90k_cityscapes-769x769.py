# ResNet-18 student; recipe and data: ../_base_/recipes/fcn-d16_cityscapes_90k.py
_base_ = '../_base_/recipes/fcn-d16_cityscapes_90k.py'
model = dict(
    backbone=dict(
        model_name='resnet18',
        init_cfg=dict(checkpoint='runs/seed_r50-mocov2-200ep_resnet18/student.pth')),
    decode_head=dict(in_channels=512))
