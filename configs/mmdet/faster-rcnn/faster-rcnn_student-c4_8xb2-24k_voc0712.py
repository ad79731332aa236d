# VOC07+12 Faster R-CNN C4, MoCo's recipe (24k iterations, batch 16, lr 0.02, SyncBN, train
# scales 480-800, test 800), in MMDetection. Data: data/VOCdevkit/VOC2007 and VOC2012 (or
# --data-root).
# Every student: tools/train_mmdet.py THIS_FILE --student FILE; the network and every channel
# count come from the student file.
_base_ = [
    '../_base_/models/faster-rcnn_student-c4.py',
    '../_base_/datasets/voc0712_moco.py',
    'mmdet::_base_/default_runtime.py',
    '../_base_/schedules/moco_voc_24k.py',
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=4000))
log_processor = dict(by_epoch=False)
model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))
seed_record = dict(protocol='detection-c4-24k', dataset='voc07+12', split='voc_2007_test', primary_metric='AP50')
