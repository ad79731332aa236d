"""ViT teachers' published layouts (DINO, DINOv2, MoCo v3), read onto timm VisionTransformers;
DINO's full checkpoints live here too, since their backbone may be a ResNet or a ViT.

The architecture is read from the file (embed dim, depth, patch size, MLP width, registers,
SwiGLU), so none needs naming; the published sizes map to their timm names, other sizes to the
family's timm model with the sizes as arguments. Heads are not stored in a file: DINO and DINOv2
use 64 channels per head, MoCo v3's ViT-S uses 12 heads (32 channels, vits.py).
Every teacher runs at 224 px and accepts other sizes (timm's `dynamic_img_size`); DINOv2's
518-px position embedding is resampled to the 16x16 grid exactly as its own forward does at 224.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F

from seed.models.checkpoints import CheckpointError
from seed.models.layouts.base import Layout, Weights, is_tensor_dict, register_layout, split_head, with_prefix

TEACHER_SIZE = 224  # every ViT teacher's resolution (DINO, DINOv2 and MoCo v3 evaluate at 224 px)
CHUNKED_BLOCK = re.compile(r"^blocks\.\d+\.(\d+\..*)$")  # DINOv2 block_chunks: blocks.<chunk>.<block>.*


@dataclass(frozen=True)
class ViTShape:
    """What a ViT state dict says of its architecture, and the keys that say it."""

    embed_dim: int
    depth: int
    patch_size: int
    grid: int          # side of the position-embedding grid (pos_embed holds grid**2 + 1 tokens)
    mlp_hidden: int    # fc1 (or SwiGLU w12) output size
    registers: int = 0
    swiglu: bool = False

    def describe(self) -> str:
        return (f"cls_token (1, 1, {self.embed_dim}), blocks.0-{self.depth - 1}, patch_embed.proj.weight "
                f"({self.embed_dim}, 3, {self.patch_size}, {self.patch_size}), pos_embed {self.grid}x{self.grid}"
                + (f", register_tokens {self.registers}" if self.registers else "")
                + (", SwiGLU mlp.w12" if self.swiglu else ""))


def is_vit_state(state: Any) -> bool:
    """A state dict with a ViT's token, position embedding and patch projection (timm/DINO names)."""
    return isinstance(state, dict) and all(k in state for k in ("cls_token", "pos_embed", "patch_embed.proj.weight"))


