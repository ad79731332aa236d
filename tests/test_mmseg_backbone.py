"""Students as MMSegmentation backbones: built through MMSeg's registry from our configs, the
multi-scale features heads expect, strict weight loading, and `seed convert --to mmseg`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import REPO, run_cli
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import load_checkpoint
from mmseg.registry import MODELS

import downstream.openmmlab.backbone as backbone_module
import downstream.mmseg  # noqa: F401  (registers SeedTIMMBackbone in MMSeg)
from downstream.mmseg.convert import convert_checkpoint
from seed.models import CheckpointError
from seed.models.checkpoints import student_record
from seed.models.encoder import Encoder, backbone_feature_dim, projection_head
from seed.models.pretrained import build_backbone

STUDENTS = ("resnet18", "efficientnet_b0", "mobilenetv3_large_100")
CONFIGS = REPO / "configs" / "segmentation"


@pytest.fixture(autouse=True)
def mmseg_default_scope():
    """Build in MMSeg's scope even when an MMDetection test of the same process left its scope current."""
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope("mmseg"):
        yield


FCN_CONFIG = CONFIGS / "fcn" / "fcn-d16_student_4xb4-30k_voc12aug-512x512.py"  # every student


def write_student(path: Path, arch: str, seed: int = 0) -> dict[str, torch.Tensor]:
    """A random student in our exported format, BN statistics randomised too; returns its backbone state."""
    torch.manual_seed(seed)
    backbone = build_backbone(arch)
    for name, buffer in backbone.named_buffers():
        if name.endswith(("running_mean", "running_var")):
            buffer.uniform_(0.5, 1.5)
    features = backbone_feature_dim(backbone)
    torch.save(student_record(Encoder(backbone, projection_head(features, 32, 16)), arch, {}, {}), path)
    return backbone.state_dict()


def build(arch: str, checkpoint: Path | None = None, **options) -> torch.nn.Module:
    init_cfg = dict(type="Pretrained", checkpoint=str(checkpoint)) if checkpoint else None
    return MODELS.build(dict(type="SeedTIMMBackbone", model_name=arch, out_indices=(1, 2, 3, 4),
                             init_cfg=init_cfg, **options))


def assert_backbone_equals(module: torch.nn.Module, student: dict[str, torch.Tensor]) -> None:
    """Every tensor of a features_only timm model equals the student's tensor of the same name."""
    state = module.state_dict()
    assert state, "empty backbone"
    for key, value in state.items():
        assert torch.equal(value, student[key]), key


