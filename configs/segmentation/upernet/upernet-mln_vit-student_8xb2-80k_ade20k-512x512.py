# UPerNet + MultiLevelNeck on a ViT student, ADE20K (150 classes), MMSeg's ViT recipe
# (vit_vit-b16_mln_upernet_8xb2-80k_ade20k-512x512): batch 16, AdamW lr 6e-5, weight decay 0.01
# (none on the position embedding, class token and norms), 1500 warm-up iterations, then poly, 80k.
# Every ViT student: tools/train_seg.py THIS_FILE --student FILE; the network and every channel
# count come from the student file.
_base_ = [
    '../_base_/models/upernet-mln_vit-student.py',
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
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.00006, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(
        custom_keys={
            'pos_embed': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.),
            'norm': dict(decay_mult=0.)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=80000, by_epoch=False),
]
train_dataloader = dict(batch_size=2)
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
seed_record = dict(dataset='ade20k', split='val')
