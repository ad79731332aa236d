# Mask R-CNN FPN for any student, MMDetection's selfsup_pretrain recipe (mask-rcnn_r50-mocov2-pre):
# the student's four stride-4..32 maps (SeedTIMMBackbone, out_indices=(1, 2, 3, 4)), SyncBN,
# nothing frozen, BN statistics trained; FPN, RPN and heads as in mask-rcnn_r50_fpn.
# The per-student configs set model_name, the student file and the FPN's input channels.
_base_ = ['mmdet::_base_/models/mask-rcnn_r50_fpn.py', './student.py']
model = dict(
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        _delete_=True,
        type='SeedTIMMBackbone',
        model_name='resnet18',
        out_indices=(1, 2, 3, 4),
        sync_bn=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='runs/seed_r50-mocov2-200ep_resnet18/student.pth')),
    neck=dict(in_channels=[64, 128, 256, 512]))
