"""Student checkpoint -> Detectron2 checkpoint: the weights inside the Detectron2 model are the student's."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest
import timm
import torch
from conftest import REPO, write_teacher
from detectron2.modeling import build_model

from downstream.detectron2.checkpoint import StudentWeightsError, load_weights
from downstream.detectron2.config import model_config
from downstream.detectron2.convert import convert_checkpoint
from downstream.detectron2.families import detectron2_resnet_name
from seed.models import CheckpointError, load_encoder

ARCHS = ["resnet18", "efficientnet_b0", "mobilenetv3_large_100", "mobilenetv3_large_seed"]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """arch -> (student file, converted .pkl, conversion report), written once for the module."""
    folder = tmp_path_factory.mktemp("students")
    files = {}
    for index, arch in enumerate(ARCHS):
        student = write_teacher(folder / f"{arch}.pth", arch=arch, seed=index)
        destination = folder / f"{arch}_d2.pkl"
        files[arch] = (student, destination, convert_checkpoint(student, destination))
    return files


def student_backbone(path, arch: str) -> torch.nn.Module:
    encoder, _ = load_encoder(path, arch=arch)
    return encoder.backbone.eval()


@pytest.fixture(scope="module")
def loaded_model(converted):
    """(arch, variant) -> the Detectron2 model with the converted student loaded, in eval mode; built once."""
    models = {}

    def get(arch: str, variant: str) -> torch.nn.Module:
        if (arch, variant) not in models:
            model = build_model(model_config(arch, variant))
            report = load_weights(model, converted[arch][1])
            assert not report.missing
            models[arch, variant] = model.eval()
        return models[arch, variant]

    return get


def places_in_c4_model(arch: str, key: str) -> list[str]:
    """Where a student tensor may sit in the C4 model: the backbone, or the last stage in the ROI head."""
    if arch.startswith("resnet"):
        name = detectron2_resnet_name(key)  # res5 lives in the ROI head, as in Detectron2's C4
        return [("roi_heads." if name.startswith("res5.") else "backbone.") + name]
    return [f"backbone.student.{key}", f"roi_heads.res5.0.student.{key}"]


@pytest.mark.parametrize("arch", ARCHS)
def test_round_trip_the_c4_model_holds_the_students_weights(converted, loaded_model, arch):
    student = student_backbone(converted[arch][0], arch)
    state = loaded_model(arch, "c4").state_dict()
    left_out = []
    for key, value in student.state_dict().items():
        places = [place for place in places_in_c4_model(arch, key) if place in state]
        if not places:
            left_out.append(key)
            continue
        assert len(places) == 1, places
        assert torch.equal(state[places[0]], value), key
    # only MobileNetV3's pre-logits conv, which runs after pooling, has no place in a detector
    assert left_out == (["conv_head.weight", "conv_head.bias"] if arch.startswith("mobilenetv3") else [])


@pytest.mark.parametrize("arch", ARCHS)
def test_round_trip_backbone_plus_last_stage_compute_the_students_features(converted, loaded_model, arch):
    student = student_backbone(converted[arch][0], arch)
    model = loaded_model(arch, "c4")
    image = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        res4 = model.backbone(image)["res4"]
        last = model.roi_heads.res5[:-1](res4)  # the student's last stage, without the extra norm
        expected = student.forward_features(image)
    index = [i for i, info in enumerate(student.feature_info) if info["reduction"] == 16][-1]
    with torch.no_grad():
        expected_res4 = student.forward_intermediates(image, indices=[index], intermediates_only=True)[0]
    torch.testing.assert_close(res4, expected_res4, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(last, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("arch", ARCHS)
def test_round_trip_the_fpn_bottom_up_network_is_the_student(converted, loaded_model, arch):
    student = student_backbone(converted[arch][0], arch)
    features = timm.create_model(arch, features_only=True, out_indices=(1, 2, 3, 4)).eval()
    features.load_state_dict({k: v for k, v in student.state_dict().items() if k in features.state_dict()})
    model = loaded_model(arch, "fpn")
    image = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        ours = model.backbone.bottom_up(image)
        theirs = features(image)
    for name, expected in zip(["res2", "res3", "res4", "res5"], theirs):
        torch.testing.assert_close(ours[name], expected, rtol=1e-4, atol=1e-4)


def test_the_file_is_detectron2_model_zoo_format_without_the_projection_head(converted):
    _, weights, _ = converted["efficientnet_b0"]
    with open(weights, "rb") as handle:
        checkpoint = pickle.load(handle)
    assert checkpoint["__author__"] and checkpoint["matching_heuristics"] is True
    assert checkpoint["seed"]["arch"] == "efficientnet_b0"
    assert all(key.startswith("student.") for key in checkpoint["model"])
    assert not any(".head." in key or key.startswith(("student.classifier", "student.fc"))
                   for key in checkpoint["model"])
    _, resnet, _ = converted["resnet18"]
    with open(resnet, "rb") as handle:
        names = set(pickle.load(handle)["model"])
    assert {"stem.conv1.weight", "stem.conv1.norm.running_var", "res2.0.conv1.weight",
            "res3.0.shortcut.weight", "res5.1.conv2.norm.bias"} <= names


def test_the_report_says_both_models_were_checked(converted):
    for arch in ARCHS:
        report = converted[arch][2]
        assert report.count("checked with Detectron2's DetectionCheckpointer") == 2
        assert "C4 model" in report and "FPN model" in report and "0 missing" in report
    assert "0 unused" in converted["resnet18"][2]


def test_a_pth_destination_loads_the_same(converted, tmp_path):
    student_file, _, _ = converted["resnet18"]
    destination = tmp_path / "r18.pth"
    convert_checkpoint(student_file, destination)
    checkpoint = torch.load(destination, weights_only=True)
    assert checkpoint["matching_heuristics"] is True and "stem.conv1.weight" in checkpoint["model"]


def test_a_checkpoint_of_another_architecture_is_refused(converted, tmp_path):
    student_file, _, _ = converted["resnet18"]
    with pytest.raises(CheckpointError, match="resnet18.*resnet34"):
        convert_checkpoint(student_file, tmp_path / "out.pkl", arch="resnet34")
    assert not (tmp_path / "out.pkl").exists()


def test_a_moco_checkpoint_converts_when_its_architecture_is_named(tmp_path):
    backbone = timm.create_model("resnet18", num_classes=0)
    state = {f"module.encoder_q.{k}": v for k, v in backbone.state_dict().items()}
    state |= {"module.encoder_q.fc.0.weight": torch.randn(512, 512), "module.encoder_q.fc.0.bias": torch.zeros(512),
              "module.encoder_q.fc.2.weight": torch.randn(128, 512), "module.encoder_q.fc.2.bias": torch.zeros(128)}
    source = tmp_path / "moco.pth.tar"
    torch.save({"state_dict": state, "epoch": 200}, source)
    with pytest.raises(CheckpointError, match="does not record its architecture"):
        convert_checkpoint(source, tmp_path / "moco.pkl")
    with pytest.raises(CheckpointError, match="efficientnet_b0"):
        convert_checkpoint(source, tmp_path / "moco.pkl", arch="efficientnet_b0")
    report = convert_checkpoint(source, tmp_path / "moco.pkl", arch="resnet18")
    assert "layout 'moco'" in report and "projection head (4 tensors)" in report


def test_training_refuses_a_file_converted_for_another_student(converted):
    _, weights, _ = converted["resnet18"]
    model = build_model(model_config("resnet34", "c4"))
    with pytest.raises(StudentWeightsError, match="'resnet18' student"):
        load_weights(model, weights).raise_if_missing("student")
    _, weights, _ = converted["efficientnet_b0"]
    model = build_model(model_config("mobilenetv3_large_100", "fpn"))
    with pytest.raises(StudentWeightsError, match="backbone.bottom_up.student"):
        load_weights(model, weights).raise_if_missing("student")


def test_a_destination_that_is_not_pkl_or_pth_or_is_the_source_is_refused(converted, tmp_path):
    student_file, _, _ = converted["resnet18"]
    with pytest.raises(ValueError, match=r"\.pkl or \.pth"):
        convert_checkpoint(student_file, tmp_path / "out.pt")
    with pytest.raises(ValueError, match="student checkpoint itself"):
        convert_checkpoint(student_file, student_file)


def test_a_timm_model_without_a_stride_pyramid_is_refused_and_nothing_is_written(tmp_path):
    student = write_teacher(tmp_path / "vit.pth", arch="eva02_tiny_patch14_224")  # ViTDet's pyramid needs patch 16
    with pytest.raises(ValueError, match="stride-16 map"):
        convert_checkpoint(student, tmp_path / "vit.pkl")
    assert [p.name for p in tmp_path.iterdir()] == ["vit.pth"]


def test_the_tool_is_seed_convert_to_d2(converted, tmp_path):
    student_file, _, _ = converted["mobilenetv3_large_100"]
    result = subprocess.run([sys.executable, str(REPO / "tools" / "convert_to_d2.py"), str(student_file),
                             str(tmp_path / "mv3.pkl")], capture_output=True, text=True, cwd=REPO,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "C4 model (build_timm_backbone + LastStageROIHeads)" in result.stdout
    assert "0 missing, 0 unused" in result.stdout
    assert (tmp_path / "mv3.pkl").is_file()
