"""Mixed precision by name, as configs spell it (`train.amp`, `features.amp`)."""
from __future__ import annotations

import torch

from seed.errors import InputError

AMP_DTYPES = {"none": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def amp_dtype(name: str, option: str) -> torch.dtype | None:
    """The autocast dtype `name` stands for (None: full precision); an unknown name names `option`."""
    if name not in AMP_DTYPES:
        raise InputError(f"{option} must be one of {', '.join(AMP_DTYPES)}, got {name!r}")
    return AMP_DTYPES[name]
