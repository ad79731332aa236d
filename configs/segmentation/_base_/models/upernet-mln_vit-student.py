# UPerNet on a plain ViT student, MMSeg's ViT recipe (upernet_vit-b16_ln_mln): four blocks spread over
# the depth (the last and every third before it: blocks 2, 5, 8, 11 of a 12-block ViT), each on the
# stride-16 patch grid; MMSeg's MultiLevelNeck resamples them to strides 4, 8, 16, 32 at the ViT's
# width; a PPM + FPN head of 512 channels, and an auxiliary FCN head on the last block.
# The ViT follows the crop's size (its position embedding is resampled to the patch grid).
_base_ = ['./student.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(out_strides=None, out_indices=(-10, -7, -4, -1)),
    neck=dict(
        type='MultiLevelNeck',
        in_channels='auto',
        out_channels='auto',  # the ViT's width, as MMSeg's recipe keeps it
        scales=[4, 2, 1, 0.5]),
    decode_head=dict(
        type='UPerHead',
        in_channels='auto',
        in_index=[0, 1, 2, 3],
        pool_scales=(1, 2, 3, 6),
        channels=512,
        dropout_ratio=0.1,
        num_classes=150,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels='auto',
        in_index=3,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=150,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)))
seed_record = dict(protocol='segmentation-upernet-vit')
