# MoCo's VOC schedule: batch 16 (4 GPUs x 4), SGD lr 0.003, momentum 0.9, weight decay 1e-4,
# 30k iterations, lr x0.1 at 70% and 90% of training. Hooks and loops: MMSeg's schedule_20k.
_base_ = ['mmseg::_base_/schedules/schedule_20k.py']
optimizer = dict(type='SGD', lr=0.003, momentum=0.9, weight_decay=0.0001)
optim_wrapper = dict(optimizer=optimizer)
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=30000,
        milestones=[21000, 27000],
        gamma=0.1)
]
train_cfg = dict(max_iters=30000, val_interval=3000)
default_hooks = dict(checkpoint=dict(interval=3000))
