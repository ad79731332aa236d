# UPerNet on a plain ViT student, MMSeg's ViT recipe (upernet_vit-b16_ln_mln): four blocks spread over
# the depth (the last and every third before it: blocks 2, 5, 8, 11 of a 12-block ViT), each on the
# stride-16 patch grid; MMSeg's MultiLevelNeck resamples them to strides 4, 8, 16, 32 at the ViT's
# width; UPerNet's PPM + FPN head (upernet_student.py), its auxiliary FCN head on the last block.
# The ViT follows the crop's size (its position embedding is resampled to the patch grid).
_base_ = ['./upernet_student.py']
model = dict(
    backbone=dict(out_strides=None, out_indices=(-10, -7, -4, -1)),
    neck=dict(
        type='MultiLevelNeck',
        in_channels='auto',
        out_channels='auto',  # the ViT's width, as MMSeg's recipe keeps it
        scales=[4, 2, 1, 0.5]),
    auxiliary_head=dict(in_index=3))
seed_record = dict(protocol='segmentation-upernet-vit')