def test_a_config_with_custom_imports_finds_the_backbone_in_mmsegs_registry():
    code = (
        "import sys, torch\n"
        "from mmengine.config import Config\n"
        "from mmseg.registry import MODELS\n"
        "assert 'downstream.mmseg' not in sys.modules\n"
        f"cfg = Config.fromfile({str(FCN_CONFIG)!r})\n"
        "cfg.model.backbone.init_cfg = None\n"
        "cfg.model.backbone.model_name = 'resnet18'  # no file to read it from\n"
        "backbone = MODELS.build(cfg.model.backbone)\n"
        "print(type(backbone).__name__, [tuple(f.shape) for f in backbone(torch.zeros(1, 3, 64, 64))])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                            env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    # FCN-16s: the last stage dilated, so strides 4, 8, 16, 16 on a 64 px image
    assert "SeedTIMMBackbone [(1, 64, 16, 16), (1, 128, 8, 8), (1, 256, 4, 4), (1, 512, 4, 4)]" in result.stdout


@pytest.mark.parametrize("arch", STUDENTS)
def test_features_are_four_maps_with_the_channels_and_strides_heads_index(arch):
    image = torch.zeros(1, 3, 64, 64)
    plain, dilated = build(arch), build(arch, output_stride=8)
    channels = plain.timm_model.feature_info.channels()
    def expected(strides):
        return [(1, c, 64 // s, 64 // s) for c, s in zip(channels, strides)]

    assert [tuple(f.shape) for f in plain(image)] == expected((4, 8, 16, 32))
    assert [tuple(f.shape) for f in dilated(image)] == expected((4, 8, 8, 8))


@pytest.mark.parametrize("arch", STUDENTS)
def test_init_cfg_loads_a_student_file_into_the_backbone(tmp_path, arch):
    student = write_student(tmp_path / "student.pth", arch)
    backbone = build(arch, tmp_path / "student.pth")
    backbone.init_weights()
    assert backbone.is_init
    assert_backbone_equals(backbone.timm_model, student)


@pytest.mark.parametrize("arch", STUDENTS)
def test_converted_weights_load_through_a_shipped_config_and_equal_the_students(tmp_path, arch):
    student = write_student(tmp_path / "student.pth", arch)
    report = convert_checkpoint(tmp_path / "student.pth", tmp_path / "mmseg.pth")
    assert "no key missing" in report
    cfg = Config.fromfile(str(FCN_CONFIG))  # the network: the one the converted file records
    cfg.model.backbone.init_cfg.checkpoint = str(tmp_path / "mmseg.pth")
    init_default_scope(cfg.default_scope)  # as mmengine's Runner does: heads and data preprocessor are mmseg's
    segmentor = MODELS.build(cfg.model)
    segmentor.init_weights()
    assert_backbone_equals(segmentor.backbone.timm_model, student)


def test_mmsegs_own_timm_backbone_loads_the_converted_file_strictly(tmp_path):
    student = write_student(tmp_path / "student.pth", "efficientnet_b0")
    convert_checkpoint(tmp_path / "student.pth", tmp_path / "mmseg.pth")
    stock = MODELS.build(dict(type="TIMMBackbone", model_name="efficientnet_b0", pretrained=False))
    load_checkpoint(stock, str(tmp_path / "mmseg.pth"), strict=True, logger="silent")
    assert_backbone_equals(stock.timm_model, student)


def test_the_converter_checks_in_mmsegs_scope_whatever_scope_another_library_left_current(tmp_path):
    from mmengine.registry import DefaultScope

    import downstream.mmdet  # noqa: F401  (MMDetection's registries, as a detection run leaves them)

    write_student(tmp_path / "student.pth", "resnet18")
    with DefaultScope.overwrite_default_scope("mmdet"):
        report = convert_checkpoint(tmp_path / "student.pth", tmp_path / "mmseg.pth")
        assert DefaultScope.get_current_instance().scope_name == "mmdet"  # the caller's scope is given back
    assert "strict load_checkpoint" in report


def test_a_moco_layout_file_converts_once_its_architecture_is_named(tmp_path):
    student = write_student(tmp_path / "student.pth", "resnet18")
    moco = {"state_dict": {f"module.encoder_q.{k}": v for k, v in student.items()}
            | {"module.encoder_q.fc.0.weight": torch.zeros(16, 512), "module.encoder_q.fc.0.bias": torch.zeros(16)}}
    torch.save(moco, tmp_path / "moco.pth.tar")
    with pytest.raises(CheckpointError, match="does not record its architecture"):
        convert_checkpoint(tmp_path / "moco.pth.tar", tmp_path / "mmseg.pth")
    report = convert_checkpoint(tmp_path / "moco.pth.tar", tmp_path / "mmseg.pth", arch="resnet18")
    assert "layout moco" in report
    backbone = build("resnet18", tmp_path / "mmseg.pth")
    backbone.init_weights()
    assert_backbone_equals(backbone.timm_model, student)


def test_a_checkpoint_of_another_architecture_is_refused(tmp_path):
    write_student(tmp_path / "resnet18.pth", "resnet18")
    convert_checkpoint(tmp_path / "resnet18.pth", tmp_path / "resnet18_mmseg.pth")
    for checkpoint in ("resnet18.pth", "resnet18_mmseg.pth"):
        with pytest.raises(CheckpointError, match="'resnet18'.*'efficientnet_b0'"):
            build("efficientnet_b0", tmp_path / checkpoint).init_weights()
    with pytest.raises(CheckpointError, match="'resnet18'.*'efficientnet_b0'"):
        convert_checkpoint(tmp_path / "resnet18.pth", tmp_path / "out.pth", arch="efficientnet_b0")
    assert not (tmp_path / "out.pth").exists()
    state = torch.load(tmp_path / "resnet18.pth", weights_only=True)["backbone"]
    torch.save({"state_dict": {f"module.encoder_q.{k}": v for k, v in state.items()}}, tmp_path / "moco.pth.tar")
    with pytest.raises(CheckpointError, match="missing keys: layer1.2"):  # a ResNet-18 file is no ResNet-34
        convert_checkpoint(tmp_path / "moco.pth.tar", tmp_path / "out.pth", arch="resnet34")


def test_a_converted_file_with_a_missing_or_unexpected_key_is_refused(tmp_path):
    write_student(tmp_path / "student.pth", "mobilenetv3_large_100")
    convert_checkpoint(tmp_path / "student.pth", tmp_path / "mmseg.pth")
    converted = torch.load(tmp_path / "mmseg.pth", weights_only=True)
    missing = {**converted, "state_dict": dict(converted["state_dict"])}
    del missing["state_dict"]["timm_model.blocks.6.0.bn1.running_var"]
    torch.save(missing, tmp_path / "missing.pth")
    with pytest.raises(CheckpointError, match="missing keys: blocks.6.0.bn1.running_var"):
        build("mobilenetv3_large_100", tmp_path / "missing.pth").init_weights()
    unexpected = {**converted, "state_dict": {**converted["state_dict"], "timm_model.extra.weight": torch.ones(1)}}
    torch.save(unexpected, tmp_path / "unexpected.pth")
    with pytest.raises(CheckpointError, match="unexpected keys: extra.weight"):
        build("mobilenetv3_large_100", tmp_path / "unexpected.pth").init_weights()


def test_download_options_and_unknown_init_cfg_keys_are_refused():
    with pytest.raises(ValueError, match="pretrained is not an option"):
        build("resnet18", pretrained=True)
    with pytest.raises(ValueError, match=r"unknown keys \['prefix'\]"):
        MODELS.build(dict(type="SeedTIMMBackbone", model_name="resnet18",
                          init_cfg=dict(type="Pretrained", checkpoint="x.pth", prefix="backbone.")))


def test_sync_bn_under_ddp_keeps_the_activation_of_timms_fused_bn_act(monkeypatch):
    torch.manual_seed(0)
    reference = build("mobilenetv3_large_100", sync_bn=True).eval()  # not distributed: left as is
    monkeypatch.setattr(backbone_module, "is_distributed", lambda: True)
    synced = build("mobilenetv3_large_100", sync_bn=True).eval()
    synced.load_state_dict(reference.state_dict())
    assert any(isinstance(m, torch.nn.SyncBatchNorm) for m in synced.modules())
    assert not any(isinstance(m, torch.nn.SyncBatchNorm) for m in reference.modules())
    image = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for ours, theirs in zip(synced(image), reference(image)):
            torch.testing.assert_close(ours, theirs)


def test_seed_convert_to_mmseg_writes_a_file_the_backbone_loads(tmp_path):
    student = write_student(tmp_path / "student.pth", "efficientnet_b0")
    result = run_cli("convert", "--to", "mmseg", str(tmp_path / "student.pth"), str(tmp_path / "out" / "mmseg.pth"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "no key missing" in result.stdout and "conv_head.weight" in result.stdout
    backbone = build("efficientnet_b0", tmp_path / "out" / "mmseg.pth")
    backbone.init_weights()
    assert_backbone_equals(backbone.timm_model, student)


def test_the_convert_tool_refuses_a_wrong_architecture_by_name(tmp_path):
    write_student(tmp_path / "student.pth", "resnet18")
    result = subprocess.run([sys.executable, str(REPO / "tools" / "convert_to_mmseg.py"), str(tmp_path / "student.pth"),
                             str(tmp_path / "mmseg.pth"), "--arch", "mobilenetv3_large_100"],
                            capture_output=True, text=True, cwd=REPO, timeout=300,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode != 0
    assert "CheckpointError" in result.stderr and "holds a 'resnet18' network" in result.stderr
    assert not (tmp_path / "mmseg.pth").exists()


@pytest.mark.parametrize("config", sorted(CONFIGS.glob("*/*.py")), ids=lambda path: path.stem)
def test_every_shipped_config_builds_a_segmentor_whose_heads_fit_the_student(config):
    cfg = Config.fromfile(str(config))
    cfg.model.backbone.init_cfg = None  # random weights (so the network is named): this is about shapes
    cfg.model.backbone.model_name = "vit_tiny_patch16_224" if "vit-student" in config.stem else "efficientnet_b0"
    init_default_scope(cfg.default_scope)
    segmentor = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        logits = segmentor.encode_decode(torch.zeros(1, 3, 64, 64), [dict(img_shape=(64, 64), pad_shape=(64, 64),
                                                                         ori_shape=(64, 64))])
    assert logits.shape == (1, cfg.model.decode_head.num_classes, 64, 64)
    assert cfg.seed_record.protocol.startswith("segmentation-") and cfg.seed_record.dataset in config.stem
