# MoCo's Cityscapes schedule: batch 16 (8 GPUs x 2), SGD lr 0.01, momentum 0.9, weight decay
# 1e-4, 90k iterations, lr x0.1 at 70% and 90% of training. Hooks and loops: MMSeg's schedule_80k.
_base_ = ['mmseg::_base_/schedules/schedule_80k.py']
optimizer = dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001)
optim_wrapper = dict(optimizer=optimizer)
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=90000,
        milestones=[63000, 81000],
        gamma=0.1)
]
train_cfg = dict(max_iters=90000, val_interval=9000)
default_hooks = dict(checkpoint=dict(interval=9000))
