# COCO 2017 Mask R-CNN C4, 1x (12 epochs, batch 16, lr 0.02, train and test at 1333x800), with
# MMDetection's selfsup_pretrain settings for a self-supervised backbone: SyncBN everywhere,
# nothing frozen, BN statistics trained. Data: data/coco (or --data-root).
# Every student: tools/train_mmdet.py THIS_FILE --student FILE; the network and every channel
# count come from the student file.
_base_ = [
    '../_base_/models/mask-rcnn_student-c4.py',
    'mmdet::_base_/datasets/coco_instance.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
]
seed_record = dict(protocol='detection-c4-1x', dataset='coco', split='coco_2017_val', primary_metric='AP')
