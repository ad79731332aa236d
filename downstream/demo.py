"""The embedded demo: a MoCo-v2 teacher, a SEED student and a MoCo-v2 student on real digits, judged by kNN.

Runs on a fresh machine with no downloads: the images are scikit-learn's bundled
handwritten digits. The teacher is kept in the demo folder and reused by later runs.
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from downstream.config import EvalConfig, EvalDataConfig, FeatureConfig, KNNConfig
from downstream.datasets import build_split
from downstream.protocols import evaluate
from seed.config import ConfigError, DistillConfig, from_dict, load_config, to_dict
from seed.data.datasets import Transformed
from seed.data.digits import write_digits_imagefolder
from seed.data.transforms import eval_transform
from seed.engine.checkpoint import latest_checkpoint
from seed.engine.records import write_json_atomic
from seed.engine.trainer import distill
from seed.errors import SeedError
from seed.models import Encoder, load_encoder
from seed.objectives.base import resolve_objective_defaults

COLLAPSE_THRESHOLD = 0.1


def demo_config(name: str, data: Path, output: Path, device: str, *extra: str) -> DistillConfig:
    """A packaged demo config pointed at the demo's data and run folder."""
    cfg = load_config(f"distill/demo/{name}", [f"data.path={data}", f"train.output_dir={output}",
                                               f"train.device={device}", *extra])
    resolve_objective_defaults(cfg)
    return cfg


LOCATIONS = (("data", "path"), ("train", "output_dir"), ("teacher", "checkpoint"))  # where, not what


def recipe(config: dict) -> dict:
    """A config without the keys that only say where its files lie: a demo folder moved or copied
    elsewhere holds the same runs."""
    return {section: {key: value for key, value in values.items() if (section, key) not in LOCATIONS}
            if isinstance(values, dict) else values for section, values in config.items()}


def same_config(saved: dict | None, cfg: DistillConfig) -> bool:
    """True when a run's saved config, read with today's defaults, equals `cfg` but for its locations."""
    try:
        return saved is not None and recipe(to_dict(from_dict(DistillConfig, saved, source="run.json"))) == \
            recipe(to_dict(cfg))
    except ConfigError:
        return False


def run_record(run: Path) -> dict:
    """A run folder's run.json, or {} when it has none (yet)."""
    record = run / "run.json"
    return json.loads(record.read_text()) if record.is_file() else {}


def finished_with(run: Path, cfg: DistillConfig) -> bool:
    """True when `run` completed with exactly this config (so its student can be reused)."""
    saved = run_record(run)
    return (run / "student.pth").is_file() and saved.get("status") == "completed" and same_config(saved.get("config"), cfg)


def train(cfg: DistillConfig, reuse: bool, say: Callable[[str], None]) -> tuple[Path, float]:
    """Train (or reuse, or resume) one demo run; returns its student file and seconds spent."""
    run = Path(cfg.train.output_dir)
    if reuse and finished_with(run, cfg):
        say(f"  reusing {run / 'student.pth'} (delete {run} to train it again)")
        return run / "student.pth", 0.0
    resume = latest_checkpoint(run / "checkpoints") if reuse else None
    if resume is not None and not same_config(run_record(run).get("config"), cfg):
        resume = None  # an older config's run: start over rather than mix recipes
    if resume is None:
        shutil.rmtree(run, ignore_errors=True)
    start = time.perf_counter()
    result = distill(cfg, resume_from=resume)
    return result.student_path, time.perf_counter() - start


@torch.inference_mode()
def embedding_spread(encoder: Encoder, loader: DataLoader) -> float:
    """Mean per-dimension std of the L2-normalised embeddings, times sqrt(D): about 1 when the
    embeddings spread over the sphere, 0 when they have collapsed to one point."""
    encoder.eval()
    embeddings = torch.cat([F.normalize(encoder(images), dim=1) for images, _ in loader])
    return float(embeddings.std(0).mean() * embeddings.shape[1] ** 0.5)


