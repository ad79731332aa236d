"""Stage kinds: how a stage becomes the command a user would type, what it resolves to, how it resumes.

Each kind is registered by name, so a suite's `kind:` picks it and a new framework is a new class here.
"""
from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from downstream.bench.stage import Stage
from seed.config import ConfigError, resolve_config_path, to_dict
from seed.errors import MissingInputError
from seed.registry import Registry
from seed.utils.hashing import file_digest

TOOLS = Path(__file__).resolve().parents[2] / "tools"  # tools/ of the checkout this package runs from


@dataclass
class Command:
    """A command line as a user types it (`seed ...`, `python tools/...`) plus its environment."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)

    def shown(self) -> str:
        return " ".join([*(f"{k}={shlex.quote(v)}" for k, v in self.env.items()), shlex.join(self.argv)])

    def executable(self) -> list[str]:
        """The same line run by this interpreter: `seed` -> `python -m seed`, `python` -> sys.executable."""
        head = {"seed": [sys.executable, "-m", "seed"], "python": [sys.executable],
                "torchrun": [sys.executable, "-m", "torch.distributed.run"]}.get(self.argv[0], self.argv[:1])
        return head + self.argv[1:]


@dataclass
class StageContext:
    """What a stage's command is built from: the student, the stage's folder, the data and its inputs."""

    student_path: str
    student_name: str
    folder: Path
    data_root: Path
    feature_cache: Path
    weights: Path | None = None
    resume: bool = False

    def data(self, relative: str | None) -> str | None:
        return str(self.data_root / relative) if relative else None


class StageKind:
    """The contract every stage kind fulfils."""

    needs: tuple[str, ...] = ("config",)
    resume_flag: str | None = None  # added to the command when the stage resumes an interrupted attempt

    def check(self, stage: Stage, suite: Path) -> None:
        missing = [key for key in self.needs if not getattr(stage, key)]
        if missing:
            raise ConfigError(f"{suite}: stage {stage.name!r} ({stage.kind}) needs {', '.join(missing)}")

    def command(self, stage: Stage, ctx: StageContext) -> Command:
        raise NotImplementedError

    def resolved(self, stage: Stage, data_root: Path) -> dict:
        """What decides the stage's result besides the student: the recipe file's bytes and the data."""
        return {"config_sha256": _config_digest(stage.config), "data": [str(data_root / p) for p in stage.data_folders]}

    def schedule(self, stage: Stage) -> str:
        return ""

    def output(self, stage: Stage, folder: Path) -> Path | None:
        """The file the stage produces for others (a converted checkpoint), if any."""
        return None


def _config_digest(config: str | None) -> str | None:
    try:
        return file_digest(resolve_config_path(config)) if config else None
    except ConfigError:
        return None  # not there (yet): the stage fails with the tool's own message


def config_argument(config: str) -> str:
    """The recipe as the tools should read it: the file found (cwd or packaged), or the name as given."""
    try:
        return str(resolve_config_path(config))
    except ConfigError:
        return config  # not there (yet): the tool names it in its error


def _tool(name: str) -> str:
    path = TOOLS / name
    if not path.is_file():
        raise MissingInputError(f"{path} not found: the Detectron2/OpenMMLab stages run the repository's "
                                "tools/ (install seed-distill from a checkout: pip install -e .)")
    return str(path)


STAGE_KINDS: Registry[StageKind] = Registry("bench stage kind")

CONVERTED_SUFFIX = {"d2": ".d2.pkl", "mmdet": ".mmdet.pth", "mmseg": ".mmseg.pth"}


class Convert(StageKind):
    """`seed convert --to d2|mmdet|mmseg STUDENT FILE`: the checkpoint the framework stages fine-tune."""

    needs = ("to",)

    def command(self, stage: Stage, ctx: StageContext) -> Command:
        return Command(["seed", "convert", "--to", stage.to, ctx.student_path, str(self.output(stage, ctx.folder))])

    def resolved(self, stage: Stage, data_root: Path) -> dict:
        return {"to": stage.to}

    def output(self, stage: Stage, folder: Path) -> Path:
        return folder / f"student{CONVERTED_SUFFIX.get(stage.to, '.' + stage.to)}"


class Eval(StageKind):
    """`seed eval PROTOCOL --model STUDENT --config CFG --data DIR`; features cached beside the stages."""

    needs = ("config", "protocol", "data")

    def overrides(self, stage: Stage, data_root: Path) -> list[str]:
        overrides = [f"data.root={data_root / stage.data}"]
        overrides += [f"data.name={stage.dataset}"] if stage.dataset else []
        overrides += [f"data.subset={data_root / stage.subset}"] if stage.subset else []
        return overrides + stage.options

    def command(self, stage: Stage, ctx: StageContext) -> Command:
        argv = ["seed", "eval", stage.protocol, "--model", ctx.student_path, "--name", ctx.student_name,
                "--config", config_argument(stage.config), "--data", ctx.data(stage.data)]
        argv += ["--dataset", stage.dataset] if stage.dataset else []
        argv += ["--subset", ctx.data(stage.subset)] if stage.subset else []
        return Command(argv + ["--output", str(ctx.folder / "records"), f"features.cache_dir={ctx.feature_cache}",
                               *stage.options])

    def resolved(self, stage: Stage, data_root: Path) -> dict:
        from downstream.config import load_eval_config

        try:
            return to_dict(load_eval_config(stage.config, self.overrides(stage, data_root)))
        except ConfigError:
            return super().resolved(stage, data_root)

    def schedule(self, stage: Stage) -> str:
        from downstream.config import load_eval_config

        cfg = load_eval_config(stage.config, self.overrides(stage, Path(".")))
        if stage.protocol == "knn":
            return f"kNN k={','.join(map(str, cfg.knn.ks))}"
        if stage.protocol == "linear":
            return f"{cfg.linear.epochs} epochs"
        return f"{cfg.probe.epochs} epochs SGD probe" if cfg.probe.method == "sgd" else "L-BFGS probe"


class Detectron2(StageKind):
    """`tools/train_det.py --config-file CFG --num-gpus N MODEL.WEIGHTS FILE ...`, data under $DETECTRON2_DATASETS."""

    needs = ("config", "weights")
    resume_flag = "--resume"

    def command(self, stage: Stage, ctx: StageContext) -> Command:
        argv = ["python", _tool("train_det.py"), "--config-file", config_argument(stage.config), "--num-gpus", str(stage.gpus)]
        argv += [self.resume_flag] if ctx.resume else []
        argv += ["MODEL.WEIGHTS", str(ctx.weights), "OUTPUT_DIR", str(ctx.folder / "train"),
                 "RESULTS.DIR", str(ctx.folder / "records"), "RESULTS.MODEL", ctx.student_name, *stage.options]
        return Command(argv, {"DETECTRON2_DATASETS": ctx.data(stage.data) or str(ctx.data_root)})

    def schedule(self, stage: Stage) -> str:
        from detectron2.config import CfgNode

        solver = CfgNode.load_yaml_with_base(str(resolve_config_path(stage.config)))["SOLVER"]
        return f"{solver['MAX_ITER']} iterations"


class OpenMMLab(StageKind):
    """`tools/train_{mmdet,seg}.py CFG --student FILE --data-root DIR` (torchrun with several GPUs)."""

    needs = ("config", "weights", "data")
    resume_flag = "--resume"
    tool = ""

    def command(self, stage: Stage, ctx: StageContext) -> Command:
        head = (["torchrun", "--nproc_per_node", str(stage.gpus)] if stage.gpus > 1 else ["python"])
        argv = head + [_tool(self.tool), config_argument(stage.config), "--student", str(ctx.weights), "--data-root",
                       ctx.data(stage.data), "--work-dir", str(ctx.folder / "train"),
                       "--results", str(ctx.folder / "records"), "--name", ctx.student_name]
        argv += ["--launcher", "pytorch"] if stage.gpus > 1 else []
        argv += [self.resume_flag] if ctx.resume else []
        return Command(argv + (["--cfg-options", *stage.options] if stage.options else []))

    def schedule(self, stage: Stage) -> str:
        from mmengine.config import Config

        train = Config.fromfile(str(resolve_config_path(stage.config))).train_cfg
        return f"{train['max_iters']} iterations" if "max_iters" in train else f"{train['max_epochs']} epochs"


class MMDetection(OpenMMLab):
    tool = "train_mmdet.py"


class MMSegmentation(OpenMMLab):
    tool = "train_seg.py"


for _name, _kind in (("convert", Convert()), ("eval", Eval()), ("detectron2", Detectron2()),
                     ("mmdet", MMDetection()), ("mmseg", MMSegmentation())):
    STAGE_KINDS.register(_name, _kind)
