# MoCo's VOC detection schedule: batch 16 (8 GPUs x 2), SGD lr 0.02, momentum 0.9, weight decay
# 1e-4, 24k iterations, linear warm-up over 100 iterations, lr x0.1 at 18k and 22k.
# (Its recipe logs and saves by iteration: default_hooks / log_processor there.)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=24000, val_interval=24000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=24000,
        milestones=[18000, 22000],
        gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001))
auto_scale_lr = dict(enable=False, base_batch_size=16)
