"""Known warnings of our dependencies, hidden exactly where we import or call them, and no others."""
from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from typing import Iterator

# fvcore, Detectron2, mmcv and MMSeg call torch.jit.script at import time; torch 2.x deprecates it.
TORCH_JIT_SCRIPT = "`torch.jit.script` is deprecated"


@contextmanager
def without_warning(message: str, category: type[Warning] = FutureWarning) -> Iterator[None]:
    """Inside the block, ignore the warnings of `category` whose message starts with `message`."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=re.escape(message), category=category)
        yield
