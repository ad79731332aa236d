"""ViT teachers: files saved as DINO, DINOv2 and MoCo v3 save them load strictly onto timm models
that compute the authors' CLS embedding (and projection head) at 224 px; wrong files fail loudly."""
from __future__ import annotations

import json
from functools import partial

import pytest
import torch
import torch.nn.functional as F

import official_vits as official
from seed.config import TeacherConfig
from seed.models import CheckpointError, build_teacher, load_encoder
from seed.models.layouts import load_checkpoint_weights

TINY = dict(embed_dim=128, depth=2, num_heads=2)  # 64 channels per head, as DINO and DINOv2 use


@pytest.fixture(scope="module")
def images():
    return torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))


@pytest.fixture(autouse=True)
def no_grad():
    with torch.no_grad():
        yield


def assert_close(ours: torch.Tensor, theirs: torch.Tensor) -> None:
    assert ours.shape == theirs.shape
    relative = ((ours - theirs).norm() / theirs.norm()).item()
    assert relative <= 1e-5, f"relative error {relative:.2e}"


def save(tmp_path, name, obj):
    path = tmp_path / name
    torch.save(obj, path)
    return path


def backbone_of(path, layout="auto", arch="auto", use_head=False):
    encoder, chosen = load_encoder(path, arch, layout, use_head)
    return encoder.eval(), chosen.name


# --- DINO -------------------------------------------------------------------------------------


@pytest.mark.parametrize("patch_size", [16, 8])
def test_dino_backbone_file_detects_size_and_patch(tmp_path, images, patch_size):
    model = official.randomise(official.dino_vit(patch_size=patch_size, **TINY))
    path = save(tmp_path, f"dino_tiny{patch_size}.pth", model.state_dict())
    ours, layout = backbone_of(path)
    assert layout == "dino-vit"
    assert ours.backbone.patch_embed.patch_size == (patch_size, patch_size)
    assert_close(ours(images), model(images))


def test_dino_full_checkpoint_with_vit_keeps_the_dino_head_mlp(tmp_path, images):
    def wrapper(seed):
        backbone = official.dino_vit(**TINY)
        head = official.DINOHead(128, 100, hidden_dim=64, bottleneck_dim=32)
        return official.randomise(official.MultiCropWrapper(backbone, head), seed)

    teacher, student = wrapper(0), wrapper(1)
    path = save(tmp_path, "checkpoint.pth", official.dino_full_checkpoint(teacher, student))
    ours, layout = backbone_of(path, use_head=True)
    assert layout == "dino" and ours.embed_dim == 32
    assert_close(ours(images), teacher.head.mlp(teacher.backbone(images)))
    assert_close(ours.backbone(images), teacher.backbone(images))
    student_branch, _ = backbone_of(path, layout="dino-student")
    assert_close(student_branch(images), student.backbone(images))


# --- DINOv2 -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_dinov2_vits14_reg4_file_real_size_at_224(tmp_path, images):
    model = official.randomise(official.dinov2_hub(registers=4))
    ours, layout = backbone_of(save(tmp_path, "dinov2_vits14_reg4_pretrain.pth", model.state_dict()))
    assert (layout, ours.arch) == ("dinov2", "vit_small_patch14_reg4_dinov2")
    assert_close(ours(images[:1]), model(images[:1]))  # 518-px position embedding resampled to 16x16 as theirs


@pytest.mark.parametrize("registers", [0, 4])
def test_dinov2_tiny_file_with_and_without_registers(tmp_path, images, registers):
    model = official.randomise(official.dinov2_hub(registers=registers, **TINY))
    ours, layout = backbone_of(save(tmp_path, "dinov2.pth", model.state_dict()))
    assert layout == "dinov2" and ours.backbone.num_reg_tokens == registers
    assert_close(ours(images), model(images))


def test_dinov2_giant_style_swiglu_and_chunked_blocks(tmp_path, images):
    """ViT-g's fused SwiGLU FFN, and blocks saved in chunks (`blocks.<chunk>.<block>.*`) by training."""
    model = official.randomise(official.dinov2_hub(ffn_layer="swiglufused", block_chunks=2, registers=4,
                                                   embed_dim=128, depth=4, num_heads=2))
    assert any(k.startswith("blocks.1.3.mlp.w12") for k in model.state_dict())
    ours, layout = backbone_of(save(tmp_path, "flat.pth", model.state_dict()))
    assert layout == "dinov2" and ours.arch == "vit_giant_patch14_reg4_dinov2"
    assert_close(ours(images), model(images))


