"""Frozen features: eval-mode extraction, cached once, reused only for exactly the same inputs."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from downstream.config import EvalDataConfig, FeatureConfig
from downstream.datasets import build_split
from downstream.features import FeatureCacheError, extract_features
from downstream.models import load_model

from conftest import write_teacher
from eval_fixtures import write_imagenet_folder


@pytest.fixture
def setup(tmp_path):
    write_imagenet_folder(tmp_path / "data", classes=2, train_per_class=3, val_per_class=2)
    split = build_split(EvalDataConfig(name="imagenet", root=str(tmp_path / "data")), "train")
    cfg = FeatureConfig(image_size=32, resize=32, batch_size=4, workers=0, cache_dir=str(tmp_path / "cache"),
                        progress=False)
    return tmp_path, split, cfg


def test_features_are_reused_when_nothing_changed(setup):
    tmp_path, split, cfg = setup
    model = load_model(str(write_teacher(tmp_path / "a.pth", seed=1)))
    first = extract_features(model, split, "train", cfg, torch.device("cpu"))
    second = extract_features(load_model(str(tmp_path / "a.pth")), split, "train", cfg, torch.device("cpu"))
    assert not first.reused and second.reused and first.path == second.path
    assert np.array_equal(first.features, second.features) and second.labels.tolist() == split.labels
    assert isinstance(second.features, np.memmap)


def test_features_are_rebuilt_when_the_checkpoint_changes(setup):
    tmp_path, split, cfg = setup
    path = write_teacher(tmp_path / "student.pth", seed=1)
    first = extract_features(load_model(str(path)), split, "train", cfg, torch.device("cpu"))
    write_teacher(path, seed=2)  # same file name, other weights
    second = extract_features(load_model(str(path)), split, "train", cfg, torch.device("cpu"))
    assert not second.reused and second.path != first.path
    assert not np.allclose(first.features, second.features)


def test_a_cache_entry_of_other_inputs_is_never_used_silently(setup):
    tmp_path, split, cfg = setup
    first = extract_features(load_model(str(write_teacher(tmp_path / "a.pth", seed=1))), split, "train", cfg,
                             torch.device("cpu"))
    meta = json.loads((first.path / "meta.json").read_text())
    meta["key"]["model"] = "another checkpoint"
    (first.path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(FeatureCacheError, match="differs in: model"):
        extract_features(load_model(str(tmp_path / "a.pth")), split, "train", cfg, torch.device("cpu"))


def test_batchnorm_stays_in_eval_mode_during_extraction(setup):
    tmp_path, split, cfg = setup
    model = load_model(str(write_teacher(tmp_path / "a.pth", seed=3)))
    model.backbone.train()  # even if someone left it in training mode
    batched = extract_features(model, split, "train", cfg, torch.device("cpu"))
    one_by_one = extract_features(model, split, "train",
                                  FeatureConfig(**{**cfg.__dict__, "batch_size": 1, "cache_dir": str(tmp_path / "c2")}),
                                  torch.device("cpu"))
    assert np.allclose(batched.features, one_by_one.features, atol=1e-5)  # no batch statistics involved
