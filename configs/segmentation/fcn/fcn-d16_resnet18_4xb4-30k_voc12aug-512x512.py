# ResNet-18 student, MoCo's FCN-16s segmentation transfer on PASCAL VOC 2012 + SBD ("aug"):
# MoCo's recipe (batch 16, lr 0.003, 30k iterations), at MMSeg's 512 crop (MoCo used 513).
_base_ = [
    '../_base_/models/fcn-d16_student.py',
    'mmseg::_base_/datasets/pascal_voc12_aug.py',
    'mmseg::_base_/default_runtime.py',
    '../_base_/schedules/moco_voc12aug_30k.py',
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        model_name='resnet18',
        init_cfg=dict(checkpoint='runs/seed_r50-mocov2-200ep_resnet18/student.pth')),
    decode_head=dict(in_channels=512, num_classes=21))
seed_record = dict(dataset='voc12aug', split='val')
