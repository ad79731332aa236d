"""One stage of a benchmark suite, as a suite file (configs/bench/*.yaml) declares it."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Stage:
    """One step of a suite; paths in `data`, `subset` and `reads` are relative to `--data-root`."""

    kind: str                          # a registered stage kind: convert, eval, detectron2, mmdet, mmseg
    name: str = ""                     # the key under `stages:` (filled in when the suite is read)
    config: str | None = None          # the recipe config (eval, detectron2, mmdet, mmseg)
    protocol: str | None = None        # eval: knn, linear, linear-fast, semisup, transfer
    dataset: str | None = None         # eval: --dataset
    data: str | None = None            # the data folder the stage's command is pointed at
    subset: str | None = None          # eval semisup: the list of labelled training files
    reads: list[str] = field(default_factory=list)  # further folders it reads, checked by --dry-run
    weights: str | None = None         # the convert stage whose file this stage fine-tunes
    to: str | None = None              # convert: d2, mmdet or mmseg
    gpus: int = 1
    time: int = 60                     # minutes (the SLURM time limit)
    options: list[str] = field(default_factory=list)  # overrides as the stage's tool takes them

    @property
    def data_folders(self) -> list[str]:
        """Everything under the data root this stage reads."""
        return [path for path in (self.data, self.subset, *self.reads) if path]
