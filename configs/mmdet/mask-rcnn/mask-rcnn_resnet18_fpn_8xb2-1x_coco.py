# ResNet-18 student; recipe and data: ../_base_/recipes/mask-rcnn_fpn_coco_1x.py
_base_ = '../_base_/recipes/mask-rcnn_fpn_coco_1x.py'
student = 'runs/seed_r50-mocov2-200ep_resnet18/student.pth'  # or tools/train_mmdet.py --student FILE
model = dict(
    backbone=dict(model_name='resnet18', init_cfg=dict(checkpoint=student)),
    neck=dict(in_channels=[64, 128, 256, 512]))