def test_dinov2_training_teacher_checkpoint_keeps_its_dino_head(tmp_path, images):
    backbone = official.dinov2_hub(block_chunks=2, embed_dim=128, depth=4, num_heads=2)
    teacher = official.randomise(official.DINOv2Teacher(backbone, official.DINOHead(128, 50, 3, 64, 32)))
    path = save(tmp_path, "teacher_checkpoint.pth", {"teacher": teacher.state_dict()})
    ours, layout = backbone_of(path, use_head=True)
    assert layout == "dinov2"
    assert_close(ours(images), teacher.dino_head.mlp(backbone(images)))


# --- MoCo v3 -------------------------------------------------------------------------------------


def mocov3_file(tmp_path, **sizes):
    model = official.MoCo(partial(official.mocov3_vit, **sizes), dim=32, mlp_dim=64)
    official.randomise(model.base_encoder)  # the momentum encoder and predictor are saved, then dropped
    return model.base_encoder, save(tmp_path, "vit-s-300ep.pth.tar", official.mocov3_checkpoint(model, "vit_small"))


@pytest.mark.slow
def test_mocov3_vit_small_real_size_has_twelve_heads(tmp_path, images):
    base, path = mocov3_file(tmp_path)
    ours, layout = backbone_of(path, use_head=True)
    assert (layout, ours.arch) == ("mocov3", "vit_small_patch16_224")
    assert ours.backbone.blocks[0].attn.num_heads == 12
    assert_close(ours.backbone(images[:1]), base.forward_features(images[:1]))
    assert_close(ours(images[:1]), base(images[:1]))  # through the 3-layer MLP ending in an affine-free BN


def test_mocov3_tiny_vit_with_projection_head(tmp_path, images):
    base, path = mocov3_file(tmp_path, **TINY)
    ours, layout = backbone_of(path, use_head=True)
    assert layout == "mocov3" and ours.embed_dim == 32
    assert_close(ours(images), base(images))


def test_mocov3_resnet_file_keeps_its_fc_projection_mlp(tmp_path):
    """r-50-*.pth.tar: builder.MoCo_ResNet puts a 2-layer MLP in `fc` (resnet18 here, for speed)."""
    from torchvision.models import resnet18

    model = official.MoCo(resnet18, with_vit=False, dim=32, mlp_dim=64)
    official.randomise(model.base_encoder)
    ours, layout = backbone_of(save(tmp_path, "r-50-1000ep.pth.tar", official.mocov3_checkpoint(model, "resnet18")),
                               use_head=True)
    x = torch.randn(2, 3, 64, 64)
    assert (layout, ours.arch, ours.embed_dim) == ("mocov3", "resnet18", 32)
    assert_close(ours(x), model.base_encoder(x))


# --- refusals -------------------------------------------------------------------------------------


def test_vit_small_file_named_as_vit_base_fails_naming_file_and_keys(tmp_path):
    model = official.dino_vit(patch_size=16)
    path = save(tmp_path, "dino_deitsmall16_pretrain.pth", model.state_dict())
    with pytest.raises(CheckpointError) as error:
        load_encoder(path, "vit_base_patch16_224")
    message = str(error.value)
    assert str(path) in message and "vit_small_patch16_224" in message and "cls_token (1, 1, 384)" in message


def test_dinov2_small_file_named_as_base_fails(tmp_path):
    path = save(tmp_path, "dinov2_vitb14_pretrain.pth", official.dinov2_hub(**TINY).state_dict())
    with pytest.raises(CheckpointError, match="dinov2_vitb14_pretrain.pth.*cls_token"):
        load_encoder(path, "vit_base_patch14_dinov2")


@pytest.mark.parametrize("layout,writer", [
    ("dino-vit", lambda: official.dino_vit(**TINY).state_dict()),
    ("dinov2", lambda: official.dinov2_hub(**TINY).state_dict()),
])
def test_a_missing_block_key_is_named(tmp_path, layout, writer):
    state = writer()
    del state["blocks.1.attn.proj.bias"]
    with pytest.raises(CheckpointError, match=rf"layout '{layout}'.*missing keys: blocks\.1\.attn\.proj\.bias"):
        load_encoder(save(tmp_path, "cut.pth", state), "auto", layout)


def test_an_extra_dinov2_key_is_refused(tmp_path):
    state = official.dinov2_hub(**TINY).state_dict()
    state["blocks.0.extra.weight"] = torch.zeros(3)
    with pytest.raises(CheckpointError, match="unexpected keys: blocks.0.extra.weight"):
        load_encoder(save(tmp_path, "extra.pth", state))