def unchunk_blocks(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """DINOv2 `blocks.<chunk>.<block>.*` (block_chunks > 0, as ViT-g trains) -> `blocks.<block>.*`."""
    out = {}
    for key, value in state.items():
        match = CHUNKED_BLOCK.match(key)
        out["blocks." + match.group(1) if match else key] = value
    return out


def read_shape(state: dict[str, torch.Tensor]) -> ViTShape:
    """The ViT's sizes from its tensors; a key that is not there raises CheckpointError naming it."""
    missing = [k for k in ("cls_token", "pos_embed", "patch_embed.proj.weight") if k not in state]
    if missing:
        raise CheckpointError(f"not a ViT state dict: missing keys {', '.join(missing)}")
    blocks = {int(k.split(".")[1]) for k in state if k.startswith("blocks.")}
    swiglu = "blocks.0.mlp.w12.weight" in state
    fc1 = "blocks.0.mlp.w12.weight" if swiglu else "blocks.0.mlp.fc1.weight"
    if not blocks or fc1 not in state:
        raise CheckpointError(f"not a ViT state dict: no {fc1!r}")
    registers = state["register_tokens"].shape[1] if "register_tokens" in state else 0
    return ViTShape(embed_dim=state["cls_token"].shape[-1], depth=max(blocks) + 1,
                    patch_size=state["patch_embed.proj.weight"].shape[-1],
                    grid=math.isqrt(state["pos_embed"].shape[1] - 1), mlp_hidden=state[fc1].shape[0],
                    registers=registers, swiglu=swiglu)


def _sizes(shape: ViTShape, num_heads: int) -> dict[str, Any]:
    """timm arguments for a size no published name has (mlp_ratio rounds back to the file's width)."""
    return {"embed_dim": shape.embed_dim, "depth": shape.depth, "num_heads": num_heads,
            "patch_size": shape.patch_size, "mlp_ratio": (shape.mlp_hidden + 0.5) / shape.embed_dim}


def _arch(published: dict[tuple, tuple[str, dict]], key: tuple, base: str, generic: dict[str, Any],
          common: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name, kwargs = published.get(key, (base, generic))
    return name, {**kwargs, **common}


# --- DINO ----------------------------------------------------------------------------------

DINO_ARCHS = {  # (embed dim, depth, patch, mlp width, grid) -> timm name; dino's vit_small/base, 64 ch/head
    (384, 12, 16, 1536, 14): ("vit_small_patch16_224", {}),
    (384, 12, 8, 1536, 28): ("vit_small_patch8_224", {}),
    (768, 12, 16, 3072, 14): ("vit_base_patch16_224", {}),
    (768, 12, 8, 3072, 28): ("vit_base_patch8_224", {}),
}


def dino_arch(shape: ViTShape) -> tuple[str, dict[str, Any]]:
    """DINO's ViT (vision_transformer.py: LayerNorm eps 1e-6, qkv bias) as timm names it."""
    key = (shape.embed_dim, shape.depth, shape.patch_size, shape.mlp_hidden, shape.grid)
    generic = {**_sizes(shape, shape.embed_dim // 64), "img_size": shape.grid * shape.patch_size}
    return _arch(DINO_ARCHS, key, "vit_small_patch16_224", generic, {"dynamic_img_size": True})


def vit_weights(backbone: dict[str, torch.Tensor], head: dict[str, torch.Tensor], activation: str,
                arch_of: Callable[[ViTShape], tuple[str, dict[str, Any]]]) -> Weights:
    """Backbone and head, with the architecture `arch_of` names for the shape read from the keys."""
    shape = read_shape(backbone)
    arch, kwargs = arch_of(shape)
    return Weights(backbone, head, activation, arch, kwargs, arch_source=shape.describe())


def dino_vit_weights(backbone: dict[str, torch.Tensor], head: dict[str, torch.Tensor]) -> Weights:
    """A DINO ViT backbone (plus the DINO head's MLP, if any)."""
    return vit_weights(backbone, head, "gelu", dino_arch)


register_layout(Layout(
    "dino-vit",
    "DINO ViT backbone-only files (`dino_deitsmall16_pretrain.pth`, ...): a flat state dict with "
    "`cls_token`, `pos_embed`, `blocks.*` (timm names), no head",
    lambda c: is_tensor_dict(c) and is_vit_state(c) and "mask_token" not in c,
    lambda c: dino_vit_weights(c, {}),
    priority=60,
))


# --- DINOv2 --------------------------------------------------------------------------------

DINOV2_ARCHS = {  # (embed dim, depth, patch, mlp width, registers) -> timm name (hub: vit_small .. vit_giant2)
    (dim, depth, 14, hidden, registers): (f"vit_{size}_patch14{'_reg4' if registers else ''}_dinov2", {})
    for size, dim, depth, hidden in (("small", 384, 12, 1536), ("base", 768, 12, 3072),
                                     ("large", 1024, 24, 4096), ("giant", 1536, 40, 8192))
    for registers in (0, 4)
}


def dinov2_arch(shape: ViTShape) -> tuple[str, dict[str, Any]]:
    """timm's DINOv2 model for the file, built for 224 px (a 16x16 grid at patch 14)."""
    key = (shape.embed_dim, shape.depth, shape.patch_size, shape.mlp_hidden, shape.registers)
    base = f"vit_{'giant' if shape.swiglu else 'small'}_patch14{'_reg4' if shape.registers else ''}_dinov2"
    generic = {**_sizes(shape, shape.embed_dim // 64), **({"reg_tokens": shape.registers} if shape.registers else {})}
    return _arch(DINOV2_ARCHS, key, base, generic,
                 {"img_size": TEACHER_SIZE, "dynamic_img_size": True, "dynamic_img_pad": True})


def dinov2_pos_embed(pos_embed: torch.Tensor, grid: int, registers: int) -> torch.Tensor:
    """DinoVisionTransformer.interpolate_pos_encoding at `grid` x `grid` patches, as the hub models
    configure it: offset 0.1 without antialias, or (register models) exact size with antialias."""
    side = math.isqrt(pos_embed.shape[1] - 1)
    if side == grid:
        return pos_embed
    patches = pos_embed[:, 1:].float().reshape(1, side, side, -1).permute(0, 3, 1, 2)
    if registers:
        resized = F.interpolate(patches, size=(grid, grid), mode="bicubic", antialias=True)
    else:
        scale = float(grid + 0.1) / side
        resized = F.interpolate(patches, scale_factor=(scale, scale), mode="bicubic", antialias=False)
    resized = resized.permute(0, 2, 3, 1).reshape(1, grid * grid, -1)
    return torch.cat([pos_embed[:, :1].float(), resized], dim=1).to(pos_embed.dtype)


def dinov2_weights(backbone: dict[str, torch.Tensor], head: dict[str, torch.Tensor]) -> Weights:
    """A DINOv2 backbone in timm's names: blocks un-chunked, `mask_token` (training only) dropped,
    SwiGLU `w12`/`w3` -> `fc1`/`fc2`, registers -> `reg_token` with the class position folded into
    `cls_token` (timm's no_embed_class, as timm's own converter does)."""
    state = unchunk_blocks(backbone)
    state.pop("mask_token", None)
    shape = read_shape(state)
    arch, kwargs = dinov2_arch(shape)
    state = {k.replace(".mlp.w12.", ".mlp.fc1.").replace(".mlp.w3.", ".mlp.fc2."): v for k, v in state.items()}
    pos_embed = dinov2_pos_embed(state.pop("pos_embed"), TEACHER_SIZE // shape.patch_size, shape.registers)
    if shape.registers:
        state["reg_token"] = state.pop("register_tokens")
        state["cls_token"] = state["cls_token"] + pos_embed[:, :1]
        pos_embed = pos_embed[:, 1:]
    state["pos_embed"] = pos_embed
    return Weights(state, head, "gelu", arch, kwargs, arch_source=shape.describe())


def _dinov2_extract(ckpt: dict) -> Weights:
    if isinstance(ckpt.get("teacher"), dict):  # a training teacher_checkpoint.pth
        teacher = ckpt["teacher"]
        return dinov2_weights(with_prefix(teacher, "backbone."), with_prefix(teacher, "dino_head.mlp."))
    return dinov2_weights(ckpt, {})


def _is_dinov2_backbone(state: Any) -> bool:
    return isinstance(state, dict) and "mask_token" in state and "cls_token" in state


register_layout(Layout(
    "dinov2",
    "DINOv2 `dinov2_vit{s,b,l,g}14[_reg4]_pretrain.pth` (flat; `mask_token`, LayerScale `ls1.gamma`, "
    "registers, ViT-g chunked `blocks.<chunk>.<block>.*`), or a training `teacher_checkpoint.pth` "
    "(`teacher` with `backbone.*`, head `dino_head.mlp.*`)",
    lambda c: _is_dinov2_backbone(c) or (isinstance(c, dict) and isinstance(c.get("teacher"), dict)
                                         and _is_dinov2_backbone(with_prefix(c["teacher"], "backbone."))),
    _dinov2_extract,
    priority=70,
))


# --- DINO full checkpoints (ResNet or ViT backbone) -------------------------------------------


def _dino_extract(branch: str) -> Callable[[dict], Weights]:
    def extract(ckpt: dict) -> Weights:
        state = ckpt[branch]
        if any(k.startswith("module.") for k in state):
            state = with_prefix(state, "module.")
        backbone, head = with_prefix(state, "backbone."), with_prefix(state, "head.mlp.")
        return dino_vit_weights(backbone, head) if is_vit_state(backbone) else Weights(backbone, head, "gelu")

    return extract


def _is_dino(c: Any) -> bool:
    return isinstance(c, dict) and isinstance(c.get("teacher"), dict) and isinstance(c.get("student"), dict)


register_layout(Layout(
    "dino",
    "DINO: `teacher` dict with `backbone.*` (ResNet or ViT) and `head.mlp.*` (`head.last_layer` dropped)",
    _is_dino,
    _dino_extract("teacher"),
    priority=80,  # after dinov2: a DINOv2 training checkpoint has a `teacher` dict too
))
register_layout(Layout(
    "dino-student",
    "DINO's `student` dict instead of its `teacher` (chosen by name only)",
    None,
    _dino_extract("student"),
    priority=None,
))


# --- MoCo v3 -------------------------------------------------------------------------------

MOCOV3_ARCHS = {  # vits.py: vit_small has 12 heads (timm's vit_small_patch16_224: 6)
    (384, 12, 16, 1536, 14): ("vit_small_patch16_224", {"num_heads": 12}),
    (768, 12, 16, 3072, 14): ("vit_base_patch16_224", {}),
}


def mocov3_arch(shape: ViTShape) -> tuple[str, dict[str, Any]]:
    """MoCo v3's VisionTransformerMoCo (timm's ViT with a fixed 2-D sin-cos position embedding)."""
    key = (shape.embed_dim, shape.depth, shape.patch_size, shape.mlp_hidden, shape.grid)
    generic = {**_sizes(shape, shape.embed_dim // 64), "img_size": shape.grid * shape.patch_size}
    return _arch(MOCOV3_ARCHS, key, "vit_small_patch16_224", generic, {"dynamic_img_size": True})


def _mocov3_extract(ckpt: dict) -> Weights:
    state = with_prefix(ckpt["state_dict"], "module.base_encoder.")
    if not is_vit_state(state):  # the ResNet-50: projection MLP in `fc`, torchvision names
        backbone, head = split_head(state, "fc")
        return Weights(backbone, head, "relu", ckpt.get("arch"))
    backbone, head = split_head(state, "head")
    return vit_weights(backbone, head, "relu", mocov3_arch)


register_layout(Layout(
    "mocov3",
    "MoCo v3 (`vit-s-300ep.pth.tar`, ...): `state_dict` with `module.base_encoder.*`, projection MLP "
    "in `head` (ViT) or `fc` (ResNet); momentum encoder and predictor dropped",
    lambda c: isinstance(c, dict) and isinstance(c.get("state_dict"), dict)
    and any(k.startswith("module.base_encoder.") for k in c["state_dict"]),
    _mocov3_extract,
    priority=90,
))
