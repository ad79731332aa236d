"""Load a weights file into a Detectron2 model with Detectron2's checkpointer, and say what it left out.

Detectron2 only logs missing or unused keys, so a student checkpoint for the wrong architecture
silently trains a randomly initialised backbone. Here the load is the same (DetectionCheckpointer,
its name-matching heuristics included), but what it reports is kept, and a part of the model that
must come from the file and did not is an error naming the file and the keys.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from detectron2.checkpoint import DetectionCheckpointer
from detectron2.modeling.backbone.fpn import FPN
from detectron2.modeling.backbone.vit import SimpleFeaturePyramid
from detectron2.modeling.roi_heads import Res5ROIHeads
from torch import nn

from seed.errors import MissingInputError
from downstream.load_report import COUNTERS, StudentWeightsError, first_keys

__all__ = ["COUNTERS", "LoadReport", "StudentWeightsError", "load_weights", "student_prefixes"]


class _ReportingCheckpointer(DetectionCheckpointer):
    """DetectionCheckpointer that keeps what the last load left missing and unused."""

    def _load_model(self, checkpoint: dict):
        self.file_info = checkpoint.get("seed", {})
        self.file_tensors = len(checkpoint["model"])
        self.incompatible = super()._load_model(checkpoint)
        return self.incompatible


@dataclass
class LoadReport:
    """What one load did: file tensors that found their place, required keys missed, file keys unused."""

    path: str
    loaded: int
    missing: list[str]
    unused: list[str]
    file_info: dict = field(default_factory=dict)

    def summary(self) -> str:
        """One line: loaded, missing and unused counts, naming the first unused keys."""
        text = f"{self.loaded} tensors loaded, {len(self.missing)} missing, {len(self.unused)} unused"
        return text + (f" ({first_keys(self.unused)})" if self.unused else "")

    def raise_if_missing(self, what: str, hint: str | None = None) -> None:
        """StudentWeightsError when a required key was not filled; `hint` says what to do (default:
        check that the config's architecture is the student's)."""
        if not self.missing:
            return
        arch = self.file_info.get("arch")
        hint = hint or ((f"the file holds a {arch!r} student; " if arch else "")
                        + "check that MODEL.BACKBONE.NAME and MODEL.TIMM.ARCH / MODEL.RESNETS.DEPTH match it "
                        "(tools/convert_to_d2.py prints the matching settings)")
        raise StudentWeightsError(
            f"{self.path}: {len(self.missing)} weights of the {what} are not in this file and would stay "
            f"random: {first_keys(self.missing)}"
            + (f"; file keys left unused: {first_keys(self.unused)}" if self.unused else "") + f". {hint}")


EXTRA_NORM = "roi_heads.res5.norm."  # LastStageROIHeads' (and MoCo's) norm after the last stage: new


def student_prefixes(model: nn.Module) -> list[str]:
    """Where the student's own weights live in a GeneralizedRCNN: the backbone (FPN: its bottom-up
    network; ViTDet's simple feature pyramid: its net) and, for C4 heads, the last stage (its extra
    norm excepted, see EXTRA_NORM)."""
    prefixes = ["backbone.bottom_up." if isinstance(model.backbone, FPN)
                else "backbone.net." if isinstance(model.backbone, SimpleFeaturePyramid) else "backbone."]
    if isinstance(getattr(model, "roi_heads", None), Res5ROIHeads):
        prefixes.append("roi_heads.res5.")
    return prefixes


def load_weights(model: nn.Module, path: str | Path, everything: bool = False) -> LoadReport:
    """Load `path` into `model` with DetectionCheckpointer; report on the student's parts, or on
    every key when `everything` (a fine-tuned model, e.g. for --eval-only)."""
    path = str(path)
    if "://" not in path and not Path(path).is_file():
        raise MissingInputError(f"MODEL.WEIGHTS: {path!r} does not exist "
                                "(convert a student with tools/convert_to_d2.py)")
    required, optional = ([""], ()) if everything else (student_prefixes(model), (EXTRA_NORM,))
    checkpointer = _ReportingCheckpointer(model)
    checkpointer.load(path, checkpointables=[])
    incompatible = checkpointer.incompatible
    missing = [k for k in incompatible.missing_keys
               if k.startswith(tuple(required)) and not k.startswith(optional) and not k.endswith(COUNTERS)]
    unused = [k for k in incompatible.unexpected_keys if not k.endswith(COUNTERS)]
    loaded = checkpointer.file_tensors - len(incompatible.unexpected_keys) - len(incompatible.incorrect_shapes)
    return LoadReport(path, loaded, missing, unused, checkpointer.file_info)
