# Mask R-CNN FPN for any student, MMDetection's selfsup_pretrain recipe (mask-rcnn_r50-mocov2-pre):
# the student's four stride-4..32 maps (SeedTIMMBackbone, out_indices=(1, 2, 3, 4)), SyncBN,
# nothing frozen, BN statistics trained; FPN, RPN and heads as in mask-rcnn_r50_fpn.
# The network is the one the student file records (model_name='auto'); the FPN's input channels
# come from it when SeedDetector builds the model.
_base_ = ['mmdet::_base_/models/mask-rcnn_r50_fpn.py', './student.py']
model = dict(
    type='SeedDetector',
    detector='MaskRCNN',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        _delete_=True,
        type='SeedTIMMBackbone',
        model_name='auto',
        out_strides=(4, 8, 16, 32),
        sync_bn=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='runs/seed_r50-mocov2-200ep_resnet18/student.pth')),
    neck=dict(in_channels='auto'))
