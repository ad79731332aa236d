# MoCo's FCN-16s segmentation transfer on PASCAL VOC 2012 + SBD ("aug"):
# MoCo's recipe (batch 16, lr 0.003, 30k iterations), at MMSeg's 512 crop (MoCo used 513).
# Every student: tools/train_seg.py THIS_FILE --student FILE; the network and every channel
# count come from the student file.
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
    decode_head=dict(num_classes=21))
seed_record = dict(dataset='voc12aug', split='val')
