# A distilled timm student as an MMSeg backbone: SeedTIMMBackbone (downstream/mmseg/backbone.py),
# MMSeg's TIMMBackbone with features_only, no download and a strict Pretrained init_cfg.
# model_name='auto': the network the student file records; out_strides=(4, 8, 16, 32): its four
# maps at those strides (before dilation), which MMSeg heads index with `in_index`; the heads'
# in_channels='auto' are read from them when SeedSegmentor builds the model (EncoderDecoder).
# The head bases set output_stride.
custom_imports = dict(imports=['downstream.mmseg'], allow_failed_imports=False)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],  # ImageNet statistics, as the students were distilled with
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='SeedSegmentor',
    segmentor='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='SeedTIMMBackbone',
        model_name='auto',
        out_strides=(4, 8, 16, 32),
        sync_bn=True,  # SyncBN under DDP, converted by timm so fused BN+act layers keep their activation
        # what `seed distill` writes; override with tools/train_seg.py --student FILE
        init_cfg=dict(
            type='Pretrained',
            checkpoint='runs/seed_r50-mocov2-200ep_resnet18/student.pth')),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
