# DeepLabV3 (output stride 8) on PASCAL VOC 2012 + SBD ("aug"),
# MMSeg's deeplabv3 VOC recipe (batch 16, SGD lr 0.01 poly, 20k iterations).
# Every student: tools/train_seg.py THIS_FILE --student FILE; the network and every channel
# count come from the student file.
_base_ = [
    '../_base_/models/deeplabv3-d8_student.py',
    'mmseg::_base_/datasets/pascal_voc12_aug.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_20k.py',
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(num_classes=21),
    auxiliary_head=dict(num_classes=21))
seed_record = dict(dataset='voc12aug', split='val')
