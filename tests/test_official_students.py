"""The official SEED students load exactly: files saved as jacobswan1/SEED saves them, from the
authors' module definitions (tests/official_archs.py), compute the same features through our loader."""
from __future__ import annotations

import copy
import json

import pytest
import timm
import torch
import torchvision
from conftest import run_cli
from eval_fixtures import write_imagenet_folder
from official_archs import seed_checkpoint
from torch import nn

from seed.models import CheckpointError, load_checkpoint_weights, load_encoder
from seed.models.official_students import StaticSameConv2d

OURS = {"efficientnet_b0": "tf_efficientnet_b0_seed", "efficientnet_b1": "tf_efficientnet_b1_seed",
        "mobilenetv3_large": "mobilenetv3_large_seed"}
FAST = ["features.image_size=32", "features.resize=32", "features.workers=0", "features.batch_size=16"]


@pytest.fixture(scope="module")
def official(tmp_path_factory):
    """official arch -> (checkpoint file, the authors' student module in eval mode), written once."""
    folder = tmp_path_factory.mktemp("official")
    return {arch: (folder / f"{arch}.pth.tar", seed_checkpoint(arch, folder / f"{arch}.pth.tar", seed=index))
            for index, arch in enumerate(OURS)}


def relative_error(ours: torch.Tensor, theirs: torch.Tensor) -> float:
    return float((ours - theirs).norm() / theirs.norm())


@pytest.mark.parametrize("arch,size", [("efficientnet_b0", 224), ("efficientnet_b1", 224), ("efficientnet_b1", 240),
                                       ("mobilenetv3_large", 224)])
def test_the_loaded_student_computes_the_authors_features_and_embedding(official, arch, size):
    path, theirs = official[arch]
    encoder, layout = load_encoder(path)  # no architecture named: the file's `arch` field says it
    assert layout.name == "seed-official" and encoder.arch == OURS[arch]
    # float64 on both sides, so the tolerance judges the function rather than float32 rounding
    encoder, theirs = encoder.eval().double(), copy.deepcopy(theirs).double()
    images = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(size), dtype=torch.float64)
    with torch.no_grad():
        assert relative_error(encoder.backbone(images), theirs.pooled(images)) <= 1e-5
        assert relative_error(encoder(images), theirs(images)) <= 1e-5


def test_timms_dynamic_tf_same_padding_would_not_compute_the_authors_b1_at_224(official):
    path, theirs = official["efficientnet_b1"]
    weights, _ = load_checkpoint_weights(path)
    plain = timm.create_model("tf_efficientnet_b1", num_classes=0).double().eval()
    plain.load_state_dict(weights.backbone)
    images = torch.randn(1, 3, 224, 224, dtype=torch.float64)
    with torch.no_grad():
        assert relative_error(plain(images), copy.deepcopy(theirs).double().pooled(images)) > 1e-3


def test_efficientnet_b1_pads_for_240_pixels_even_at_224():
    """lukemelas pads statically for the model's image size: at 224 px B1's stage-6 5x5 stride-2
    depthwise conv pads (2, 2, 2, 2) where TF-same would pad (1, 2, 1, 2); every other conv agrees."""
    model = timm.create_model("tf_efficientnet_b1_seed", num_classes=0)
    pads = {name: m.static_pad for name, m in model.named_modules() if isinstance(m, StaticSameConv2d)}
    assert pads == {"conv_stem": (0, 1, 0, 1), "blocks.1.0.conv_dw": (0, 1, 0, 1), "blocks.2.0.conv_dw": (1, 2, 1, 2),
                    "blocks.3.0.conv_dw": (0, 1, 0, 1), "blocks.5.0.conv_dw": (2, 2, 2, 2)}


def test_the_authors_students_have_no_weights_to_download():
    with pytest.raises(ValueError, match="mobilenetv3_large_seed has no timm weights"):
        timm.create_model("mobilenetv3_large_seed", pretrained=True)


@pytest.mark.parametrize("arch", sorted(OURS))
def test_a_file_without_an_arch_field_is_recognised_by_its_keys(official, tmp_path, arch):
    path, _ = official[arch]
    seed_checkpoint(arch, tmp_path / "bare.pth.tar", seed=list(OURS).index(arch), record_arch=False)
    recorded, _ = load_checkpoint_weights(path)
    bare, layout = load_checkpoint_weights(tmp_path / "bare.pth.tar")
    assert layout.name == "seed-official" and bare.arch == OURS[arch]
    assert bare.backbone.keys() == recorded.backbone.keys()
    assert all(torch.equal(bare.backbone[k], recorded.backbone[k]) for k in bare.backbone)


