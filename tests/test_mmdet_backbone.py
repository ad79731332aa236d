"""Students in MMDetection: one backbone class in both OpenMMLab registries, the C4 shared head,
`seed convert --to mmdet` loading into MMDetection's own packaged selfsup_pretrain config, and
wrong or truncated files refused by name."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mmdet
import pytest
import torch
import torchvision
from conftest import REPO, run_cli, write_teacher
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm

import downstream.mmdet  # noqa: F401  (registers SeedTIMMBackbone and SeedLastStage)
from downstream.load_report import StudentWeightsError
from downstream.mmdet.convert import convert_checkpoint
from downstream.openmmlab.backbone import SeedTIMMBackbone
from seed.models import CheckpointError

MOCOV2_FPN = Path(mmdet.__file__).parent / ".mim/configs/selfsup_pretrain/mask-rcnn_r50-mocov2-pre_fpn_1x_coco.py"


@pytest.fixture(autouse=True)
def mmdet_default_scope():
    """Build in MMDetection's scope even when an MMSeg config or test of the same process left its scope current."""
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope("mmdet"):
        yield


def torchvision_resnet(path: Path, depth: int = 50) -> torch.nn.Module:
    """A random torchvision ResNet with random BN statistics, saved as a plain state dict."""
    torch.manual_seed(depth)
    network = getattr(torchvision.models, f"resnet{depth}")()
    for name, buffer in network.named_buffers():
        if name.endswith(("running_mean", "running_var")):
            buffer.uniform_(0.5, 1.5)
    torch.save(network.state_dict(), path)
    return network.eval()


