"""One prepared run that proves and measures the GPU path: step, bound, data, a real run, evaluation.

    PYTHONPATH=. python benchmarks/gpu_suite.py --out gpu_out            # a lent GPU, <= 7 minutes on an H200
    PYTHONPATH=. python benchmarks/gpu_suite.py --quick --out quick_out  # CPU, tiny sizes (the test suite runs it)

Sections, in this process (the real run in `seed distill` subprocesses):
1. step:  the SEED step (ResNet-50 + MoCo-v2 head teacher; EfficientNet-B0, MobileNetV3-L, ResNet-18
          students; batch 256, 224 px): official-style (fp32, NCHW) against ours (bf16 autocast,
          channels_last, eager and torch.compile of the student): img/s, ratio, peak memory.
2. bound: the teacher's forward alone plus the student's forward+backward alone; efficiency =
          bound time / step time; TFLOP/s counted by torch.utils.flop_counter and its share of the
          device's bf16 dense peak.
3. data:  loader img/s on JPEGs written here (ImageNet-like sizes) with the machine's workers: the
          trainer's PIL pipeline against torchvision.io.decode_jpeg + crop on the device; which
          bounds the step, loader or device.
4. run:   `seed distill` (bf16, channels_last) on generated images for a few hundred steps, a
          checkpoint, then `--resume` to the end: both loss curves.
5. eval:  feature extraction img/s (downstream.features) and weighted kNN (downstream.knn) of 50 k
          queries against 1.28 M x 2048 train features, chunked on the device.
Every section runs under try/except: an error is recorded in the table and the next section
runs. The Markdown table and the JSON are rewritten after each section, so a run cut short
keeps what it measured; sections that would start past `--budget` are skipped, and one still
running GRACE_S past it is interrupted (SIGALRM) and recorded as such.
"""
from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torchvision
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode
from torchvision.transforms.v2 import functional as TF

sys.path.insert(0, str(Path(__file__).resolve().parent))  # seed_step, beside this file
from seed_step import (Step, build_our_step, build_reference_step, make_models, prepare,  # noqa: E402
                       seconds_per_call, synchronize)

from downstream.config import EvalDataConfig, FeatureConfig  # noqa: E402
from downstream.datasets import build_split  # noqa: E402
from downstream.features import extract_features  # noqa: E402
from downstream.knn import knn_accuracy  # noqa: E402
from downstream.models import FrozenModel  # noqa: E402
from seed.config import AugmentationConfig, IMAGENET_MEAN, IMAGENET_STD  # noqa: E402
from seed.data.datasets import ImageFolderDataset  # noqa: E402
from seed.data.loader import ResumableBatchSampler, SeededViews, build_loader  # noqa: E402
from seed.data.transforms import MultiView  # noqa: E402
from seed.models.checkpoints import student_record  # noqa: E402
from seed.models.encoder import Encoder, projection_head  # noqa: E402
from seed.models.pretrained import build_backbone  # noqa: E402

log = logging.getLogger("gpu_suite")
REPO = Path(__file__).resolve().parents[1]

# Dense bf16 tensor-core peaks (TFLOP/s) from the vendors' data sheets, matched by device name.
PEAK_BF16_TFLOPS = {"H200": 989.0, "H100 SXM": 989.0, "H100 NVL": 835.0, "H100 PCIe": 756.0, "H100": 756.0,
                    "GH200": 989.0, "B200": 2250.0, "A100": 312.0, "A800": 312.0, "L40S": 362.0, "L40": 181.0,
                    "A10G": 70.0, "A10": 125.0, "L4": 121.0, "RTX 4090": 165.0, "RTX 3090": 71.0}


@dataclass
class Sizes:
    """What each section runs on: the full GPU sizes or the seconds-long CPU quick mode."""

    teacher: str
    students: tuple[str, ...]
    batch: int
    image_size: int
    queue_size: int
    warmup: int
    steps: int
    compile_backend: str
    jpegs: int
    jpeg_size: tuple[int, int]
    loader_batch: int
    run_student: str
    run_teacher: str
    run_batch: int
    run_image_size: int
    run_steps: int
    run_log_every: int
    knn_train: int
    knn_dim: int
    knn_queries: int
    knn_classes: int


