"""Students: the tested timm architectures with the official SEED projection head."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from seed.config import StudentConfig
from seed.models import build_student

FEATURES = {"efficientnet_b0": 1280, "efficientnet_b1": 1280, "mobilenetv3_large_100": 1280,
            "resnet18": 512, "resnet34": 512, "resnet50": 2048}


@pytest.mark.parametrize("arch", sorted(FEATURES))
def test_student_has_backbone_features_and_the_seed_head(arch):
    student = build_student(StudentConfig(arch=arch), embed_dim=128)
    d = FEATURES[arch]
    assert student.feature_dim == d and student.embed_dim == 128
    assert [type(m) for m in student.head] == [nn.Linear, nn.ReLU, nn.Linear]
    assert (student.head[0].in_features, student.head[0].out_features, student.head[2].out_features) == (d, d, 128)
    student.eval()
    assert student(torch.randn(2, 3, 64, 64)).shape == (2, 128)


def test_hidden_size_is_configurable_for_a_wider_bottleneck():
    student = build_student(StudentConfig(arch="resnet18", hidden_dim=2048), embed_dim=128)
    assert student.head[0].out_features == 2048 and student.head[2].in_features == 2048


def test_unknown_student_is_a_named_error():
    with pytest.raises(KeyError, match="student.arch.*not_a_model"):
        build_student(StudentConfig(arch="not_a_model"), embed_dim=128)