def test_an_arch_field_that_contradicts_the_keys_is_refused_naming_the_file(official, tmp_path):
    checkpoint = torch.load(official["mobilenetv3_large"][0], weights_only=True)
    checkpoint["arch"] = "efficientnet_b0"
    torch.save(checkpoint, tmp_path / "mislabelled.pth.tar")
    with pytest.raises(CheckpointError, match=r"mislabelled\.pth\.tar.*seed-official.*features\."):
        load_encoder(tmp_path / "mislabelled.pth.tar")


def test_an_official_student_asked_for_as_another_architecture_is_refused(official):
    with pytest.raises(CheckpointError, match="tf_efficientnet_b0_seed.*efficientnet_b0"):
        load_encoder(official["efficientnet_b0"][0], arch="efficientnet_b0")


def write_moco_v2(path, arch: str = "resnet18", dim: int = 128):
    """MoCo v2 as facebookresearch/moco builds and saves it: torchvision encoders with an MLP fc,
    DDP-wrapped, `arch` recorded by main_moco.py."""
    class MoCo(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder_q = torchvision.models.__dict__[arch](num_classes=dim)
            self.encoder_k = torchvision.models.__dict__[arch](num_classes=dim)
            for encoder in (self.encoder_q, self.encoder_k):
                hidden = encoder.fc.weight.shape[1]
                encoder.fc = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), encoder.fc)
            self.register_buffer("queue", torch.randn(dim, 16))

    model = nn.DataParallel(MoCo())
    torch.save({"epoch": 200, "arch": arch, "state_dict": model.state_dict(), "optimizer": {}}, path)
    return model.module.encoder_q.eval()


def test_a_moco_v2_file_loads_as_the_architecture_it_records(tmp_path):
    theirs = write_moco_v2(tmp_path / "moco_v2_200ep_pretrain.pth.tar")
    encoder, layout = load_encoder(tmp_path / "moco_v2_200ep_pretrain.pth.tar")
    assert layout.name == "moco" and encoder.arch == "resnet18"
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert relative_error(encoder.eval()(images), theirs(images)) <= 1e-5


@pytest.mark.slow
def test_eval_knn_and_convert_to_d2_need_no_architecture(official, tmp_path):
    """`seed eval knn --model FILE` and `seed convert --to d2 FILE OUT` on an official SEED
    EfficientNet-B0 file and on a MoCo v2 file, naming no architecture."""
    write_imagenet_folder(tmp_path / "imagenet", classes=2, train_per_class=3, val_per_class=2)
    moco = tmp_path / "moco_v2_200ep_pretrain.pth.tar"
    write_moco_v2(moco)
    for name, path, arch in (("seed", official["efficientnet_b0"][0], "tf_efficientnet_b0_seed"),
                             ("moco", moco, "resnet18")):
        knn = run_cli("eval", "knn", "--model", str(path), "--data", str(tmp_path / "imagenet"), "--name", name,
                      "--output", str(tmp_path / "results"), f"features.cache_dir={tmp_path / 'cache'}", *FAST,
                      "knn.ks=[3]")
        assert knn.returncode == 0, knn.stderr[-2000:]
        record = json.loads((tmp_path / "results" / f"{name}__knn__imagenet__val.json").read_text())
        assert record["checkpoint"] == str(path)
        converted = run_cli("convert", "--to", "d2", str(path), str(tmp_path / f"{name}.pkl"))
        assert converted.returncode == 0, converted.stderr[-2000:]
        assert f"{arch} student" in converted.stdout and "FPN model" in converted.stdout


def test_the_authors_mobilenetv3_converts_for_detectron2_and_mmseg_and_keeps_their_features(official, tmp_path):
    """`seed convert --to d2|mmseg` on the official file, no architecture named; the MMSeg backbone's
    last map is the authors' `conv(features(x))`."""
    from mmseg.registry import MODELS

    from downstream.detectron2.convert import convert_checkpoint as to_d2
    from downstream.mmseg.convert import convert_checkpoint as to_mmseg

    path, theirs = official["mobilenetv3_large"]
    report = to_d2(path, tmp_path / "mv3.pkl")
    assert "mobilenetv3_large_seed student" in report and "C4 model" in report and "FPN model" in report
    to_mmseg(path, tmp_path / "mv3_mmseg.pth")
    backbone = MODELS.build(dict(type="SeedTIMMBackbone", model_name="mobilenetv3_large_seed",
                                 init_cfg=dict(type="Pretrained", checkpoint=str(tmp_path / "mv3_mmseg.pth"))))
    backbone.init_weights()
    images = torch.randn(1, 3, 96, 128, dtype=torch.float64)
    theirs = copy.deepcopy(theirs).double()
    with torch.no_grad():
        last = backbone.eval().double()(images)[-1]
        expected = theirs.conv(theirs.features(images))
    assert relative_error(last, expected) <= 1e-5
