"""`seed eval` feeds each model as it was trained or published: explicit settings, then the student
file's record, then the layout's published setting, then timm's config; records say which."""
from __future__ import annotations

import json

import pytest
import torch
from conftest import run_cli, tiny_config, write_teacher
from eval_fixtures import write_imagenet_folder
from timm.data import resolve_model_data_config

from downstream.config import EvalDataConfig, FeatureConfig
from downstream.datasets import build_split, dataset_name
from downstream.features import extract_features
from downstream.models import FrozenModel, load_model
from downstream.transforms import PUBLISHED, resolve_transform
from seed.engine.trainer import distill
from seed.models.layouts import LAYOUTS
from seed.models.pretrained import build_backbone

TRAINED = {"image_size": 32, "resize": 32, "interpolation": "bilinear", "mean": [0.3, 0.3, 0.3], "std": [0.4, 0.4, 0.4]}


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """A student distilled for one step on 32-px crops with its own mean/std, evaluated uncropped."""
    folder = tmp_path_factory.mktemp("run")
    cfg = tiny_config(folder, "train.max_steps=1", "data.augmentation.mean=[0.3,0.3,0.3]",
                      "data.augmentation.std=[0.4,0.4,0.4]", "data.augmentation.eval_crop_pct=1.0")
    return distill(cfg).student_path


@pytest.mark.slow  # one `seed eval` process: about a minute on a loaded 2-core machine
def test_a_student_trained_at_32_px_is_evaluated_at_32_px_by_default_and_the_record_says_so(student, tmp_path):
    data = write_imagenet_folder(tmp_path / "digits", classes=3)
    result = run_cli("eval", "knn", "--model", str(student), "--data", str(data), "--output", str(tmp_path / "out"),
                     f"features.cache_dir={tmp_path / 'cache'}", "features.workers=0", "knn.ks=[3]")
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / "out" / "run__knn__digits__val.json").read_text())
    assert record["dataset"] == "digits"  # the data folder's name, not a default
    assert record["config"]["transform"] == {**TRAINED, "source": "student file", "overrides": []}
    assert "32 px (resize 32, bilinear)" in result.stdout and "from the student file" in result.stdout
    meta = json.loads(next((tmp_path / "cache").glob("*/meta.json")).read_text())
    assert meta["key"]["transform"] == TRAINED


def test_run_checkpoints_record_the_data_config_too(student):
    checkpoint = next((student.parent / "checkpoints").glob("*.pth"))
    model = load_model(str(checkpoint))
    assert resolve_transform(FeatureConfig(), model).describe() == {**TRAINED, "source": "student file",
                                                                     "overrides": []}


def test_an_explicit_setting_overrides_only_itself(student):
    transform = resolve_transform(FeatureConfig(image_size=48, interpolation="bicubic"), load_model(str(student)))
    assert (transform.image_size, transform.resize, transform.interpolation) == (48, 48, "bicubic")
    assert transform.mean == (0.3, 0.3, 0.3) and transform.source == "student file"
    assert transform.overrides == ("image_size", "interpolation")


def test_a_student_file_from_before_the_record_is_read_through_its_training_config(student, tmp_path):
    old = torch.load(student, weights_only=True)
    del old["data_config"]
    torch.save(old, tmp_path / "old.pth")
    transform = resolve_transform(FeatureConfig(), load_model(str(tmp_path / "old.pth")))
    assert transform.key() == TRAINED and transform.source == "student file's training config"


def test_a_file_that_records_nothing_takes_timms_config_of_its_architecture(tmp_path):
    model = load_model(str(write_teacher(tmp_path / "bare.pth")))
    timm_cfg = resolve_model_data_config(model.backbone)
    transform = resolve_transform(FeatureConfig(), model)
    assert transform.source == "timm data config of resnet18"
    assert (transform.image_size, transform.interpolation) == (timm_cfg["input_size"][-1], timm_cfg["interpolation"])
    assert transform.resize == round(timm_cfg["input_size"][-1] / timm_cfg["crop_pct"])


@pytest.mark.parametrize("name", ["resnet18", "tf_efficientnet_b0_seed"])
def test_timm_models_take_timms_data_config(name):
    model = load_model(f"timm:{name}")
    timm_cfg = resolve_model_data_config(model.backbone)
    transform = resolve_transform(FeatureConfig(), model)
    assert transform.source == f"timm data config of {name}"
    assert (transform.interpolation, transform.mean, transform.std) == (
        timm_cfg["interpolation"], timm_cfg["mean"], timm_cfg["std"])


def test_every_published_layout_has_its_authors_evaluation_transform():
    assert set(LAYOUTS.names()) - set(PUBLISHED.names()) == {"seed"}  # ours record their own
    backbone = build_backbone("resnet18")

    def published(layout: str) -> tuple:
        t = resolve_transform(FeatureConfig(), FrozenModel("m", backbone, "resnet18", "f.pth", None, layout))
        return t.image_size, t.resize, t.interpolation, t.std, t.source

    assert published("moco") == (224, 256, "bilinear", (0.229, 0.224, 0.225),
                                 "authors' evaluation code of the moco layout")
    assert published("dinov2")[:3] == published("dino-vit")[:3] == (224, 256, "bicubic")
    assert published("swav")[3] == (0.228, 0.224, 0.225)
    assert published("simclr")[:2] == (256, 256)


def test_records_name_the_data_set_by_its_option_or_folder(tmp_path):
    assert dataset_name(EvalDataConfig(root=str(tmp_path / "digits"))) == "digits"
    assert dataset_name(EvalDataConfig(name="cifar10", root=str(tmp_path / "x"))) == "cifar10"
    data = write_imagenet_folder(tmp_path / "folder", classes=2, train_per_class=2, val_per_class=1)
    assert build_split(EvalDataConfig(name="mine", root=str(data)), "val").description.startswith("mine val")


def test_the_feature_cache_keys_on_the_resolved_transform_not_on_how_it_was_given(student, tmp_path):
    data = write_imagenet_folder(tmp_path / "digits", classes=2, train_per_class=2, val_per_class=1)
    split = build_split(EvalDataConfig(root=str(data)), "val")
    model = load_model(str(student))

    def features(**settings):
        cfg = FeatureConfig(workers=0, progress=False, cache_dir=str(tmp_path / "cache"), **settings)
        return extract_features(model, split, "val", cfg, torch.device("cpu"))

    assert not features().reused
    assert features(image_size=32, resize=32, mean=(0.3, 0.3, 0.3)).reused  # the same pixels: the same entry
    assert not features(interpolation="bicubic").reused
