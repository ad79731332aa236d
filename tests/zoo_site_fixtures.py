"""A user registry the web-page tests add to the packaged one: a student with a reported and a measured
number, and an unverified one with nothing measured."""
from __future__ import annotations

from pathlib import Path

import yaml

RECORD_SHA = "cd" * 32
USER_MODELS = [
    {"name": "my_seed_resnet18", "kind": "student", "arch": "resnet18", "method": "SEED", "license": "MIT",
     "epochs": 100, "teacher_description": "my ResNet-50",
     "files": [{"url": "https://example.invalid/my_seed_resnet18.pth", "sha256": "ab" * 32, "size": 46_800_000}],
     "metrics": [
         {"benchmark": "imagenet-linear", "metric": "top1", "value": 52.5, "source": "DisCo paper (Gao et al.), Table 1"},
         {"benchmark": "imagenet-linear", "metric": "top1", "value": 99.4, "status": "measured", "protocol": "linear",
          "record": {"sha256": RECORD_SHA, "date": "2026-11-30T10:00:00", "command": "seed eval linear --model my.pth"}},
     ]},
    {"name": "my_unverified_resnet18", "kind": "student", "arch": "resnet18", "method": "MoCo v2", "license": "MIT",
     "files": [{"url": "https://example.invalid/my_unverified_resnet18.pth"}]},
]


def write_user_registry(path: Path) -> Path:
    path.write_text(yaml.safe_dump({"models": USER_MODELS}, sort_keys=False))
    return path
