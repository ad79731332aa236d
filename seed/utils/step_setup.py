"""How the training step runs on this machine: precision, memory format and torch.compile.

Each is a config value (`train.amp`, `train.channels_last`, `train.compile`) whose `auto`
follows a rule that benchmarks/distill_throughput.py measures on both kinds of CPU (README,
"Benchmarks"): never a slowdown against fp32 in the default memory format.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from seed.errors import InputError
from seed.utils.amp import Precision, choose_precision
from seed.utils.capabilities import Capabilities

# Which parts of a distillation objective `train.compile` compiles (in place: state-dict keys unchanged).
COMPILE_TARGETS = {"none": (), "student": ("student",), "all": ("student", "teacher")}


@dataclass(frozen=True)
class StepSetup:
    """The resolved step on a device with `capabilities`: precision, channels_last, compile targets,
    and why each was chosen."""

    capabilities: Capabilities
    precision: Precision
    channels_last: bool
    compile: str
    layout_reason: str
    compile_reason: str

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format

    def to_dict(self) -> dict:
        """For the run record: what was chosen and why."""
        return {"amp": self.precision.amp, "amp_requested": self.precision.requested,
                "amp_reason": self.precision.reason, "channels_last": self.channels_last,
                "channels_last_reason": self.layout_reason, "compile": self.compile,
                "compile_reason": self.compile_reason, "device": self.capabilities.to_dict()}


def auto_channels_last(precision: Precision, caps: Capabilities) -> tuple[bool, str]:
    """channels_last on GPUs (cuDNN's NHWC tensor-core kernels) and for fp32 on CPUs; bf16 on CPUs
    keeps the default format, as channels_last measured slower there (README, "Benchmarks")."""
    if caps.device == "cuda":
        return True, "auto: cuDNN's NHWC kernels"
    if caps.device == "cpu" and precision.amp == "none":
        return True, "auto: oneDNN's NHWC fp32 kernels (measured faster on CPUs)"
    return False, f"auto: default memory format ({precision.amp} on {caps.device} {caps.isa})"


def auto_compile(precision: Precision, caps: Capabilities) -> tuple[str, str]:
    """torch.compile stays off by default: eager is never slower than itself, and compile's gain was
    not measured on CPUs (its compilation took longer than the benchmark had; README, "Benchmarks")."""
    return "none", "auto: eager (torch.compile's gain is not measured; train.compile=student|all turns it on)"


def _layout(requested: bool | str, option: str, precision: Precision, caps: Capabilities) -> tuple[bool, str]:
    if requested == "auto":
        return auto_channels_last(precision, caps)
    if isinstance(requested, bool):
        return requested, f"{option}={str(requested).lower()} set explicitly"
    raise InputError(f"{option} must be true, false or auto, got {requested!r}")


def _compile(requested: str, option: str, precision: Precision, caps: Capabilities) -> tuple[str, str]:
    if requested == "auto":
        return auto_compile(precision, caps)
    if requested in COMPILE_TARGETS:
        return requested, f"{option}={requested} set explicitly"
    raise InputError(f"{option} must be one of auto, {', '.join(COMPILE_TARGETS)}, got {requested!r}")


def choose_step_setup(amp: str, channels_last: bool | str, compile: str, caps: Capabilities,
                      section: str = "train") -> StepSetup:
    """Resolve `<section>.amp`, `.channels_last` and `.compile` (each may be `auto`) for a device with `caps`."""
    precision = choose_precision(amp, f"{section}.amp", caps)
    layout, layout_reason = _layout(channels_last, f"{section}.channels_last", precision, caps)
    targets, compile_reason = _compile(compile, f"{section}.compile", precision, caps)
    return StepSetup(caps, precision, layout, targets, layout_reason, compile_reason)


def compile_parts(model: nn.Module, compile: str, backend: str = "inductor") -> nn.Module:
    """`torch.compile` (in place) the parts of `model` that COMPILE_TARGETS[compile] names."""
    for part in COMPILE_TARGETS[compile]:
        if hasattr(model, part):  # an objective without a teacher compiles its student only
            getattr(model, part).compile(backend=backend)
    return model
