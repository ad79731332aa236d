# MoCo's FCN-16s segmentation transfer on Cityscapes (fine): MoCo's recipe
# (769 crops, batch 16, lr 0.01, 90k iterations, inference on the whole image).
# Every student: tools/train_seg.py THIS_FILE --student FILE; the network and every channel
# count come from the student file.
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
    decode_head=dict(num_classes=19))
seed_record = dict(dataset='cityscapes', split='val')