GPU = Sizes(teacher="resnet50", students=("efficientnet_b0", "mobilenetv3_large_100", "resnet18"), batch=256,
            image_size=224, queue_size=65536, warmup=3, steps=10, compile_backend="inductor", jpegs=1536,
            jpeg_size=(500, 375), loader_batch=256, run_student="efficientnet_b0", run_teacher="resnet50",
            run_batch=64, run_image_size=224, run_steps=300, run_log_every=10, knn_train=1_281_167, knn_dim=2048,
            knn_queries=50_000, knn_classes=1000)
QUICK = Sizes(teacher="resnet18", students=("resnet18",), batch=2, image_size=32, queue_size=64, warmup=0, steps=1,
              compile_backend="eager", jpegs=16, jpeg_size=(80, 60), loader_batch=4,
              run_student="mobilenetv3_small_050", run_teacher="resnet18", run_batch=4, run_image_size=32, run_steps=6,
              run_log_every=1, knn_train=2048, knn_dim=32, knn_queries=128, knn_classes=10)


GRACE_S = 60  # a section still running this long past the budget is interrupted (a hung loader, say)


class BudgetExhausted(RuntimeError):
    """The suite's time budget ran out before this part could start, or while a section hung."""


def interrupt(signum: int, frame: Any) -> None:
    raise BudgetExhausted(f"interrupted: still running {GRACE_S} s past the time budget")


