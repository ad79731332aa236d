# MobileNetV3-Large student; recipe and data: ../_base_/recipes/mask-rcnn_fpn_coco_2x.py
_base_ = '../_base_/recipes/mask-rcnn_fpn_coco_2x.py'
student = 'runs/seed_r50-mocov2-200ep_mobilenetv3_large_100/student.pth'  # or tools/train_mmdet.py --student FILE
model = dict(
    backbone=dict(model_name='mobilenetv3_large_100', init_cfg=dict(checkpoint=student)),
    neck=dict(in_channels=[24, 40, 112, 960]))
