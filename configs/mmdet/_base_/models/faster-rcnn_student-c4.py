# Faster R-CNN C4 for any student, MoCo's detection recipe in MMDetection: the student up to
# stride 16 (SeedTIMMBackbone, out_indices=(3,)), and its own last stage, initialised from the
# same student, as the RoI head's shared_head (SeedLastStage), with MoCo's extra norm after it.
# SyncBN everywhere (converted by timm under DDP), nothing frozen, BN statistics trained.
# The network is the one the student file records (model_name='auto'); every 'auto' channel
# count comes from it when SeedDetector builds the model.
_base_ = ['mmdet::_base_/models/faster-rcnn_r50-caffe-c4.py', './student.py']
model = dict(
    type='SeedDetector',
    detector='FasterRCNN',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        _delete_=True,
        type='SeedTIMMBackbone',
        model_name='auto',
        out_strides=(16, ),  # the stride-16 map (res4); later stages are not built here
        sync_bn=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='runs/seed_r50-mocov2-200ep_resnet18/student.pth')),
    rpn_head=dict(in_channels='auto', feat_channels='auto'),
    roi_head=dict(
        shared_head=dict(
            _delete_=True,
            type='SeedLastStage',
            model_name='auto',
            extra_norm=True,
            sync_bn=True,
            init_cfg=dict(
                type='Pretrained',
                checkpoint='runs/seed_r50-mocov2-200ep_resnet18/student.pth')),
        bbox_roi_extractor=dict(out_channels='auto'),
        bbox_head=dict(in_channels='auto')))