def test_mmdet_and_mmseg_register_the_very_same_backbone_class():
    code = ("import downstream.mmdet, downstream.mmseg\n"
            "from mmdet.registry import MODELS as DET\nfrom mmseg.registry import MODELS as SEG\n"
            "from downstream.openmmlab.backbone import SeedTIMMBackbone as B\n"
            "assert DET.get('SeedTIMMBackbone') is B and SEG.get('SeedTIMMBackbone') is B\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


def test_mmdet_integration_does_not_import_mmseg_or_detectron2():
    code = ("import sys, downstream.mmdet, downstream.mmdet.convert, downstream.mmdet.runner\n"
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('mmseg', 'detectron2')]\n"
            "print(heavy); sys.exit(1 if heavy else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]


def test_a_shipped_c4_config_builds_through_custom_imports_and_runs_the_student_per_region():
    code = (
        "import sys, torch\n"
        "from mmengine.config import Config\n"
        "from mmdet.registry import MODELS\n"
        "from mmdet.utils import register_all_modules\n"
        "register_all_modules()\n"
        "assert 'downstream.mmdet' not in sys.modules\n"
        f"cfg = Config.fromfile({str(REPO / 'configs/mmdet/mask-rcnn/mask-rcnn_student-c4_8xb2-1x_coco.py')!r})\n"
        "cfg.model.backbone.init_cfg = cfg.model.roi_head.shared_head.init_cfg = None\n"
        "cfg.model.backbone.model_name = cfg.model.roi_head.shared_head.model_name = 'efficientnet_b0'\n"
        "model = MODELS.build(cfg.model).eval()\n"
        "(c4,) = model.backbone(torch.zeros(1, 3, 64, 64))\n"
        "print(type(model.roi_head.shared_head).__name__, tuple(c4.shape),"
        " tuple(model.roi_head.shared_head(torch.zeros(2, 112, 14, 14)).shape))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                            env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "SeedLastStage (1, 112, 4, 4) (2, 1280, 7, 7)" in result.stdout


@pytest.mark.parametrize("arch", ["resnet18", "efficientnet_b0", "mobilenetv3_large_100"])
def test_the_c4_backbone_holds_only_the_stages_it_runs(arch):
    """Every parameter of the stride-16 backbone gets a gradient: an unrun stage would stop DDP
    (MMDetection's find_unused_parameters is off) and double the last stage the shared head holds."""
    backbone = SeedTIMMBackbone(arch, out_indices=(3,), sync_bn=False)
    (c4,) = backbone(torch.randn(1, 3, 64, 64))
    c4.sum().backward()
    assert [name for name, p in backbone.named_parameters() if p.grad is None] == []
    assert c4.shape[-1] == 4  # stride 16


def test_the_c4_pair_is_exactly_the_student(tmp_path):
    """Backbone to stride 16, then the shared head: the student's own forward_features."""
    student = write_teacher(tmp_path / "student.pth", arch="mobilenetv3_large_100")
    init = dict(type="Pretrained", checkpoint=str(student))
    backbone = MODELS.build(dict(type="SeedTIMMBackbone", model_name="mobilenetv3_large_100", out_indices=(3,),
                                 init_cfg=init))
    head = MODELS.build(dict(type="SeedLastStage", model_name="mobilenetv3_large_100", init_cfg=init))
    backbone.init_weights()
    head.init_weights()
    from seed.models import load_encoder

    reference = load_encoder(student, use_head=False)[0].backbone.eval()
    image = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(head.eval()(backbone.eval()(image)[0]), reference.forward_features(image))


def test_converted_resnet50_loads_into_mmdetections_packaged_mocov2_config_and_matches_torchvision(tmp_path):
    network = torchvision_resnet(tmp_path / "r50.pth")
    report = convert_checkpoint(tmp_path / "r50.pth", tmp_path / "r50_mmdet.pth", arch="resnet50")
    assert "MMDetection's ResNet(depth=50): 318 tensors loaded, 0 missing, 0 unused" in report
    register_all_modules()
    cfg = Config.fromfile(str(MOCOV2_FPN))
    assert cfg.model.backbone.init_cfg.type == "Pretrained"
    cfg.model.backbone.init_cfg.checkpoint = str(tmp_path / "r50_mmdet.pth")  # nothing else changed
    backbone = MODELS.build(cfg.model.backbone)
    backbone.init_weights()  # MMDetection's own PretrainedInit
    theirs = network.state_dict()
    ours = backbone.state_dict()
    weights = [key for key in ours if not key.endswith("num_batches_tracked")]
    assert weights and all(torch.equal(ours[key], theirs[key]) for key in weights)
    backbone = revert_sync_batchnorm(backbone)  # one CPU process
    backbone.eval()  # (MMDetection's ResNet.train returns None, so no chaining)
    image = torch.randn(1, 3, 96, 96)
    with torch.no_grad():
        stages = backbone(image)
        x = network.maxpool(network.relu(network.bn1(network.conv1(image))))
        for layer, stage in zip((network.layer1, network.layer2, network.layer3, network.layer4), stages):
            x = layer(x)
            torch.testing.assert_close(stage, x)


def test_a_wrong_architecture_is_refused_naming_the_file_and_keys(tmp_path):
    torchvision_resnet(tmp_path / "r18.pth", depth=18)
    with pytest.raises(CheckpointError, match=r"r18\.pth.*resnet34.*layer1\.2"):
        convert_checkpoint(tmp_path / "r18.pth", tmp_path / "out.pth", arch="resnet34")
    convert_checkpoint(tmp_path / "r18.pth", tmp_path / "r18_mmdet.pth", arch="resnet18")
    backbone = SeedTIMMBackbone("resnet34", out_indices=(3,),
                                init_cfg=dict(type="Pretrained", checkpoint=str(tmp_path / "r18_mmdet.pth")))
    with pytest.raises(CheckpointError, match=r"r18_mmdet\.pth.*'resnet18'.*resnet34"):
        backbone.init_weights()


def test_a_truncated_file_is_refused_naming_the_file_and_keys(tmp_path):
    torchvision_resnet(tmp_path / "r18.pth", depth=18)
    convert_checkpoint(tmp_path / "r18.pth", tmp_path / "r18_mmdet.pth", arch="resnet18")
    checkpoint = torch.load(tmp_path / "r18_mmdet.pth", weights_only=True)
    checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if not k.startswith("layer4.1.")}
    torch.save(checkpoint, tmp_path / "no_layer4.pth")
    head = MODELS.build(dict(type="SeedLastStage", model_name="resnet18",
                             init_cfg=dict(type="Pretrained", checkpoint=str(tmp_path / "no_layer4.pth"))))
    with pytest.raises(CheckpointError, match=r"no_layer4\.pth.*layer4\.1\.conv1\.weight"):
        head.init_weights()
    data = (tmp_path / "r18_mmdet.pth").read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"cut\.pth"):
        convert_checkpoint(tmp_path / "cut.pth", tmp_path / "out.pth")


def test_the_converter_refuses_a_file_mmdetections_resnet_would_leave_partly_random(tmp_path, monkeypatch):
    torchvision_resnet(tmp_path / "r18.pth", depth=18)
    import downstream.mmdet.convert as convert

    monkeypatch.setattr(convert, "RESNET_DEPTHS", {**convert.RESNET_DEPTHS, "resnet18": 34})
    with pytest.raises(StudentWeightsError, match=r"out\.pth: MMDetection's ResNet\(depth=34\).*layer1\.2"):
        convert_checkpoint(tmp_path / "r18.pth", tmp_path / "out.pth", arch="resnet18")
    assert not (tmp_path / "out.pth").exists()


def test_seed_convert_to_mmdet_reports_every_model_it_checked(tmp_path):
    write_teacher(tmp_path / "student.pth", arch="efficientnet_b0")
    result = run_cli("convert", "--to", "mmdet", str(tmp_path / "student.pth"), str(tmp_path / "out" / "det.pth"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "C4: SeedTIMMBackbone(out_strides=(16,)) + SeedLastStage: 358 tensors loaded, 0 missing, 0 unused" \
        in result.stdout
    assert "FPN: SeedTIMMBackbone(out_strides=(4, 8, 16, 32)): 352 tensors loaded, 0 missing, 6 unused" in result.stdout
