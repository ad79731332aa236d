"""Mixed precision by name, as configs spell it (`train.amp`, `features.amp`).

`auto` picks what the device runs fastest (seed/utils/capabilities.py): bf16 where it is
native (CPUs with AVX-512 BF16 or AMX that oneDNN uses, Ampere+ GPUs), fp16 with a grad
scaler on older GPUs, fp32 elsewhere. An explicit bf16 on a CPU without native bf16 runs
emulated, many times slower than fp32, so it warns once.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import asdict, dataclass

import torch

from seed.errors import InputError
from seed.utils.capabilities import Capabilities

AMP_DTYPES = {"none": None, "bf16": torch.bfloat16, "fp16": torch.float16}
AMP_CHOICES = ("auto", *AMP_DTYPES)


class EmulatedPrecisionWarning(UserWarning):
    """The requested precision has no hardware support here and runs slowly."""


@dataclass(frozen=True)
class Precision:
    """The autocast precision a run uses (`amp`), what was asked for, and why."""

    amp: str
    requested: str
    reason: str

    @property
    def dtype(self) -> torch.dtype | None:
        return AMP_DTYPES[self.amp]

    @property
    def grad_scaler(self) -> bool:
        """fp16 gradients underflow without loss scaling; bf16 and fp32 need none."""
        return self.amp == "fp16"

    def to_dict(self) -> dict:
        return asdict(self)


def amp_dtype(name: str, option: str) -> torch.dtype | None:
    """The autocast dtype `name` stands for (None: full precision); an unknown name names `option`."""
    if name not in AMP_DTYPES:
        raise InputError(f"{option} must be one of {', '.join(AMP_DTYPES)}, got {name!r}")
    return AMP_DTYPES[name]


def check_amp(name: str, option: str) -> None:
    """Refuse an `option` value that is neither `auto` nor a precision name."""
    if name not in AMP_CHOICES:
        raise InputError(f"{option} must be one of {', '.join(AMP_CHOICES)}, got {name!r}")


def _auto_cpu(caps: Capabilities) -> tuple[str, str]:
    if caps.native_bf16:
        return "bf16", f"auto: native bf16 on this CPU ({caps.bf16_why})"
    return "none", f"auto: fp32, as bf16 would be emulated here ({caps.bf16_why})"


def _auto_cuda(caps: Capabilities) -> tuple[str, str]:
    if caps.native_bf16:
        return "bf16", f"auto: {caps.bf16_why}"
    return "fp16", f"auto: fp16 with a grad scaler, as {caps.bf16_why}"


AUTO_AMP = {"cpu": _auto_cpu, "cuda": _auto_cuda}


@functools.cache
def warn_emulated_bf16(option: str, why: str) -> None:
    """Warn (once per process and option) that bf16 is emulated on this CPU."""
    warnings.warn(f"{option}=bf16: this CPU has no native bf16 ({why}); it runs emulated, many times slower "
                  f"than fp32 (set {option}=auto to let the machine choose)", EmulatedPrecisionWarning, stacklevel=3)


def choose_precision(requested: str, option: str, caps: Capabilities) -> Precision:
    """The precision `requested` (auto, none, bf16, fp16) means on a device with `caps`."""
    check_amp(requested, option)
    if requested == "auto":
        pick = AUTO_AMP.get(caps.device)
        amp, reason = pick(caps) if pick else ("none", f"auto: fp32 on {caps.device}")
        return Precision(amp, requested, reason)
    if requested == "bf16" and caps.device == "cpu" and not caps.native_bf16:
        warn_emulated_bf16(option, caps.bf16_why)
        return Precision(requested, requested, f"{option}=bf16 set explicitly; emulated ({caps.bf16_why})")
    return Precision(requested, requested, f"{option}={requested} set explicitly")