class Suite:
    """Runs the sections in order, records rows or the error of each, rewrites the report after each."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args, self.sizes = args, QUICK if args.quick else GPU
        self.device = torch.device("cpu" if args.quick else args.device)
        self.out = Path(args.out)
        self.work = Path(tempfile.mkdtemp(prefix="gpu_suite_"))
        self.start = time.perf_counter()
        self.shared: dict[str, Any] = {}  # what one section hands to the next (models, step times, images)
        self.sections: dict[str, dict[str, Any]] = {}
        self.header = environment(self.device, args)

    def remaining(self) -> float:
        return self.args.budget - (time.perf_counter() - self.start)

    def check_budget(self, what: str) -> None:
        if self.remaining() <= 0:
            raise BudgetExhausted(f"time budget of {self.args.budget:.0f} s spent before {what}")

    def run(self, name: str, section: Callable[["Suite"], dict[str, Any]]) -> None:
        log.info("section %s: start (%.0f s of budget left)", name, self.remaining())
        began = time.perf_counter()
        previous = signal.signal(signal.SIGALRM, interrupt)
        signal.alarm(max(1, int(self.remaining() + GRACE_S)))
        try:
            self.check_budget(f"section {name}")
            result = section(self)
            status = "ok"
        except Exception as error:  # one failing section must never lose the others
            log.error("section %s failed:\n%s", name, traceback.format_exc())
            result, status = {"rows": [], "error": f"{type(error).__name__}: {error}"}, "error"
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        result.update(status=status, seconds=round(time.perf_counter() - began, 1))
        self.sections[name] = result
        log.info("section %s: %s in %.1f s", name, status, result["seconds"])
        self.write()

    def write(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        report = {"environment": self.header, "sizes": asdict(self.sizes), "sections": self.sections}
        (self.out / "gpu_suite.json").write_text(json.dumps(report, indent=2, default=str))
        (self.out / "gpu_suite.md").write_text(markdown(report))


def environment(device: torch.device, args: argparse.Namespace) -> dict[str, Any]:
    import timm

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "device": name,
            "mode": "quick (CPU, tiny sizes)" if args.quick else "full", "torch": torch.__version__,
            "torchvision": torchvision.__version__, "timm": timm.__version__, "python": platform.python_version(),
            "cpus": os.cpu_count(), "budget_s": args.budget}


def markdown(report: dict[str, Any]) -> str:
    env = report["environment"]
    lines = [f"GPU suite, {env['date']}: {env['device']}, {env['mode']}, torch {env['torch']}, torchvision "
             f"{env['torchvision']}, timm {env['timm']}, Python {env['python']}, {env['cpus']} CPUs", ""]
    for name, section in report["sections"].items():
        lines.append(f"### {name} ({section['status']}, {section['seconds']} s)")
        if section.get("error"):
            lines.append(f"\nerror: `{' '.join(section['error'].split())}`")
        rows = section["rows"]
        if rows:
            columns = list(dict.fromkeys(key for row in rows for key in row))
            lines += ["", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
            lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
        lines += [f"\n{note}" for note in section.get("notes", [])] + [""]
    return "\n".join(lines)


def cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return "n/a" if value is None else str(value)


def peak_memory_gib(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None


def reset_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def peak_tflops(device_name: str) -> float | None:
    return next((peak for key, peak in PEAK_BF16_TFLOPS.items() if key.lower() in device_name.lower()), None)


# --------------------------------------------------------------------------- 1. the step


def timed_step(suite: Suite, build: Callable[[], Step], images: torch.Tensor) -> tuple[float, float | None]:
    """Seconds per step and peak memory (GiB, CUDA only) of the step `build` makes."""
    reset_memory(suite.device)
    seconds = seconds_per_call(build(), suite.device, suite.sizes.warmup, suite.sizes.steps)
    return seconds, peak_memory_gib(suite.device)


def section_step(suite: Suite) -> dict[str, Any]:
    sizes, device = suite.sizes, suite.device
    rows, suite.shared["steps"] = [], {}
    for student in sizes.students:
        suite.check_budget(f"the step of {student}")
        base = make_models(student, sizes.queue_size, sizes.teacher)
        images = torch.randn(sizes.batch, 3, sizes.image_size, sizes.image_size, device=device)
        # the reference copy lives only while it is timed
        ref_s, ref_mem = timed_step(suite, lambda: build_reference_step(copy.deepcopy(base).to(device), images), images)
        eager = prepare(copy.deepcopy(base).to(device), channels_last=True)
        eager_s, eager_mem = timed_step(suite, lambda: build_our_step(eager, images, "bf16", True), images)
        row = {"student": student, "reference img/s": sizes.batch / ref_s, "ours eager img/s": sizes.batch / eager_s}
        best_s, best = eager_s, "eager"
        if suite.args.compile != "none":
            suite.check_budget(f"compiling {student}")
            compiled = prepare(copy.deepcopy(base).to(device), True, suite.args.compile, sizes.compile_backend)
            compiled_s, compiled_mem = timed_step(suite, lambda: build_our_step(compiled, images, "bf16", True), images)
            row["ours compiled img/s"] = sizes.batch / compiled_s
            if compiled_s < eager_s:
                best_s, best, eager_mem = compiled_s, f"compile {suite.args.compile}", compiled_mem
            del compiled
        row.update({"ours (best) vs reference": ref_s / best_s, "ours uses": best,
                    "reference peak GiB": ref_mem, "ours peak GiB": eager_mem})
        rows.append(row)
        suite.shared["steps"][student] = {"model": eager, "images": images, "step_s": best_s}
        log.info("step %s: reference %.1f img/s, ours %.1f img/s (%s)", student, sizes.batch / ref_s,
                 sizes.batch / best_s, best)
    return {"rows": rows, "notes": [
        f"batch {sizes.batch}, {sizes.image_size} px, queue {sizes.queue_size}, teacher {sizes.teacher} + MoCo-v2 "
        f"head; reference = fp32 NCHW official-style step; ours = bf16 autocast + channels_last, eager and "
        f"torch.compile({suite.args.compile}, backend {sizes.compile_backend}); benchmarks/seed_step.py is the step "
        "benchmarks/distill_throughput.py times too."]}


# --------------------------------------------------------------------------- 2. the bound


def section_bound(suite: Suite) -> dict[str, Any]:
    sizes, device = suite.sizes, suite.device
    if not suite.shared.get("steps"):
        raise RuntimeError("needs section step's models and step times, and it recorded none")
    peak = peak_tflops(suite.header["device"]) if device.type == "cuda" else None
    rows = []
    for student, measured in suite.shared["steps"].items():
        suite.check_budget(f"the bound of {student}")
        model, images = measured["model"], measured["images"].contiguous(memory_format=torch.channels_last)

        def teacher_forward() -> None:
            with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16):
                model.teacher(images)

        def student_forward_backward() -> None:
            with torch.autocast(device.type, dtype=torch.bfloat16):
                loss = model.student(images).float().square().mean()
            loss.backward()
            model.student.zero_grad(set_to_none=True)

        teacher_s = seconds_per_call(teacher_forward, device, sizes.warmup, sizes.steps)
        student_s = seconds_per_call(student_forward_backward, device, sizes.warmup, sizes.steps)
        step = build_our_step(model, images, "bf16", True)
        with FlopCounterMode(display=False) as counter:
            step()
        synchronize(device)
        flops, bound_s = counter.get_total_flops(), teacher_s + student_s
        achieved = flops / measured["step_s"] / 1e12
        rows.append({"student": student, "teacher fwd ms": teacher_s * 1e3, "student fwd+bwd ms": student_s * 1e3,
                     "bound ms": bound_s * 1e3, "step ms": measured["step_s"] * 1e3,
                     "efficiency (bound/step)": bound_s / measured["step_s"], "GFLOP/step": flops / 1e9,
                     "achieved TFLOP/s": achieved, "share of bf16 peak": achieved / peak if peak else None})
    return {"rows": rows, "notes": [
        f"bf16 dense peak used: {peak} TFLOP/s" if peak else "bf16 dense peak: n/a (device not in the table)",
        "FLOPs of one step of ours (eager) counted by torch.utils.flop_counter.FlopCounterMode."]}


# --------------------------------------------------------------------------- 3. data


def write_jpegs(root: Path, count: int, size: tuple[int, int], classes: int = 8) -> Path:
    """root/<wnid>/<wnid>_<i>.JPEG: smooth colour fields plus noise, ImageNet-like file sizes."""
    if root.is_dir():
        return root
    rng = np.random.default_rng(0)
    for index in range(count):
        folder = root / f"n{index % classes:08d}"
        folder.mkdir(parents=True, exist_ok=True)
        coarse = Image.fromarray(rng.integers(0, 255, (12, 16, 3), dtype=np.uint8)).resize(size, Image.BICUBIC)
        pixels = np.asarray(coarse, dtype=np.int16) + rng.integers(-20, 20, (size[1], size[0], 3))
        Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(folder / f"{folder.name}_{index}.JPEG",
                                                                   quality=90)
    return root


class EncodedFiles(torch.utils.data.Dataset):
    """The JPEG bytes of an ImageFolder's files, for decoding on the device (numpy arrays: pickled
    whole between processes, not through shared-memory file descriptors)."""

    def __init__(self, root: Path) -> None:
        self.samples = ImageFolderDataset(root).samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> np.ndarray:
        return np.fromfile(self.samples[index][0], dtype=np.uint8)


def device_views(encoded: list[np.ndarray], device: torch.device, size: int,
                 generator: torch.Generator) -> torch.Tensor:
    """decode_jpeg on `device`, then a random-resized crop (scale 0.2-1), flip and normalisation per image."""
    decoded = torchvision.io.decode_jpeg([torch.from_numpy(data) for data in encoded], device=device)
    mean = torch.tensor(IMAGENET_MEAN, device=device).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=device).view(3, 1, 1)
    views = []
    for image in decoded:
        height, width = image.shape[-2:]
        area = height * width * torch.empty(1).uniform_(0.2, 1.0, generator=generator).item()
        side = int(min(height, width, area ** 0.5))
        top = int(torch.randint(0, height - side + 1, (1,), generator=generator))
        left = int(torch.randint(0, width - side + 1, (1,), generator=generator))
        view = TF.resized_crop(image, top, left, side, side, [size, size], antialias=True)
        if torch.rand(1, generator=generator).item() < 0.5:
            view = view.flip(-1)
        views.append((view.float() / 255 - mean) / std)
    return torch.stack(views)


def images_per_second(batches: Any, consume: Callable[[Any], int], device: torch.device) -> float:
    """Images per second over `batches`, the first batch (worker start-up) untimed."""
    iterator = iter(batches)
    consume(next(iterator))
    start, images = time.perf_counter(), 0
    for batch in iterator:
        images += consume(batch)
    synchronize(device)
    return images / max(time.perf_counter() - start, 1e-9)


def section_data(suite: Suite) -> dict[str, Any]:
    sizes, device, workers = suite.sizes, suite.device, min(os.cpu_count() or 1, 16)
    root = write_jpegs(suite.work / "images" / "train", sizes.jpegs, sizes.jpeg_size)
    files = sorted(root.rglob("*.JPEG"))
    mean_kib = sum(f.stat().st_size for f in files) / len(files) / 1024
    augmentation = AugmentationConfig(size=sizes.image_size)
    views = SeededViews(ImageFolderDataset(root), MultiView(augmentation, {"global": 1}), seed=0)
    sampler = ResumableBatchSampler(len(files), sizes.loader_batch, 0, 1, seed=0)
    loader = build_loader(views, sampler, workers, pin_memory=device.type == "cuda")
    pil = images_per_second(loader, lambda batch: batch.views["global"][0].to(device, non_blocking=True).shape[0],
                            device)
    encoded = torch.utils.data.DataLoader(EncodedFiles(root), batch_size=sizes.loader_batch, num_workers=workers,
                                          collate_fn=list)
    generator = torch.Generator().manual_seed(0)
    on_device = images_per_second(encoded, lambda batch: device_views(batch, device, sizes.image_size,
                                                                      generator).shape[0], device)
    rows = [{"pipeline": "PIL decode + MoCo-v2 augmentation in workers (the trainer's loader)", "img/s": pil},
            {"pipeline": f"torchvision.io.decode_jpeg + crop/flip on {device.type}", "img/s": on_device}]
    notes = [f"{len(files)} JPEGs of {sizes.jpeg_size[0]}x{sizes.jpeg_size[1]} px (mean {mean_kib:.0f} KiB), "
             f"{workers} workers, batch {sizes.loader_batch}, crops of {sizes.image_size} px."]
    steps = suite.shared.get("steps", {})
    for student, measured in steps.items():
        step_rate = sizes.batch / measured["step_s"]
        bound = "loader" if pil < step_rate else "device"
        notes.append(f"{student}: step {step_rate:.0f} img/s against the PIL loader's {pil:.0f} img/s: the {bound} "
                     "bounds training.")
    return {"rows": rows, "notes": notes}


# --------------------------------------------------------------------------- 4. a real run


def read_losses(run_dir: Path) -> list[tuple[int, float, float]]:
    """(step, loss, img/s) of every logged step in the run's metrics.jsonl."""
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [(int(m["step"]), float(m["loss"]), float(m["img_per_s"])) for m in map(json.loads, lines)]


