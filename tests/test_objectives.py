"""DisCo, CompRess, CRD and feature distillation: each loss against a restatement of its formula,
and each objective trained through the same trainer."""
from __future__ import annotations

import math
from dataclasses import fields

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seed.config import ConfigError, from_dict
from seed.engine.schedule import lr_schedule
from seed.engine.trainer import distill
from seed.models import load_encoder
from seed.models.encoder import Encoder
from seed.models.teachers import FrozenTeacher
from seed.objectives import OBJECTIVES
from seed.objectives.compress import compress_loss
from seed.objectives.crd import crd_loss
from seed.objectives.disco import DisCoParams, disco_mse
from seed.objectives.feature import FeatureParams, feature_distance
from seed.objectives.moco import ContrastParams, MoCoParams

from conftest import tiny_config


def unit(*shape, seed=0):
    return F.normalize(torch.randn(*shape, generator=torch.Generator().manual_seed(seed)), dim=-1)


def softmax(values):
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    return [e / sum(exps) for e in exps]


def test_disco_mse_sums_over_batch_and_dimensions_or_averages():
    s, t = unit(4, 6, seed=1), unit(4, 6, seed=2)
    total = sum((float(s[i, j]) - float(t[i, j])) ** 2 for i in range(4) for j in range(6))
    assert disco_mse(s, t, "sum").item() == pytest.approx(total, rel=1e-5)
    assert disco_mse(s, t, "mean").item() == pytest.approx(total / 24, rel=1e-5)


@pytest.mark.parametrize("key", ["mse_reduction", "teacher_bn"])
def test_disco_choices_are_checked_once_when_the_params_are_read(key):
    with pytest.raises(ConfigError, match=f"objective.params.{key} must be one of"):
        from_dict(DisCoParams, {key: "max"}, source="run.yaml", prefix="objective.params")


def test_disco_shares_mocos_contrastive_fields_but_not_its_head():
    shared = {f.name for f in fields(ContrastParams)}
    assert shared <= {f.name for f in fields(DisCoParams)} and shared <= {f.name for f in fields(MoCoParams)}
    assert "embed_dim" not in {f.name for f in fields(DisCoParams)}  # DisCo's embedding is the teacher's


def test_compress_loss_is_kl_teacher_to_student_without_a_positive_column():
    s, t = unit(3, 5, seed=1), unit(3, 5, seed=2)
    qs, qt = unit(7, 5, seed=3), unit(7, 5, seed=4)
    tau = 0.04
    expected = 0.0
    for i in range(3):
        p_t = softmax([float(t[i] @ a) / tau for a in qt])
        p_s = softmax([float(s[i] @ a) / tau for a in qs])
        expected += sum(pt * (math.log(pt) - math.log(ps)) for pt, ps in zip(p_t, p_s))
    assert compress_loss(s, t, qs, qt, tau).item() == pytest.approx(expected / 3, rel=1e-4)
    assert compress_loss(t, t, qt, qt, tau).item() == pytest.approx(0.0, abs=1e-6)  # identical: KL 0


def test_crd_loss_is_symmetric_infonce_between_the_two_networks():
    s, t = unit(3, 4, seed=1), unit(3, 4, seed=2)
    qs, qt = unit(5, 4, seed=3), unit(5, 4, seed=4)
    tau = 0.07

    def nce(anchor, positive, negatives):
        logits = [float(anchor @ positive) / tau] + [float(anchor @ n) / tau for n in negatives]
        return -math.log(softmax(logits)[0])

    expected = sum(0.5 * (nce(s[i], t[i], qt) + nce(t[i], s[i], qs)) for i in range(3)) / 3
    assert crd_loss(s, t, qs, qt, tau).item() == pytest.approx(expected, rel=1e-5)


def test_feature_distance_cosine_and_mse():
    s, t = torch.randn(4, 3), torch.randn(4, 3)
    cos = sum(1 - float(s[i] @ t[i]) / (float(s[i].norm()) * float(t[i].norm())) for i in range(4)) / 4
    assert feature_distance(s, t, "cosine").item() == pytest.approx(cos, rel=1e-5)
    assert feature_distance(s, t, "mse").item() == pytest.approx(float(((s - t) ** 2).mean()), rel=1e-6)
    with pytest.raises(ConfigError, match="objective.params.distance must be one of cosine, mse"):
        from_dict(FeatureParams, {"distance": "l1"}, source="run.yaml", prefix="objective.params")


def test_teacher_batch_statistics_leave_running_statistics_untouched():
    torch.manual_seed(0)
    network = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten())
    network[1].running_mean.fill_(0.5)
    teacher = FrozenTeacher(Encoder(network), batch_statistics=True)
    before = {k: v.clone() for k, v in network.state_dict().items()}
    images = torch.randn(6, 3, 5, 5)
    out = teacher(images)
    reference = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten())
    reference.load_state_dict(before)
    assert torch.allclose(out, reference.train()(images), atol=1e-6)       # batch statistics used
    assert not torch.allclose(out, reference.eval()(images), atol=1e-3)
    for key, value in network.state_dict().items():                        # nothing changed
        assert torch.equal(value, before[key]), key
    assert not teacher.training


def test_step_schedule_uses_the_configured_factor():
    lrs = lr_schedule(1.0, total_steps=10, steps_per_epoch=1, kind="step", milestones=(4, 8), gamma=0.2)
    assert lrs[3] == 1.0 and lrs[4] == pytest.approx(0.2) and lrs[9] == pytest.approx(0.04)


OBJECTIVE_RUNS = {
    "disco": ["objective.params.queue_size=16", "student.hidden_dim=32"],
    "compress-2q": ["teacher.use_head=false", "objective.params.queue_size=16"],
    "compress-1q": ["teacher.use_head=false", "objective.params.queue_size=16"],
    "crd": ["objective.params.queue_size=16", "objective.params.embed_dim=8"],
    "feature": ["objective.params.distance=mse"],
}


@pytest.mark.parametrize("name", sorted(OBJECTIVE_RUNS))
def test_each_objective_trains_through_the_same_trainer(tmp_path, name):
    cfg = tiny_config(tmp_path, f"objective.name={name}", "train.max_steps=2", *OBJECTIVE_RUNS[name])
    result = distill(cfg)
    assert result.steps == 2 and math.isfinite(result.final_loss)
    encoder, _ = load_encoder(result.student_path)  # the student is readable by every downstream tool
    assert encoder(torch.randn(2, 3, 32, 32).clamp(-1, 1)).shape[0] == 2


def test_disco_uses_the_distilling_bottleneck_by_default(tmp_path):
    cfg = tiny_config(tmp_path, "objective.name=disco", "objective.params.queue_size=16")
    student = OBJECTIVES.get("disco").from_config(cfg).student
    assert student.head[0].out_features == 2048 and student.embed_dim == 16  # the teacher's size


def test_compress_refuses_a_teacher_projection_head(tmp_path):
    with pytest.raises(ConfigError, match="teacher.use_head=false"):
        OBJECTIVES.get("compress-2q").from_config(tiny_config(tmp_path, "objective.name=compress-2q"))
