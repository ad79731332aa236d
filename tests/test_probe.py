"""The fast probe and the official linear loop: both learn a separable problem; the sweep picks
the value the held-out split favours."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from downstream.config import EvalDataConfig, FeatureConfig, LinearConfig, ProbeConfig
from downstream.datasets import build_split
from downstream.linear import epoch_lr, train_linear
from downstream.models import FrozenModel
from downstream.probe import linear_probe, plan_sweep
from seed.errors import InputError

from eval_fixtures import write_imagenet_folder


def separable(counts=(30, 30, 30), dim=10, seed=0):
    """Gaussian blobs around fixed class centres (the same centres for every seed)."""
    centres = torch.randn(len(counts), dim, generator=torch.Generator().manual_seed(123)) * 4
    labels = torch.cat([torch.full((n,), c) for c, n in enumerate(counts)])
    noise = torch.randn(len(labels), dim, generator=torch.Generator().manual_seed(seed))
    return centres[labels] + noise, labels


def test_fast_probe_solvers_reach_high_accuracy_on_separable_features():
    train_x, train_y = separable()
    val_x, val_y = separable((10, 10, 10), seed=1)
    for method in ("sklearn", "lbfgs", "sgd"):
        cfg = ProbeConfig(method=method, weight_decays=(1e-4,), epochs=30, lr=0.1, milestones=(20,))
        result = linear_probe(train_x, train_y, val_x, val_y, 3, cfg)
        assert result.metrics["top1"] >= 95.0, (method, result.metrics)
        assert result.solver == method


def test_sweep_picks_the_value_the_held_out_split_favours(caplog):
    caplog.set_level("INFO")
    train_x, train_y = separable((60, 20, 20))
    val_x, val_y = separable((10, 10, 10), seed=1)
    # an enormous weight decay squeezes the weights to ~0, so the (unpenalised) bias predicts the
    # majority class everywhere: about 60 % on the held-out split against about 100 %
    for order in ((1e4, 1e-5), (1e-5, 1e4)):
        result = linear_probe(train_x, train_y, val_x, val_y, 3, ProbeConfig(method="lbfgs", weight_decays=order))
        assert result.weight_decay == 1e-5
        assert result.sweep[1e-5] > result.sweep[1e4]
        assert result.weight_decay == max(result.sweep, key=result.sweep.get)
    assert "probe weight-decay sweep (lbfgs): 2/2 fits, done" in caplog.text  # progress where no bar draws


@pytest.mark.parametrize("method", ["lbfgs", "sklearn"])
@pytest.mark.parametrize("per_class, how, splits", [(1, "fixed", 0), (2, "cross-validation", 2),
                                                    (3, "cross-validation", 3)])
def test_few_shot_subsets_choose_the_weight_decay_and_say_how(method, per_class, how, splits):
    train_x, train_y = separable((per_class,) * 4)
    val_x, val_y = separable((5,) * 4, seed=1)
    cfg = ProbeConfig(method=method, fixed_weight_decay=3e-3, max_iter=50)
    result = linear_probe(train_x, train_y, val_x, val_y, 4, cfg)
    described = result.plan.describe()
    assert described["method"] == how and described["splits"] == splits
    if how == "fixed":
        assert result.weight_decay == 3e-3 and result.sweep == {} and "fixed_weight_decay" in described["reason"]
    else:  # every training image scored exactly once across the folds
        assert described["scored_images"] == len(train_y) and set(result.sweep) == set(cfg.weight_decays)
        assert result.weight_decay in cfg.weight_decays
    assert result.metrics["top1"] >= 75.0


def test_cifar100_sized_one_percent_subset_is_swept_by_five_folds():
    train_x, train_y = separable((5,) * 100, dim=16)  # 500 images, 100 classes: a 10 % hold-out has 50 < 100
    val_x, val_y = separable((1,) * 100, dim=16, seed=1)
    result = linear_probe(train_x, train_y, val_x, val_y, 100, ProbeConfig(weight_decays=(1e-4, 1e-2), max_iter=30))
    assert result.plan.method == "cross-validation" and len(result.plan.splits) == 5
    assert result.weight_decay in (1e-4, 1e-2) and len(result.sweep) == 2


def test_holdout_keeps_one_image_of_every_class_even_when_classes_are_unbalanced():
    labels = separable((60, 2, 2))[1].numpy()
    plan = plan_sweep(labels, ProbeConfig(), seed=0)
    (fit_rows, held_rows), = plan.splits
    assert plan.method == "holdout"
    assert set(labels[held_rows]) == {0, 1, 2} and set(labels[fit_rows]) == {0, 1, 2}
    assert not set(fit_rows) & set(held_rows) and len(fit_rows) + len(held_rows) == len(labels)


def test_single_image_classes_are_always_fitted_never_scored():
    labels = separable((1, 4, 4))[1].numpy()
    plan = plan_sweep(labels, ProbeConfig(), seed=0)
    assert plan.method == "cross-validation" and len(plan.splits) == 4
    for fit_rows, held_rows in plan.splits:
        assert 0 in fit_rows and 0 not in held_rows


def test_auto_uses_torch_lbfgs_and_unknown_methods_are_named():
    train_x, train_y = separable()
    assert linear_probe(train_x, train_y, train_x, train_y, 3, ProbeConfig(weight_decays=(0.0,))).solver == "lbfgs"
    with pytest.raises(KeyError, match="unknown probe method 'adam'"):
        linear_probe(train_x, train_y, train_x, train_y, 3, ProbeConfig(method="adam"))


class BarDetector(nn.Module):
    """A fixed backbone whose pooled features (mean of each row band) make the bars separable."""

    num_features = 8

    def __init__(self) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d((8, 1))
        self.bn = nn.BatchNorm2d(3)  # running stats only: eval mode must keep them

    def forward(self, images):
        return self.pool(self.bn(images)).mean(1).flatten(1)


def test_official_linear_loop_learns_with_a_frozen_eval_mode_backbone(tmp_path, caplog):
    caplog.set_level("INFO")
    write_imagenet_folder(tmp_path, classes=3, train_per_class=10, val_per_class=4)
    data = EvalDataConfig(name="imagenet", root=str(tmp_path))
    train, val = build_split(data, "train"), build_split(data, "val")
    backbone = BarDetector().eval()
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    model = FrozenModel("bars", backbone, "bars", None, None, "test")
    features = FeatureConfig(image_size=32, resize=32, mean=(0.5,) * 3, std=(0.25,) * 3, workers=0, progress=False)
    cfg = LinearConfig(epochs=30, lr=1.0, milestones=(20, 25), batch_size=10, crop_scale=(0.9, 1.0), workers=0)
    metrics = train_linear(model, train, val, cfg, features, torch.device("cpu"), state_file=tmp_path / "state.pth")
    assert metrics["top1"] >= 90.0, metrics
    epochs = [r.getMessage() for r in caplog.records if r.getMessage().startswith("linear epoch")]
    assert len(epochs) == 30 and epochs[0].startswith("linear epoch 1/30: loss ")  # one line per epoch
    assert "lr 0.03906" in epochs[0] and "lr 0.0003906" in epochs[-1] and "train top-1 100.00%" in epochs[-1]
    for key, value in backbone.state_dict().items():  # BN running statistics untouched
        assert torch.equal(value, before[key]), key
    again = train_linear(model, train, val, cfg, features, torch.device("cpu"), state_file=tmp_path / "state.pth")
    assert again["top1"] == metrics["top1"]  # the finished state is resumed, not retrained


def test_the_linear_schedule_is_the_distillers_counted_in_epochs():
    step = LinearConfig(epochs=100, schedule="step", milestones=(60, 80))
    assert [epoch_lr(30.0, e, step) for e in (0, 59, 60, 79, 80, 99)] == pytest.approx(
        [30.0, 30.0, 3.0, 3.0, 0.3, 0.3], rel=1e-12)  # how 0.1 ** 2 rounds is numpy's business
    cosine = LinearConfig(epochs=100, schedule="cosine")
    assert epoch_lr(3.0, 0, cosine) == 3.0 and epoch_lr(3.0, 50, cosine) == pytest.approx(1.5)
    with pytest.raises(InputError, match="linear.schedule must be 'cosine' or 'step'"):
        epoch_lr(3.0, 0, LinearConfig(schedule="poly"))
