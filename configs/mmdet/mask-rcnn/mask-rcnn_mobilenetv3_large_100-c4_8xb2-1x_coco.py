# MobileNetV3-Large student; recipe and data: ../_base_/recipes/mask-rcnn_c4_coco_1x.py
_base_ = '../_base_/recipes/mask-rcnn_c4_coco_1x.py'
student = 'runs/seed_r50-mocov2-200ep_mobilenetv3_large_100/student.pth'  # or tools/train_mmdet.py --student FILE
model = dict(
    backbone=dict(model_name='mobilenetv3_large_100', init_cfg=dict(checkpoint=student)),
    rpn_head=dict(in_channels=112, feat_channels=112),
    roi_head=dict(
        shared_head=dict(model_name='mobilenetv3_large_100', init_cfg=dict(checkpoint=student)),
        bbox_roi_extractor=dict(out_channels=112),
        bbox_head=dict(in_channels=960),
        mask_head=dict(in_channels=960)))
