# DeepLabV3 as in MMSeg's deeplabv3_r18-d8 configs: output stride 8, ASPP with dilations
# (1, 12, 24, 36), 128 channels (MMSeg's choice for ResNet-18-sized backbones), and an
# auxiliary FCN head (64 channels, loss weight 0.4) on the stride-16 stage.
_base_ = ['./student.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(output_stride=8),
    decode_head=dict(
        type='ASPPHead',
        in_channels='auto',
        in_index=3,
        channels=128,
        dilations=(1, 12, 24, 36),
        dropout_ratio=0.1,
        num_classes=21,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels='auto',
        in_index=2,
        channels=64,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=21,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)))
seed_record = dict(protocol='segmentation-deeplabv3')
