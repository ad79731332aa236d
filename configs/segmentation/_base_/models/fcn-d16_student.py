# MoCo's segmentation transfer head (He et al., "Momentum Contrast for Unsupervised Visual
# Representation Learning", CVPR 2020, appendix "Semantic segmentation"): the backbone's last
# stage dilated to total stride 16 (FCN-16s), then two 3x3 convolutions of 256 channels with
# dilation 6, BN and ReLU, and a 1x1 classifier. No auxiliary head; whole-image inference.
_base_ = ['./student.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(output_stride=16),
    decode_head=dict(
        type='FCNHead',
        in_channels='auto',
        in_index=3,
        channels=256,
        num_convs=2,
        kernel_size=3,
        dilation=6,
        concat_input=False,
        dropout_ratio=0.0,
        num_classes=21,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
seed_record = dict(protocol='segmentation-fcn')