def test_a_vit_file_without_cls_token_names_the_key(tmp_path):
    state = official.dino_vit(**TINY).state_dict()
    del state["cls_token"]
    path = save(tmp_path, "nocls.pth", state)
    with pytest.raises(CheckpointError, match="nocls.pth.*missing keys cls_token"):
        load_checkpoint_weights(path, "dino-vit")


# --- as a teacher ---------------------------------------------------------------------------------


def test_vit_teacher_takes_small_crops_and_stays_frozen(tmp_path):
    model = official.dinov2_hub(registers=4, **TINY)
    teacher = build_teacher(TeacherConfig(checkpoint=str(save(tmp_path, "t.pth", model.state_dict()))))
    for size in (224, 96, 32):  # SEED's small-patch views are 96 px; 96 is no multiple of 14
        assert teacher(torch.randn(2, 3, size, size)).shape == (2, 128)
    assert not any(p.requires_grad for p in teacher.parameters())


def test_teacher_image_size_runs_the_vit_at_its_own_resolution(tmp_path):
    """teacher.image_size=224: 96-px crops are resized first, so DINOv2 computes exactly its 224-px function."""
    model = official.randomise(official.dinov2_hub(**TINY))
    path = save(tmp_path, "t.pth", model.state_dict())
    teacher = build_teacher(TeacherConfig(checkpoint=str(path), image_size=224))
    crops = torch.randn(2, 3, 96, 96)
    resized = F.interpolate(crops, size=(224, 224), mode="bilinear", align_corners=False, antialias=True)
    assert_close(teacher(crops), model(resized))


# --- through every consumer: seed distill, seed eval, seed.zoo.load --------------------------------


def test_seed_distils_a_dinov2_teacher_into_a_cnn_student(tmp_path):
    """A few SEED steps, 32-px global and 16-px small views, both seen by a DINOv2 (registers) teacher."""
    from conftest import tiny_config
    from seed.engine.trainer import distill

    model = official.randomise(official.dinov2_hub(registers=4, embed_dim=64, depth=1, num_heads=1))
    teacher = save(tmp_path, "dinov2_vits14_reg4_pretrain.pth", model.state_dict())
    cfg = tiny_config(tmp_path, "train.max_steps=2", "objective.params.small_views=2",
                      "data.augmentation.small_size=16", teacher=teacher)
    with torch.enable_grad():
        result = distill(cfg)
    state = torch.load(result.last_checkpoint, weights_only=True)["model"]
    assert state["queue.features"].shape[1] == 64 and int(state["small_queue.pointer"]) == 16
    assert torch.equal(state["teacher.encoder.backbone.reg_token"], model.register_tokens)


def test_seed_eval_knn_takes_a_dino_vit_file_with_no_architecture_named(tmp_path, capsys):
    from eval_fixtures import write_imagenet_folder
    from seed.cli import main

    write_imagenet_folder(tmp_path / "imagenet", classes=3)
    model = official.randomise(official.dino_vit(embed_dim=64, depth=1, num_heads=1))
    path = save(tmp_path, "dino_deitsmall16_pretrain.pth", model.state_dict())
    code = main(["eval", "knn", "--model", str(path), "--data", str(tmp_path / "imagenet"), "--dataset", "imagenet",
                 "--output", str(tmp_path / "results"), f"features.cache_dir={tmp_path / 'cache'}",
                 "features.image_size=32", "features.resize=32", "features.workers=0", "knn.ks=[5]"])
    assert code == 0, capsys.readouterr().err[-2000:]
    record = json.loads(next((tmp_path / "results").glob("*knn*.json")).read_text())
    assert 0.0 <= record["metrics"]["top1"] <= 100.0 and record["checkpoint"] == str(path)


def test_zoo_load_reads_a_dino_vit_entry(tmp_path, images):
    import hashlib

    import yaml

    import seed.zoo
    from seed.zoo.registry import load_registry

    model = official.randomise(official.dino_vit(**TINY))
    (tmp_path / "cache").mkdir()
    cached = save(tmp_path / "cache", "dino_deitsmall16_pretrain.pth", model.state_dict())
    entry = {"name": "dino_vits16", "kind": "teacher", "arch": "vit_small_patch16_224", "layout": "dino-vit",
             "method": "DINO", "license": "Apache-2.0",
             "files": [{"url": "https://dl.fbaipublicfiles.com/dino/dino_deitsmall16_pretrain/"
                               "dino_deitsmall16_pretrain.pth",
                        "sha256": hashlib.sha256(cached.read_bytes()).hexdigest()}]}
    (tmp_path / "zoo.yaml").write_text(yaml.safe_dump({"models": [entry]}))
    backbone = seed.zoo.load("dino_vits16", tmp_path / "cache", registry=load_registry(tmp_path / "zoo.yaml"))
    assert not backbone.training
    assert_close(backbone(images), model(images))


