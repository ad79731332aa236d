"""Write a converted OpenMMLab checkpoint: `{"meta": ..., "state_dict": ...}`, put in place atomically.

`state_dict` is what mmengine's `load_checkpoint` (and so a `Pretrained` init_cfg) reads; `meta`
says what it holds (format, architecture, the source file and its sha256, its layout), so our
backbones can check it strictly and results name the student it came from.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from downstream.openmmlab.weights import StudentBackbone
from seed.errors import InputError
from seed.utils.hashing import file_digest


def save_converted(destination: Path, file_format: str, student: StudentBackbone, state: dict[str, torch.Tensor],
                   **meta: Any) -> dict[str, Any]:
    """Write `state` (tensors made contiguous, on CPU) and its meta to `destination`; return the meta."""
    if Path(destination).resolve() == Path(student.path).resolve():
        raise InputError(f"destination {str(destination)!r} is the student checkpoint itself; write elsewhere")
    meta = {"format": file_format, "arch": student.arch, "model": student.model, "source": student.path,
            "source_sha256": file_digest(student.path), "layout": student.layout, **meta}
    state = {key: value.detach().cpu().contiguous() for key, value in state.items()}
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial")
    torch.save({"meta": meta, "state_dict": state}, partial)
    os.replace(partial, destination)
    return meta
