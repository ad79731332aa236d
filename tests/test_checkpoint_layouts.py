"""Every published teacher layout loads from a file written in that layout; wrong files fail loudly."""
from __future__ import annotations

import argparse

import pytest
import torch
from torch import nn

from seed.config import TeacherConfig
from seed.models import CheckpointError, build_teacher, load_encoder
from seed.models.layouts import (LAYOUTS, Layout, Weights, detect_layout, detection_order, load_checkpoint_weights,
                                 register_layout)
from seed.models.pretrained import build_backbone
from seed.registry import Registry


@pytest.fixture(scope="module")
def resnet50_state():
    torch.manual_seed(0)
    return build_backbone("resnet50").state_dict()


def mlp_state(sizes, bn=False, gelu=False):
    """nn.Sequential state dict of Linear(+BN)+act ... Linear, as the published heads store them."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            if bn:
                layers.append(nn.BatchNorm1d(b))
            layers.append(nn.GELU() if gelu else nn.ReLU())
    return nn.Sequential(*layers).state_dict()


def prefixed(state, prefix):
    return {prefix + k: v for k, v in state.items()}


def moco_v2(backbone):
    state = {**prefixed(backbone, "module.encoder_q."), **prefixed(mlp_state([2048, 2048, 128]), "module.encoder_q.fc.")}
    state.update(prefixed(backbone, "module.encoder_k."))
    state["module.queue"] = torch.randn(128, 16)
    return {"epoch": 200, "arch": "resnet50", "state_dict": state, "optimizer": {}}


def moco_v1(backbone):
    head = nn.Linear(2048, 128).state_dict()
    return {"state_dict": {**prefixed(backbone, "module.encoder_q."), **prefixed(head, "module.encoder_q.fc.")}}


def swav(backbone):
    state = {**prefixed(backbone, "module."), **prefixed(mlp_state([2048, 64, 128], bn=True), "module.projection_head.")}
    state["module.prototypes.weight"] = torch.randn(3000, 128)
    return state


def simclr(backbone):
    return {"state_dict": {**backbone, "fc.weight": torch.randn(1000, 2048), "fc.bias": torch.randn(1000)}}


def dino(backbone):
    head = {**prefixed(mlp_state([2048, 64, 64, 32], gelu=True), "head.mlp."),
            "head.last_layer.weight_g": torch.ones(100, 1), "head.last_layer.weight_v": torch.randn(100, 32)}
    teacher = {**prefixed(backbone, "backbone."), **head}
    student = {**prefixed(backbone, "module.backbone."), **prefixed(head, "module.")}
    return {"teacher": teacher, "student": student, "epoch": 100, "args": argparse.Namespace(arch="resnet50")}


def torchvision_plain(backbone):
    return {**backbone, "fc.weight": torch.randn(1000, 2048), "fc.bias": torch.randn(1000)}


LAYOUT_FILES = {  # layout -> (writer, embedding size)
    "moco": (moco_v2, 128),
    "swav": (swav, 128),
    "simclr": (simclr, 2048),
    "dino": (dino, 32),
    "torchvision": (torchvision_plain, 2048),
}


@pytest.mark.parametrize("layout", sorted(LAYOUT_FILES))
def test_each_layout_is_detected_and_loads_strictly(tmp_path, resnet50_state, layout):
    writer, embed_dim = LAYOUT_FILES[layout]
    path = tmp_path / f"{layout}.pth"
    torch.save(writer(resnet50_state), path)
    weights, detected = load_checkpoint_weights(path)
    assert detected.name == layout
    encoder, _ = load_encoder(path, arch="resnet50")
    assert encoder.embed_dim == embed_dim
    for key, value in resnet50_state.items():  # the backbone weights really are the file's
        assert torch.equal(encoder.backbone.state_dict()[key], value), key


def test_moco_v1_single_linear_head_loads(tmp_path, resnet50_state):
    torch.save(moco_v1(resnet50_state), tmp_path / "v1.pth")
    encoder, layout = load_encoder(tmp_path / "v1.pth", arch="resnet50")
    assert layout.name == "moco" and encoder.embed_dim == 128


def test_swav_head_keeps_its_batchnorm_and_drops_prototypes(tmp_path, resnet50_state):
    torch.save(swav(resnet50_state), tmp_path / "swav.pth")
    encoder, _ = load_encoder(tmp_path / "swav.pth", arch="resnet50")
    assert [type(m).__name__ for m in encoder.head] == ["Linear", "BatchNorm1d", "ReLU", "Linear"]
    assert "prototypes" not in str(list(encoder.state_dict()))


def test_dino_student_branch_is_available_by_name(tmp_path, resnet50_state):
    torch.save(dino(resnet50_state), tmp_path / "dino.pth")
    encoder, layout = load_encoder(tmp_path / "dino.pth", arch="resnet50", layout="dino-student")
    assert layout.name == "dino-student" and isinstance(encoder.head[1], nn.GELU)


def test_missing_backbone_key_names_file_layout_and_key(tmp_path, resnet50_state):
    state = moco_v2(resnet50_state)
    del state["state_dict"]["module.encoder_q.layer2.0.conv1.weight"]
    torch.save(state, tmp_path / "broken.pth")
    with pytest.raises(CheckpointError) as error:
        load_encoder(tmp_path / "broken.pth", arch="resnet50")
    message = str(error.value)
    assert "broken.pth" in message and "'moco'" in message and "layer2.0.conv1.weight" in message
    assert "missing" in message


def test_unexpected_key_is_refused(tmp_path, resnet50_state):
    torch.save(torchvision_plain({**resnet50_state, "layer5.0.conv1.weight": torch.zeros(1)}), tmp_path / "extra.pth")
    with pytest.raises(CheckpointError, match="unexpected keys: layer5.0.conv1.weight"):
        load_encoder(tmp_path / "extra.pth", arch="resnet50")


def test_resnet101_checkpoint_given_as_resnet50_is_refused(tmp_path):
    torch.save(torchvision_plain(build_backbone("resnet101").state_dict()), tmp_path / "r101.pth")
    with pytest.raises(CheckpointError, match=r"do not fit architecture 'resnet50'.*unexpected keys: layer3\.6"):
        load_encoder(tmp_path / "r101.pth", arch="resnet50")


def test_wide_resnet_checkpoint_needs_the_wide_architecture(tmp_path):
    wide = build_backbone("resnet50w2")
    assert wide.conv1.out_channels == 128 and wide.num_features == 4096  # SwAV's w2: stem widened too
    torch.save(swav(build_backbone("resnet50").state_dict()), tmp_path / "r50.pth")
    with pytest.raises(CheckpointError, match="shape mismatch"):
        load_encoder(tmp_path / "r50.pth", arch="resnet50w2")


def test_unknown_file_layout_lists_the_layouts(tmp_path):
    torch.save({"something": {"else": 1}}, tmp_path / "odd.pth")
    with pytest.raises(CheckpointError, match="no known checkpoint layout.*moco"):
        load_checkpoint_weights(tmp_path / "odd.pth")


def test_non_checkpoint_file_is_named(tmp_path):
    (tmp_path / "notes.pth").write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match="notes.pth: not a PyTorch checkpoint"):
        load_checkpoint_weights(tmp_path / "notes.pth")


def test_teacher_without_checkpoint_never_starts_random():
    with pytest.raises(CheckpointError, match="teacher.checkpoint is not set"):
        build_teacher(TeacherConfig(arch="resnet50", checkpoint=None))


def test_published_layout_needs_the_architecture_named(tmp_path, resnet50_state):
    torch.save(moco_v1(resnet50_state), tmp_path / "moco.pth")  # MoCo v1 files record no `arch`
    with pytest.raises(CheckpointError, match="does not record its architecture"):
        build_teacher(TeacherConfig(checkpoint=str(tmp_path / "moco.pth")))


def test_a_moco_file_recording_its_arch_needs_none_named(tmp_path, resnet50_state):
    torch.save(moco_v2(resnet50_state), tmp_path / "moco_v2.pth")  # main_moco.py saves "arch": "resnet50"
    teacher = build_teacher(TeacherConfig(checkpoint=str(tmp_path / "moco_v2.pth")))
    assert teacher.encoder.arch == "resnet50" and teacher.embed_dim == 128


def test_teacher_is_frozen_in_eval_mode_without_autograd(tmp_path, resnet50_state):
    torch.save(moco_v2(resnet50_state), tmp_path / "moco.pth")
    teacher = build_teacher(TeacherConfig(arch="resnet50", checkpoint=str(tmp_path / "moco.pth")))
    teacher.train()
    assert not teacher.training and not any(m.training for m in teacher.modules())
    assert not any(p.requires_grad for p in teacher.parameters())
    out = teacher(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 128) and not out.requires_grad


# --- detection order -----------------------------------------------------------------------


def toy_layout(name: str, priority: int | None, detect) -> Layout:
    return Layout(name, f"toy {name}", detect, lambda c: Weights(c), priority)


@pytest.mark.parametrize("registration", [("general", "specific"), ("specific", "general")])
def test_a_file_two_layouts_recognise_goes_to_the_lower_priority_whatever_the_registration_order(registration):
    layouts = {"specific": toy_layout("specific", 10, lambda c: "x" in c),
               "general": toy_layout("general", 20, lambda c: isinstance(c, dict))}
    registry = Registry("checkpoint layout")
    for name in registration:
        register_layout(layouts[name], registry)
    assert detect_layout({"x": 1}, "f.pth", registry).name == "specific"
    assert detect_layout({"y": 1}, "f.pth", registry).name == "general"
    assert [layout.name for layout in detection_order(registry)] == ["specific", "general"]


def test_two_layouts_cannot_share_a_priority():
    registry = Registry("checkpoint layout")
    register_layout(toy_layout("a", 10, bool), registry)
    with pytest.raises(ValueError, match="priority 10 is 'a'"):
        register_layout(toy_layout("b", 10, bool), registry)


def test_a_layout_without_priority_is_chosen_by_name_only():
    assert "dino-student" in LAYOUTS and "dino-student" not in [layout.name for layout in detection_order()]


def vit_keys(prefix: str = "") -> dict:
    state = {"cls_token": torch.zeros(1, 1, 8), "pos_embed": torch.zeros(1, 5, 8),
             "patch_embed.proj.weight": torch.zeros(8, 3, 2, 2)}
    return {prefix + key: value for key, value in state.items()}


@pytest.mark.parametrize("ckpt,expected,also", [
    (vit_keys(), "dino-vit", "torchvision"),  # a flat DINO ViT is also a flat state dict
    ({**vit_keys(), "mask_token": torch.zeros(1, 8)}, "dinov2", "torchvision"),
    ({"teacher": {**vit_keys("backbone."), "backbone.mask_token": torch.zeros(1, 8)}, "student": {}},
     "dinov2", "dino"),  # a DINOv2 training checkpoint has DINO's teacher and student dicts too
], ids=["dino-vit", "dinov2-flat", "dinov2-training"])
def test_published_files_that_two_layouts_recognise_resolve_by_priority(ckpt, expected, also):
    recognising = [layout.name for layout in detection_order() if layout.detect(ckpt)]
    assert recognising == [expected, also]
    assert detect_layout(ckpt, "f.pth").name == expected