def distill(suite: Suite, config: Path, *extra: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "seed", "distill", "--config", str(config), *extra]
    log.info("running %s", " ".join(command))
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=max(30, suite.remaining()))
    if done.returncode != 0:
        raise RuntimeError(f"seed distill {' '.join(extra)} exited {done.returncode}: {done.stderr[-1500:]}")


def section_run(suite: Suite) -> dict[str, Any]:
    sizes = suite.sizes
    images = write_jpegs(suite.work / "images" / "train", sizes.jpegs, sizes.jpeg_size)
    teacher_path = suite.work / "teacher.pth"
    torch.manual_seed(0)
    backbone = build_backbone(sizes.run_teacher)
    teacher = Encoder(backbone, projection_head(backbone.num_features, backbone.num_features, 128))
    torch.save(student_record(teacher, sizes.run_teacher, {}, {}), teacher_path)
    first_steps = sizes.run_steps // 2
    steps_per_epoch = sizes.jpegs // sizes.run_batch
    run_dir = suite.work / "run"
    config = suite.work / "distill.yaml"
    config.write_text(json.dumps({  # JSON is YAML
        "data": {"path": str(images), "batch_size": sizes.run_batch, "workers": min(os.cpu_count() or 1, 16),
                 "augmentation": {"size": sizes.run_image_size}},
        "teacher": {"checkpoint": str(teacher_path)}, "student": {"arch": sizes.run_student},
        "objective": {"name": "seed", "params": {"queue_size": min(4096, sizes.queue_size)}},
        "train": {"epochs": -(-sizes.run_steps // steps_per_epoch), "max_steps": first_steps,
                  "device": suite.device.type, "amp": "bf16", "channels_last": True, "progress": False,
                  "log_every": sizes.run_log_every, "checkpoint_every": first_steps, "output_dir": str(run_dir)}}))
    distill(suite, config)
    first = read_losses(run_dir)
    checkpoints = sorted(p.name for p in (run_dir / "checkpoints").glob("*.pth"))
    suite.check_budget("the resumed run")
    distill(suite, config, f"train.max_steps={sizes.run_steps}", "--resume")  # --resume last: it takes a value
    resumed = [entry for entry in read_losses(run_dir) if entry[0] > first_steps]
    status = json.loads((run_dir / "run.json").read_text())

    def row(name: str, curve: list[tuple[int, float, float]]) -> dict[str, Any]:
        return {"run": name, "steps": f"{curve[0][0]}-{curve[-1][0]}", "first loss": curve[0][1],
                "last loss": curve[-1][1], "img/s (mean of logs)": float(np.mean([c[2] for c in curve[1:] or curve]))}

    # the resumed curve continues the first when it starts nearer the first run's end than its start
    continues = abs(resumed[0][1] - first[-1][1]) < abs(resumed[0][1] - first[0][1])
    return {"rows": [row("first (to the checkpoint)", first), row("resumed (--resume)", resumed)],
            "curves": {"first": first, "resumed": resumed}, "notes": [
                f"`seed distill` teacher {sizes.run_teacher}, student {sizes.run_student}, batch {sizes.run_batch}, "
                f"{sizes.run_image_size} px, bf16, channels_last, {suite.device.type}; checkpoint(s) {checkpoints}; "
                f"final status {status.get('status')} at step {status.get('step')}.",
                f"resumed curve continues the first: {'yes' if continues else 'NO'} (loss {first[0][1]:.3f} -> "
                f"{first[-1][1]:.3f}, resumed at {resumed[0][1]:.3f})."]}


# --------------------------------------------------------------------------- 5. evaluation


def section_eval(suite: Suite) -> dict[str, Any]:
    sizes, device = suite.sizes, suite.device
    root = write_jpegs(suite.work / "images" / "train", sizes.jpegs, sizes.jpeg_size).parent
    split = build_split(EvalDataConfig(name="imagenet", root=str(root)), "train")
    model = FrozenModel(sizes.teacher, build_backbone(sizes.teacher), sizes.teacher, None, None, "random")
    features_cfg = FeatureConfig(image_size=sizes.image_size, resize=sizes.image_size, workers=min(os.cpu_count() or 1,
                                 16), batch_size=sizes.loader_batch, amp="bf16", cache_dir=str(suite.work / "cache"),
                                 progress=False)
    start = time.perf_counter()
    extract_features(model, split, "train", features_cfg, device)
    extract_rate = len(split) / (time.perf_counter() - start)
    suite.check_budget("kNN")
    generator = torch.Generator(device).manual_seed(0)
    train = torch.randn(sizes.knn_train, sizes.knn_dim, device=device, generator=generator)
    labels = torch.randint(0, sizes.knn_classes, (sizes.knn_train,), device=device, generator=generator)
    queries = train[:sizes.knn_queries] + 0.5 * torch.randn(sizes.knn_queries, sizes.knn_dim, device=device,
                                                            generator=generator)
    synchronize(device)
    start = time.perf_counter()
    accuracy = knn_accuracy(train, labels, queries, labels[:sizes.knn_queries], 20, 0.07, True, sizes.knn_classes)
    synchronize(device)
    knn_s = time.perf_counter() - start
    del train, queries
    return {"rows": [
        {"measure": f"feature extraction ({sizes.teacher}, bf16, {sizes.image_size} px, JPEG folder)",
         "value": extract_rate, "unit": "img/s"},
        {"measure": f"weighted kNN k=20: {sizes.knn_queries} queries x {sizes.knn_train} x {sizes.knn_dim} train",
         "value": knn_s, "unit": "s wall"},
        {"measure": "kNN queries per second", "value": sizes.knn_queries / knn_s, "unit": "queries/s"},
        {"measure": "kNN top-1 on the planted neighbours (sanity, ~100)", "value": accuracy["top1"], "unit": "%"}],
        "notes": [f"train features generated on {device.type}; downstream.knn chunks the queries (1024 at a time)."]}


SECTIONS: dict[str, Callable[[Suite], dict[str, Any]]] = {
    "step": section_step, "bound": section_bound, "data": section_data, "run": section_run, "eval": section_eval}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="folder for gpu_suite.md, gpu_suite.json and gpu_suite.log")
    parser.add_argument("--quick", action="store_true", help="CPU, tiny sizes: proves every section runs")
    parser.add_argument("--device", default="cuda", help="the device of the full run (default cuda)")
    parser.add_argument("--budget", type=float, default=None, help="seconds; sections past it are skipped "
                        "(default 400 full, 600 quick)")
    parser.add_argument("--compile", default="student", choices=["none", "student", "all"],
                        help="torch.compile in section 1's 'ours' (the quick mode traces with the eager backend)")
    parser.add_argument("--sections", nargs="*", default=list(SECTIONS), choices=list(SECTIONS), metavar="NAME",
                        help=f"a subset of {', '.join(SECTIONS)}")
    args = parser.parse_args(argv)
    args.budget = args.budget or (600.0 if args.quick else 400.0)
    if not args.quick and not (args.device.startswith("cuda") and torch.cuda.is_available()):
        parser.error(f"--device {args.device}: no CUDA device here; use --quick for the CPU mode")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                        handlers=[logging.StreamHandler(), logging.FileHandler(Path(args.out) / "gpu_suite.log")])
    if not args.quick:
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
    suite = Suite(args)
    log.info("GPU suite on %s, torch %s, out %s, work %s", suite.header["device"], torch.__version__, args.out,
             suite.work)
    for name in args.sections:
        suite.run(name, SECTIONS[name])
    print((suite.out / "gpu_suite.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
