"""The embedded demo: a MoCo-v2 teacher, a SEED student and a MoCo-v2 student on real digits, judged by kNN.

Runs on a fresh machine with no downloads: the images are scikit-learn's bundled
handwritten digits. The teacher is kept in the demo folder and reused by later runs.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from downstream.config import EvalConfig, EvalDataConfig, FeatureConfig, KNNConfig
from downstream.datasets import build_split
from downstream.protocols import evaluate
from seed.config import DistillConfig, load_config, to_dict
from seed.data.datasets import Transformed
from seed.data.digits import write_digits_imagefolder
from seed.data.transforms import eval_transform
from seed.engine.checkpoint import latest_checkpoint
from seed.engine.records import write_json_atomic
from seed.engine.trainer import distill
from seed.models import Encoder, load_encoder
from seed.objectives.base import resolve_objective_defaults

COLLAPSE_THRESHOLD = 0.1


def demo_config(name: str, data: Path, output: Path, device: str, *extra: str) -> DistillConfig:
    """A packaged demo config pointed at the demo's data and run folder."""
    cfg = load_config(f"distill/demo/{name}", [f"data.path={data}", f"train.output_dir={output}",
                                               f"train.device={device}", *extra])
    resolve_objective_defaults(cfg)
    return cfg


def finished_with(run: Path, cfg: DistillConfig) -> bool:
    """True when `run` completed with exactly this config (so its student can be reused)."""
    record = run / "run.json"
    if not record.is_file() or not (run / "student.pth").is_file():
        return False
    saved = json.loads(record.read_text())
    return saved.get("status") == "completed" and saved.get("config") == to_dict(cfg)


def train(cfg: DistillConfig, reuse: bool, say: Callable[[str], None]) -> tuple[Path, float]:
    """Train (or reuse, or resume) one demo run; returns its student file and seconds spent."""
    run = Path(cfg.train.output_dir)
    if reuse and finished_with(run, cfg):
        say(f"  reusing {run / 'student.pth'} (delete {run} or pass --retrain-teacher to train it again)")
        return run / "student.pth", 0.0
    resume = latest_checkpoint(run / "checkpoints") if reuse else None
    if resume is not None and json.loads((run / "run.json").read_text()).get("config") != to_dict(cfg):
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


def run_demo(out: str | Path = "seed-demo", device: str = "cpu", retrain_teacher: bool = False,
             say: Callable[[str], None] = print) -> dict:
    """Run the three trainings and the kNN evaluation; print and return the results table."""
    out = Path(out)
    started = time.perf_counter()
    folders = write_digits_imagefolder(out / "data")
    configs = {
        "teacher": demo_config("teacher_mocov2.yaml", folders["train"], out / "teacher", device),
        "seed": demo_config("student_seed.yaml", folders["train"], out / "seed-student", device,
                            f"teacher.checkpoint={out / 'teacher' / 'student.pth'}"),
        "moco": demo_config("student_mocov2.yaml", folders["train"], out / "moco-student", device),
    }
    augmentation = configs["teacher"].data.augmentation
    features = FeatureConfig(image_size=augmentation.size, resize=augmentation.size, mean=augmentation.mean,
                             std=augmentation.std, workers=0, cache_dir=str(out / "features"), progress=False)
    data = EvalDataConfig(name="imagefolder", root=str(out / "data"), num_classes=10)
    val = build_split(data, "val")
    val_loader = DataLoader(Transformed(val.dataset, eval_transform(augmentation.size, augmentation.mean,
                                                                    augmentation.std, crop_fraction=1.0)),
                            batch_size=256)

    titles = {"teacher": "1/3 teacher: ResNet-18, MoCo-v2", "seed": "2/3 student: SEED from the teacher",
              "moco": "3/3 student: MoCo-v2 alone, same epochs"}
    rows = []
    for name, cfg in configs.items():
        say(f"{titles[name]} ({cfg.student.arch}, {cfg.train.epochs} epochs) -> {cfg.train.output_dir}")
        path, seconds = train(cfg, reuse=(name == "teacher" and not retrain_teacher), say=say)
        encoder, _ = load_encoder(path)
        if name == "teacher":
            spread = embedding_spread(encoder, val_loader)
            say(f"  teacher embedding spread {spread:.2f} (1 = spread over the sphere, 0 = collapsed)")
            if spread < COLLAPSE_THRESHOLD:
                raise RuntimeError(f"the demo teacher's projection output has collapsed (spread {spread:.3f}); "
                                   f"delete {out / 'teacher'} and run again")
        eval_cfg = EvalConfig(model=str(path), name=f"demo-{name}", data=data, features=features,
                              knn=KNNConfig(ks=(20,)), output_dir=str(out / "results"), device=device)
        accuracy = evaluate("knn", eval_cfg)[0].metrics
        rows.append({"model": name, "arch": cfg.student.arch, "objective": cfg.objective.name,
                     "epochs": cfg.train.epochs, "params_m": sum(p.numel() for p in encoder.backbone.parameters()) / 1e6,
                     "knn_top1": accuracy["top1"], "knn_top5": accuracy["top5"], "train_seconds": seconds})
        say(f"  kNN top-1 {accuracy['top1']:.1f}%  ({seconds:.0f} s training)")

    results = {"data": "scikit-learn digits (8x8, 1347 train / 450 val)", "protocol": "weighted kNN, k=20, T=0.07",
               "rows": rows, "total_seconds": time.perf_counter() - started}
    write_json_atomic(out / "demo_results.json", results)
    say("")
    say(format_table(rows))
    say(f"\ntotal {results['total_seconds']:.0f} s; results in {out / 'demo_results.json'} "
        f"(and as records: seed results {out / 'results'})")
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
