# MobileNetV3-Large student, MoCo's FCN-16s segmentation transfer on Cityscapes (fine): MoCo's recipe
# (769 crops, batch 16, lr 0.01, 90k iterations, inference on the whole image).
_base_ = [
    '../_base_/models/fcn-d16_student.py',
    'mmseg::_base_/datasets/cityscapes_769x769.py',
    'mmseg::_base_/default_runtime.py',
    '../_base_/schedules/moco_cityscapes_90k.py',
]
crop_size = (769, 769)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        model_name='mobilenetv3_large_100',
        init_cfg=dict(checkpoint='runs/seed_r50-mocov2-200ep_mobilenetv3_large_100/student.pth')),
    decode_head=dict(in_channels=960, num_classes=19))
seed_record = dict(dataset='cityscapes', split='val')
