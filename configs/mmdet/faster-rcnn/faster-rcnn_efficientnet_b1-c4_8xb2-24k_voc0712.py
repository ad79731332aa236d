# EfficientNet-B1 student; recipe and data: ../_base_/recipes/faster-rcnn_c4_voc0712_24k.py
_base_ = '../_base_/recipes/faster-rcnn_c4_voc0712_24k.py'
student = 'runs/seed_r50-mocov2-200ep_efficientnet_b1/student.pth'  # or tools/train_mmdet.py --student FILE
model = dict(
    backbone=dict(model_name='efficientnet_b1', init_cfg=dict(checkpoint=student)),
    rpn_head=dict(in_channels=112, feat_channels=112),
    roi_head=dict(
        shared_head=dict(model_name='efficientnet_b1', init_cfg=dict(checkpoint=student)),
        bbox_roi_extractor=dict(out_channels=112),
        bbox_head=dict(in_channels=1280)))
