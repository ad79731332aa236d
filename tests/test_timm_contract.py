"""The authors' students registered with timm pass the model checks timm runs on its own models
(pytorch-image-models tests/test_models.py), restated for our three names at small input sizes:
forward, backward, default config, features_only, forward_intermediates and TorchScript."""
from __future__ import annotations

import math

import pytest
import timm
import torch
from timm.data import resolve_model_data_config

import seed.models  # noqa: F401 - registers the *_seed models with timm
from seed.zoo.registry import TIMM_COUNTERPARTS

SEED_MODELS = sorted(TIMM_COUNTERPARTS)
SMALL = 64  # timm caps its checks at 96-384 px; any size the network takes will do


def inputs(batch: int, size: int = SMALL) -> torch.Tensor:
    return torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(size))


@pytest.mark.parametrize("name", SEED_MODELS)
def test_forward_gives_one_finite_row_per_image_with_or_without_grad_checkpointing(name):
    model = timm.create_model(name).eval()
    images = inputs(1)
    outputs = model(images)
    assert outputs.shape == (1, 1000) and not outputs.isnan().any()
    model.set_grad_checkpointing()
    assert torch.allclose(model(images), outputs, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", SEED_MODELS)
def test_backward_reaches_every_parameter(name):
    model = timm.create_model(name, num_classes=42).train()
    outputs = model(inputs(2))
    outputs.mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert outputs.shape == (2, 42) and not missing and not outputs.isnan().any()


@pytest.mark.parametrize("name", SEED_MODELS)
def test_default_config_is_complete_and_matches_the_network(name):
    model = timm.create_model(name).eval()
    cfg = model.pretrained_cfg
    assert cfg["architecture"] == name
    assert cfg == timm.models.get_pretrained_cfg(name).to_dict()  # the registry holds it by our name
    assert (cfg["input_size"], cfg["crop_pct"], cfg["interpolation"]) == ((3, 224, 224), 0.875, "bilinear")
    assert resolve_model_data_config(model) == {"input_size": (3, 224, 224), "interpolation": "bilinear",
                                                "mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225),
                                                "crop_pct": 0.875, "crop_mode": "center"}
    assert model.num_classes >= 0 and model.num_features > 0 and model.head_hidden_size > 0
    state = model.state_dict()
    assert f"{cfg['first_conv']}.weight" in state and f"{cfg['classifier']}.weight" in state
    images = inputs(1, cfg["input_size"][-1])
    with torch.no_grad():
        unpooled = model.forward_features(images)
        pre_logits = model.forward_head(unpooled, pre_logits=True)
        assert tuple(unpooled.shape[-2:]) == cfg["pool_size"] and unpooled.shape[1] == model.num_features
        assert pre_logits.shape[1] == model.head_hidden_size
        model.reset_classifier(0)
        assert model.num_classes == 0 and model(images).shape == pre_logits.shape


@pytest.mark.parametrize("name", SEED_MODELS)
@pytest.mark.parametrize("feature_cls", [None, "getter"])  # timm's default feature model, and forward_intermediates'
def test_features_only_returns_the_channels_and_strides_its_feature_info_names(name, feature_cls):
    model = timm.create_model(name, features_only=True, feature_cls=feature_cls).eval()
    channels, reductions = model.feature_info.channels(), model.feature_info.reduction()
    assert len(channels) >= 3 and model.pretrained_cfg["architecture"] == name
    outputs = model(inputs(1))
    assert len(outputs) == len(channels)
    for channel, reduction, output in zip(channels, reductions, outputs):
        assert output.shape[:2] == (1, channel) and not output.isnan().any()
        assert max(output.shape[-2:]) <= math.ceil(SMALL / reduction) + 1


@pytest.mark.parametrize("name", SEED_MODELS)
def test_forward_intermediates_ends_where_forward_features_ends(name):
    model = timm.create_model(name).eval()
    images = inputs(1)
    final, intermediates = model.forward_intermediates(images)
    info = model.feature_info
    assert [o.shape[1] for o in intermediates] == [level["num_chs"] for level in info]
    assert torch.allclose(final, model.forward_features(images))


@pytest.mark.parametrize("name", SEED_MODELS)
def test_torchscript_compiles_and_computes_the_same_output(name):
    with timm.set_scriptable(True):
        model = timm.create_model(name).eval()
    scripted = torch.jit.script(model)
    images = inputs(1)
    outputs = scripted(images)
    assert outputs.shape == (1, 1000) and not outputs.isnan().any()
    assert torch.equal(outputs, model(images))
