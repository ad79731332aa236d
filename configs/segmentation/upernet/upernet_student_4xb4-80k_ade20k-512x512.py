# UPerNet on ADE20K (150 classes), MMSeg's upernet ADE20K recipe
# (batch 16, SGD lr 0.01 poly, 80k iterations).
# Every student: tools/train_seg.py THIS_FILE --student FILE; the network and every channel
# count come from the student file.
_base_ = [
    '../_base_/models/upernet_student.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(num_classes=150),
    auxiliary_head=dict(num_classes=150))
seed_record = dict(dataset='ade20k', split='val')