# The published sizes, built as the authors' modules (official_vits) build them: (layout, the timm
# name the layout must read from the file, the authors' module).
PUBLISHED_VITS = [
    ("dino-vit", "vit_small_patch16_224", partial(official.dino_vit, 384, 12, 6, 16)),
    ("dino-vit", "vit_small_patch8_224", partial(official.dino_vit, 384, 12, 6, 8)),
    ("dino-vit", "vit_base_patch16_224", partial(official.dino_vit, 768, 12, 12, 16)),
    ("dino-vit", "vit_base_patch8_224", partial(official.dino_vit, 768, 12, 12, 8)),
    *(("dinov2", f"vit_{size}_patch14{'_reg4' if registers else ''}_dinov2",
       partial(official.dinov2_hub, dim, depth, heads, registers, ffn))
      for size, dim, depth, heads, ffn in (("small", 384, 12, 6, "mlp"), ("base", 768, 12, 12, "mlp"),
                                           ("large", 1024, 24, 16, "mlp"), ("giant", 1536, 40, 24, "swiglufused"))
      for registers in (0, 4)),
    ("mocov3", "vit_small_patch16_224", partial(official.mocov3_vit, 384, 12, 12, 256)),
    ("mocov3", "vit_base_patch16_224", partial(official.mocov3_vit, 768, 12, 12, 256)),
]


def published_weights(layout: str, authors: torch.nn.Module):
    """What the layout reads from the authors' module's state dict (meta tensors: shapes only)."""
    from seed.models.layouts import vits

    state = authors.state_dict()
    if layout == "dinov2":
        return vits.dinov2_weights(state, {})
    if layout == "mocov3":
        return vits.vit_weights({k: v for k, v in state.items() if not k.startswith("head.")}, {}, "relu",
                                vits.mocov3_arch)
    return vits.dino_vit_weights(state, {})


@pytest.mark.parametrize("layout,timm_name,build", PUBLISHED_VITS,
                         ids=[f"{layout}-{name}" for layout, name, _ in PUBLISHED_VITS])
def test_each_published_vit_size_reads_as_the_timm_model_of_the_authors_shapes_and_heads(layout, timm_name, build):
    """The size tables hold for the authors' own modules: the file of each published size names the
    timm model whose every parameter has the shape the file holds, with the authors' number of heads."""
    from seed.models.pretrained import build_backbone

    with torch.device("meta"):
        authors = build()
        weights = published_weights(layout, authors)
        ours = build_backbone(weights.arch, weights.arch_kwargs)
    assert weights.arch == timm_name
    file_shapes = {k: tuple(v.shape) for k, v in weights.backbone.items()}
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == file_shapes
    blocks = [b for chunk in authors.blocks for b in (chunk if isinstance(chunk, torch.nn.ModuleList) else [chunk])
              if not isinstance(b, torch.nn.Identity)]
    assert ours.blocks[0].attn.num_heads == blocks[0].attn.num_heads


def test_packaged_vit_teachers_are_published_sizes_their_layout_reads():
    from seed.zoo.registry import load_registry

    published = {(layout, name) for layout, name, _ in PUBLISHED_VITS} | {("dino", "vit_small_patch16_224")}
    layouts = {layout for layout, _ in published}
    entries = [e for e in load_registry().entries if e.layout in layouts and e.arch.startswith("vit_")]
    assert len(entries) == 15
    for entry in entries:
        assert (entry.layout, entry.arch) in published, entry.name
        assert entry.files[0].url.startswith("https://dl.fbaipublicfiles.com/"), entry.name


def test_dinov2_config_names_the_architecture_the_vitb14_file_holds():
    from seed.config import load_config
    from seed.models.layouts.vits import DINOV2_ARCHS

    cfg = load_config("configs/distill/seed/dinov2-vitb14_efficientnet_b0.yaml")
    assert (cfg.teacher.layout, cfg.student.arch) == ("dinov2", "efficientnet_b0")
    assert DINOV2_ARCHS[(768, 12, 14, 3072, 0)][0] == cfg.teacher.arch
