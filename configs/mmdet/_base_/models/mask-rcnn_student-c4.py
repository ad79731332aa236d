# Mask R-CNN C4 for any student: as faster-rcnn_student-c4.py (the student up to stride 16, its
# own last stage as shared_head with an extra norm, SyncBN, nothing frozen), the mask head on
# the shared head's output as in MMDetection's mask-rcnn_r50-caffe-c4.
# The per-student configs set model_name, the student file and the channels.
_base_ = ['mmdet::_base_/models/mask-rcnn_r50-caffe-c4.py', './student.py']
model = dict(
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        _delete_=True,
        type='SeedTIMMBackbone',
        model_name='resnet18',
        out_indices=(3, ),
        sync_bn=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='runs/seed_r50-mocov2-200ep_resnet18/student.pth')),
    rpn_head=dict(in_channels=256, feat_channels=256),
    roi_head=dict(
        shared_head=dict(
            _delete_=True,
            type='SeedLastStage',
            model_name='resnet18',
            extra_norm=True,
            sync_bn=True,
            init_cfg=dict(
                type='Pretrained',
                checkpoint='runs/seed_r50-mocov2-200ep_resnet18/student.pth')),
        bbox_roi_extractor=dict(out_channels=256),
        bbox_head=dict(in_channels=512),
        mask_head=dict(in_channels=512)))