@dataclass
class DemoBench:
    """The demo's data, its evaluation settings and its folders: shared by the demo and the
    objective comparison (benchmarks/compare_objectives.py)."""

    out: Path
    device: str
    train_folder: Path
    data: EvalDataConfig
    features: FeatureConfig
    val_loader: DataLoader

    @classmethod
    def prepare(cls, out: str | Path, device: str) -> "DemoBench":
        out = Path(out)
        folders = write_digits_imagefolder(out / "data")
        augmentation = load_config("distill/demo/base.yaml").data.augmentation
        # no transform settings: each model is evaluated as its student file records it was trained
        features = FeatureConfig(workers=0, cache_dir=str(out / "features"), progress=False,
                                 amp="none")  # fp32, as the demo trains: the same table on every machine
        data = EvalDataConfig(name="digits", root=str(out / "data"), num_classes=10)
        transform = eval_transform(augmentation.size, augmentation.mean, augmentation.std,
                                   crop_fraction=augmentation.eval_crop_pct)
        val_loader = DataLoader(Transformed(build_split(data, "val").dataset, transform), batch_size=256)
        return cls(out, device, folders["train"], data, features, val_loader)

    @property
    def teacher_path(self) -> Path:
        return self.out / "teacher" / "student.pth"

    def config(self, name: str, output: Path, distilled: bool = True) -> DistillConfig:
        """A packaged demo config pointed at the demo's data, `output` folder and (`distilled`) teacher."""
        extra = [f"teacher.checkpoint={self.teacher_path}"] if distilled else []
        return demo_config(name, self.train_folder, output, self.device, *extra)

    def teacher(self, retrain: bool, say: Callable[[str], None]) -> dict:
        """Train (or reuse) the demo teacher, refuse a collapsed one, and return its row."""
        cfg = self.config("teacher_mocov2.yaml", self.out / "teacher", distilled=False)
        say(f"teacher: {cfg.student.arch}, MoCo-v2, {cfg.train.epochs} epochs -> {cfg.train.output_dir}")
        path, seconds = train(cfg, reuse=not retrain, say=say)
        encoder, _ = load_encoder(path)
        spread = embedding_spread(encoder, self.val_loader)
        say(f"  teacher embedding spread {spread:.2f} (1 = spread over the sphere, 0 = collapsed)")
        if spread < COLLAPSE_THRESHOLD:
            raise SeedError(f"the demo teacher's projection output has collapsed (spread {spread:.3f}); "
                            f"delete {self.out / 'teacher'} and run again")
        return self.knn_row("teacher", cfg, path, seconds, say)

    def student(self, name: str, cfg: DistillConfig, say: Callable[[str], None], reuse: bool = False) -> dict:
        """Train one student from scratch (or `reuse` its finished run) and return its kNN row."""
        say(f"{name}: {cfg.student.arch}, {cfg.objective.name}, {cfg.train.epochs} epochs -> {cfg.train.output_dir}")
        path, seconds = train(cfg, reuse=reuse, say=say)
        return self.knn_row(name, cfg, path, seconds, say)

    def knn_row(self, name: str, cfg: DistillConfig, path: Path, seconds: float, say: Callable[[str], None]) -> dict:
        """Weighted kNN (k=20) on the held-out digits, written as a result record too."""
        eval_cfg = EvalConfig(model=str(path), name=f"demo-{name}", data=self.data, features=self.features,
                              knn=KNNConfig(ks=(20,)), output_dir=str(self.out / "results"), device=self.device)
        record = evaluate("knn", eval_cfg)[0]
        backbone = load_encoder(path)[0].backbone
        say(f"  kNN top-1 {record.metrics['top1']:.1f}%  ({seconds:.0f} s training)")
        return {"model": name, "arch": cfg.student.arch, "objective": cfg.objective.name, "epochs": cfg.train.epochs,
                "params_m": sum(p.numel() for p in backbone.parameters()) / 1e6,
                "knn_top1": record.metrics["top1"], "knn_top5": record.metrics["top5"], "train_seconds": seconds}


def run_demo(out: str | Path = "seed-demo", device: str = "cpu", retrain_teacher: bool = False,
             say: Callable[[str], None] = print, threads: int = 2, suite: bool = False) -> dict:
    """Train the teacher, the SEED student and the MoCo-v2 student; print and return the kNN table.
    `suite`: reuse finished students too, then run the embedded suite for them (downstream/demo_suite.py).

    `threads` pins torch's CPU threads: a CPU reduction's result depends on how it is split, so
    the same thread count gives the same numbers on every run."""
    torch.set_num_threads(threads)
    started = time.perf_counter()
    bench = DemoBench.prepare(out, device)
    rows = [bench.teacher(retrain_teacher, say),
            bench.student("seed", bench.config("student_seed.yaml", bench.out / "seed-student"), say, reuse=suite),
            bench.student("moco", bench.config("student_mocov2.yaml", bench.out / "moco-student", distilled=False),
                          say, reuse=suite)]
    results = {"data": "scikit-learn digits (8x8, 1347 train / 450 val)", "protocol": "weighted kNN, k=20, T=0.07",
               "rows": rows, "total_seconds": time.perf_counter() - started}
    write_json_atomic(bench.out / "demo_results.json", results)
    say("")
    say(format_table(rows))
    say(f"\ntotal {results['total_seconds']:.0f} s; results in {bench.out / 'demo_results.json'} "
        f"(and as records: seed results {bench.out / 'results'})")
    if suite:
        from downstream.demo_suite import run_suite

        suite_started = time.perf_counter()
        students = {"teacher": bench.teacher_path, "seed": bench.out / "seed-student" / "student.pth",
                    "moco": bench.out / "moco-student" / "student.pth"}
        results["suite"] = run_suite(students, bench.out, threads, say)
        results["suite"]["seconds"] = time.perf_counter() - suite_started
        say(f"suite {results['suite']['seconds']:.0f} s; demo and suite {time.perf_counter() - started:.0f} s")
    return results


def format_table(rows: list[dict]) -> str:
    """The demo's results as a Markdown table."""
    lines = ["| model | backbone | params | objective | epochs | kNN top-1 | kNN top-5 | train time |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        seconds = "reused" if row["train_seconds"] == 0 else f"{row['train_seconds']:.0f} s"
        lines.append(f"| {row['model']} | {row['arch']} | {row['params_m']:.2f}M | {row['objective']} | "
                     f"{row['epochs']} | {row['knn_top1']:.1f} | {row['knn_top5']:.1f} | {seconds} |")
    return "\n".join(lines)
