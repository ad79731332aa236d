# Mask R-CNN C4 for any student: as faster-rcnn_student-c4.py (the student up to stride 16, its
# own last stage as shared_head with an extra norm, SyncBN, nothing frozen), the mask head on
# the shared head's output as in MMDetection's mask-rcnn_r50-caffe-c4.
# The network is the one the student file records (model_name='auto'); every 'auto' channel
# count comes from it when SeedDetector builds the model.
_base_ = ['mmdet::_base_/models/mask-rcnn_r50-caffe-c4.py', './student.py']
model = dict(
    type='SeedDetector',
    detector='MaskRCNN',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        _delete_=True,
        type='SeedTIMMBackbone',
        model_name='auto',
        out_strides=(16, ),
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
        bbox_head=dict(in_channels='auto'),
        mask_head=dict(in_channels='auto')))
