"""One prepared run that proves and measures the GPU path: step, bound, data, a real run, evaluation.

    PYTHONPATH=. python benchmarks/gpu_suite.py --out gpu_out            # a GPU, <= 7 minutes on an H200
    PYTHONPATH=. python benchmarks/gpu_suite.py --quick --out quick_out  # CPU, tiny sizes (the test suite runs it)

Sections, in this process (the real run in `seed distill` subprocesses), each with its own sizes:
1. step:  the SEED step (ResNet-50 + MoCo-v2 head teacher; EfficientNet-B0, MobileNetV3-L, ResNet-18
          students; batch 256, 224 px): official-style (fp32, NCHW) against ours (bf16 autocast,
          channels_last, eager and torch.compile of the student): img/s, ratio, peak memory.
2. bound: the teacher's forward alone plus the student's forward+backward alone; efficiency =
          bound time / step time; TFLOP/s counted by torch.utils.flop_counter and its share of the
          device's bf16 dense peak.
3. data:  the trainer's loader (PIL decode + MoCo-v2 augmentation in workers) on JPEGs written here
          (ImageNet-like sizes) with the machine's workers, and whether it or the device bounds the step.
4. run:   `seed distill` (bf16, channels_last) on those images to a checkpoint, then `--resume` to the
          end: both loss curves and the verdict on the resume.
5. eval:  feature extraction img/s (downstream.features) and weighted kNN (downstream.knn) of 50 k
          queries against 1.28 M x 2048 train features, chunked on the device.
benchmarks/report.py runs them: the Markdown table and the JSON are rewritten after each section, a
failing section is recorded as an error and the next one runs, a section that would start past
`--budget` is recorded as skipped, and one still running GRACE_S past it is interrupted (SIGALRM).
"""
from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torchvision
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))  # report and seed_step, beside this file
from report import Sections, device_name, synchronize  # noqa: E402
from seed_step import Step, build_our_step, build_reference_step, make_models, prepare, seconds_per_call  # noqa: E402

from downstream.config import EvalDataConfig, FeatureConfig  # noqa: E402
from downstream.datasets import build_split  # noqa: E402
from downstream.features import extract_features  # noqa: E402
from downstream.knn import knn_accuracy  # noqa: E402
from downstream.models import FrozenModel  # noqa: E402
from seed.config import AugmentationConfig  # noqa: E402
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
GRACE_S = 60  # a section still running this long past the budget is interrupted (a hung loader, say)


@dataclass(frozen=True)
class StepSizes:
    """Sections step and bound (and eval's feature extraction): models, batch, timing."""

    teacher: str
    students: tuple[str, ...]
    batch: int
    image_size: int
    queue_size: int
    warmup: int
    steps: int
    compile_backend: str


@dataclass(frozen=True)
class ImageSizes:
    """The JPEG folder that sections data, run and eval read."""

    count: int
    size: tuple[int, int]  # width, height
    loader_batch: int


@dataclass(frozen=True)
class RunSizes:
    """Section run: the `seed distill` run that is stopped at half its steps and resumed."""

    teacher: str
    student: str
    batch: int
    image_size: int
    steps: int
    log_every: int


@dataclass(frozen=True)
class KnnSizes:
    """Section eval's kNN: generated train features and queries."""

    train: int
    dim: int
    queries: int
    classes: int


@dataclass(frozen=True)
class Sizes:
    step: StepSizes
    images: ImageSizes
    run: RunSizes
    knn: KnnSizes


GPU = Sizes(
    step=StepSizes(teacher="resnet50", students=("efficientnet_b0", "mobilenetv3_large_100", "resnet18"), batch=256,
                   image_size=224, queue_size=65536, warmup=3, steps=10, compile_backend="inductor"),
    images=ImageSizes(count=1536, size=(500, 375), loader_batch=256),
    run=RunSizes(teacher="resnet50", student="efficientnet_b0", batch=64, image_size=224, steps=300, log_every=10),
    knn=KnnSizes(train=1_281_167, dim=2048, queries=50_000, classes=1000))
QUICK = Sizes(
    step=StepSizes(teacher="resnet18", students=("resnet18",), batch=2, image_size=32, queue_size=64, warmup=0,
                   steps=1, compile_backend="eager"),
    images=ImageSizes(count=16, size=(80, 60), loader_batch=4),
    run=RunSizes(teacher="resnet18", student="mobilenetv3_small_050", batch=4, image_size=32, steps=6, log_every=1),
    knn=KnnSizes(train=2048, dim=32, queries=128, classes=10))


@dataclass
class Suite:
    """What the sections share: the options, device and sizes, a scratch folder, the runner (for its
    budget), and what one section hands the next (`shared`: models, step times)."""

    args: argparse.Namespace
    device: torch.device
    sizes: Sizes
    work: Path
    runner: Sections
    shared: dict[str, Any] = field(default_factory=dict)

    def check_budget(self, what: str) -> None:
        self.runner.check_budget(what)

    def images(self) -> Path:
        """The JPEG folder (written once): root/train/<wnid>/*.JPEG."""
        return write_jpegs(self.work / "images" / "train", self.sizes.images)


def environment(device: torch.device, args: argparse.Namespace) -> dict[str, Any]:
    import timm

    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "device": device_name(device),
            "mode": "quick (CPU, tiny sizes)" if args.quick else "full", "torch": torch.__version__,
            "torchvision": torchvision.__version__, "timm": timm.__version__, "python": platform.python_version(),
            "cpus": os.cpu_count(), "budget_s": args.budget}


def title(env: dict[str, Any]) -> str:
    return (f"GPU suite, {env['date']}: {env['device']}, {env['mode']}, torch {env['torch']}, torchvision "
            f"{env['torchvision']}, timm {env['timm']}, Python {env['python']}, {env['cpus']} CPUs")


def peak_memory_gib(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None


def reset_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def peak_tflops(device_name: str) -> float | None:
    return next((peak for key, peak in PEAK_BF16_TFLOPS.items() if key.lower() in device_name.lower()), None)


# --------------------------------------------------------------------------- 1. the step


def timed_step(suite: Suite, build: Callable[[], Step]) -> tuple[float, float | None]:
    """Seconds per step and peak memory (GiB, CUDA only) of the step `build` makes."""
    reset_memory(suite.device)
    sizes = suite.sizes.step
    seconds = seconds_per_call(build(), suite.device, sizes.warmup, sizes.steps)
    return seconds, peak_memory_gib(suite.device)


def section_step(suite: Suite) -> dict[str, Any]:
    sizes, device, compile_ = suite.sizes.step, suite.device, suite.args.compile
    rows, suite.shared["steps"] = [], {}
    for student in sizes.students:
        suite.check_budget(f"the step of {student}")
        base = make_models(student, sizes.queue_size, sizes.teacher)
        images = torch.randn(sizes.batch, 3, sizes.image_size, sizes.image_size, device=device)
        # the reference copy lives only while it is timed
        ref_s, ref_mem = timed_step(suite, lambda: build_reference_step(copy.deepcopy(base).to(device), images))
        eager = prepare(copy.deepcopy(base).to(device), channels_last=True)
        eager_s, eager_mem = timed_step(suite, lambda: build_our_step(eager, images, "bf16", True))
        row = {"student": student, "reference img/s": sizes.batch / ref_s, "ours eager img/s": sizes.batch / eager_s}
        best_s, best = eager_s, "eager"
        if compile_ != "none":
            suite.check_budget(f"compiling {student}")
            compiled = prepare(copy.deepcopy(base).to(device), True, compile_, sizes.compile_backend)
            compiled_s, compiled_mem = timed_step(suite, lambda: build_our_step(compiled, images, "bf16", True))
            row["ours compiled img/s"] = sizes.batch / compiled_s
            if compiled_s < eager_s:
                best_s, best, eager_mem = compiled_s, f"compile {compile_}", compiled_mem
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
        f"torch.compile({compile_}, backend {sizes.compile_backend}); benchmarks/seed_step.py is the step "
        "benchmarks/distill_throughput.py times too."]}


# --------------------------------------------------------------------------- 2. the bound


def section_bound(suite: Suite) -> dict[str, Any]:
    sizes, device = suite.sizes.step, suite.device
    if not suite.shared.get("steps"):
        raise RuntimeError("needs section step's models and step times, and it recorded none")
    peak = peak_tflops(device_name(device)) if device.type == "cuda" else None
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


def write_jpegs(root: Path, sizes: ImageSizes, classes: int = 8) -> Path:
    """root/<wnid>/<wnid>_<i>.JPEG: smooth colour fields plus noise, ImageNet-like file sizes."""
    if root.is_dir():
        return root
    rng = np.random.default_rng(0)
    width, height = sizes.size
    for index in range(sizes.count):
        folder = root / f"n{index % classes:08d}"
        folder.mkdir(parents=True, exist_ok=True)
        coarse = Image.fromarray(rng.integers(0, 255, (12, 16, 3), dtype=np.uint8)).resize(sizes.size, Image.BICUBIC)
        pixels = np.asarray(coarse, dtype=np.int16) + rng.integers(-20, 20, (height, width, 3))
        Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(folder / f"{folder.name}_{index}.JPEG",
                                                                   quality=90)
    return root


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
    root = suite.images()
    files = sorted(root.rglob("*.JPEG"))
    mean_kib = sum(f.stat().st_size for f in files) / len(files) / 1024
    views = SeededViews(ImageFolderDataset(root), MultiView(AugmentationConfig(size=sizes.step.image_size),
                                                            {"global": 1}), seed=0)
    sampler = ResumableBatchSampler(len(files), sizes.images.loader_batch, 0, 1, seed=0)
    loader = build_loader(views, sampler, workers, pin_memory=device.type == "cuda")
    rate = images_per_second(loader, lambda batch: batch.views["global"][0].to(device, non_blocking=True).shape[0],
                             device)
    notes = [f"{len(files)} JPEGs of {sizes.images.size[0]}x{sizes.images.size[1]} px (mean {mean_kib:.0f} KiB), "
             f"{workers} workers, batch {sizes.images.loader_batch}, crops of {sizes.step.image_size} px."]
    for student, measured in suite.shared.get("steps", {}).items():
        step_rate = sizes.step.batch / measured["step_s"]
        bound = "loader" if rate < step_rate else "device"
        notes.append(f"{student}: step {step_rate:.0f} img/s against the loader's {rate:.0f} img/s: the {bound} "
                     "bounds training.")
    return {"rows": [{"pipeline": "PIL decode + MoCo-v2 augmentation in workers (the trainer's loader)",
                      "img/s": rate}], "notes": notes}


# --------------------------------------------------------------------------- 4. a real run


Curve = list[tuple[int, float, float]]  # (step, loss, img/s) of each logged step
# how far the resumed losses may differ from the run without a stop: none on CPU (resume is bit for bit there);
# on CUDA, nondeterministic kernels (atomics in backward) let the two drift apart a little
RESUME_TOLERANCE = {"cpu": 0.0, "cuda": 0.02}


def read_losses(run_dir: Path) -> Curve:
    """(step, loss, img/s) of every logged step in the run's metrics.jsonl."""
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [(int(m["step"]), float(m["loss"]), float(m["img_per_s"])) for m in map(json.loads, lines)]


def distill(suite: Suite, config: Path, *extra: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "seed", "distill", "--config", str(config), *extra]
    log.info("running %s", " ".join(command))
    done = subprocess.run(command, env=env, capture_output=True, text=True,
                          timeout=max(30, suite.runner.remaining()))
    if done.returncode != 0:
        raise RuntimeError(f"seed distill {' '.join(extra)} exited {done.returncode}: {done.stderr[-1500:]}")


def resume_verdict(first: Curve, resumed: Curve, reference: Curve, status: dict[str, Any], steps: int,
                   tolerance: float) -> dict[str, bool]:
    """What a correct resume shows: it starts at the step after the checkpoint, completes the run, and logs the
    losses of the same run made without a stop (relative difference <= `tolerance`: 0 on CPU, bit for bit)."""
    expected = {step: loss for step, loss, _ in reference}
    differences = [abs(loss - expected[step]) / abs(expected[step]) if step in expected else float("inf")
                   for step, loss, _ in resumed]
    return {"starts after the checkpoint": resumed[0][0] == first[-1][0] + 1,
            "completes the run": status.get("status") == "completed" and status.get("step") == steps,
            "matches the run without a stop": max(differences) <= tolerance}


def section_run(suite: Suite) -> dict[str, Any]:
    sizes, work = suite.sizes.run, suite.work
    images = suite.images()
    teacher_path = work / "teacher.pth"
    torch.manual_seed(0)
    backbone = build_backbone(sizes.teacher)
    teacher = Encoder(backbone, projection_head(backbone.num_features, backbone.num_features, 128))
    torch.save(student_record(teacher, sizes.teacher, {}, {}), teacher_path)
    first_steps = sizes.steps // 2
    steps_per_epoch = suite.sizes.images.count // sizes.batch
    run_dir, reference_dir, config = work / "run", work / "reference", work / "distill.yaml"
    config.write_text(json.dumps({  # JSON is YAML
        "data": {"path": str(images), "batch_size": sizes.batch, "workers": min(os.cpu_count() or 1, 16),
                 "augmentation": {"size": sizes.image_size}},
        "teacher": {"checkpoint": str(teacher_path)}, "student": {"arch": sizes.student},
        "objective": {"name": "seed", "params": {"queue_size": min(4096, suite.sizes.step.queue_size)}},
        "train": {"epochs": -(-sizes.steps // steps_per_epoch), "max_steps": first_steps,
                  "device": suite.device.type, "amp": "bf16", "channels_last": True, "progress": False,
                  "log_every": sizes.log_every, "checkpoint_every": first_steps, "output_dir": str(run_dir)}}))
    distill(suite, config)
    first = read_losses(run_dir)
    checkpoints = sorted(p.name for p in (run_dir / "checkpoints").glob("*.pth"))
    suite.check_budget("the resumed run")
    distill(suite, config, f"train.max_steps={sizes.steps}", "--resume")  # --resume last: it takes a value
    resumed = [entry for entry in read_losses(run_dir) if entry[0] > first_steps]
    status = json.loads((run_dir / "run.json").read_text())
    suite.check_budget("the run without a stop")
    distill(suite, config, f"train.max_steps={sizes.steps}", f"train.output_dir={reference_dir}")
    reference = read_losses(reference_dir)
    tolerance = RESUME_TOLERANCE[suite.device.type]
    verdict = resume_verdict(first, resumed, reference, status, sizes.steps, tolerance)

    def row(name: str, curve: Curve) -> dict[str, Any]:
        return {"run": name, "steps": f"{curve[0][0]}-{curve[-1][0]}", "first loss": curve[0][1],
                "last loss": curve[-1][1], "img/s (mean of logs)": float(np.mean([c[2] for c in curve[1:] or curve]))}

    return {"rows": [row("first (to the checkpoint)", first), row("resumed (--resume)", resumed),
                     row("without a stop (reference)", reference)],
            "curves": {"first": first, "resumed": resumed, "reference": reference}, "resume": verdict, "notes": [
                f"`seed distill` teacher {sizes.teacher}, student {sizes.student}, batch {sizes.batch}, "
                f"{sizes.image_size} px, bf16, channels_last, {suite.device.type}; checkpoint(s) {checkpoints}; "
                f"final status {status.get('status')} at step {status.get('step')}.",
                "resume: " + ", ".join(f"{check}: {'yes' if ok else 'NO'}" for check, ok in verdict.items()) +
                f" (losses compared to a relative difference of {tolerance:g})."]}


# --------------------------------------------------------------------------- 5. evaluation


def section_eval(suite: Suite) -> dict[str, Any]:
    step, knn, device = suite.sizes.step, suite.sizes.knn, suite.device
    split = build_split(EvalDataConfig(name="imagenet", root=str(suite.images().parent)), "train")
    model = FrozenModel(step.teacher, build_backbone(step.teacher), step.teacher, None, None, "random")
    features_cfg = FeatureConfig(image_size=step.image_size, resize=step.image_size,
                                 workers=min(os.cpu_count() or 1, 16), batch_size=suite.sizes.images.loader_batch,
                                 amp="bf16", cache_dir=str(suite.work / "cache"), progress=False)
    start = time.perf_counter()
    extract_features(model, split, "train", features_cfg, device)
    extract_rate = len(split) / (time.perf_counter() - start)
    suite.check_budget("kNN")
    generator = torch.Generator(device).manual_seed(0)
    train = torch.randn(knn.train, knn.dim, device=device, generator=generator)
    labels = torch.randint(0, knn.classes, (knn.train,), device=device, generator=generator)
    queries = train[:knn.queries] + 0.5 * torch.randn(knn.queries, knn.dim, device=device, generator=generator)
    synchronize(device)
    start = time.perf_counter()
    accuracy = knn_accuracy(train, labels, queries, labels[:knn.queries], 20, 0.07, True, knn.classes)
    synchronize(device)
    knn_s = time.perf_counter() - start
    del train, queries
    return {"rows": [
        {"measure": f"feature extraction ({step.teacher}, bf16, {step.image_size} px, JPEG folder)",
         "value": extract_rate, "unit": "img/s"},
        {"measure": f"weighted kNN k=20: {knn.queries} queries x {knn.train} x {knn.dim} train",
         "value": knn_s, "unit": "s wall"},
        {"measure": "kNN queries per second", "value": knn.queries / knn_s, "unit": "queries/s"},
        {"measure": "kNN top-1 on the planted neighbours (sanity, ~100)", "value": accuracy["top1"], "unit": "%"}],
        "notes": [f"train features generated on {device.type}; downstream.knn chunks the queries (1024 at a time)."]}


SECTIONS: dict[str, Callable[[Suite], dict[str, Any]]] = {
    "step": section_step, "bound": section_bound, "data": section_data, "run": section_run, "eval": section_eval}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="folder for gpu_suite.md, gpu_suite.json and gpu_suite.log")
    parser.add_argument("--quick", action="store_true", help="CPU, tiny sizes: proves every section runs")
    parser.add_argument("--device", default="cuda", help="the device of the full run (default cuda)")
    parser.add_argument("--budget", type=float, default=None, help="seconds; sections that would start past it are "
                        "recorded as skipped (default 400 full, 600 quick)")
    parser.add_argument("--compile", default="student", choices=["none", "student", "all"],
                        help="torch.compile in section 1's 'ours' (the quick mode traces with the eager backend)")
    parser.add_argument("--sections", nargs="*", default=list(SECTIONS), choices=list(SECTIONS), metavar="NAME",
                        help=f"a subset of {', '.join(SECTIONS)}")
    args = parser.parse_args(argv)
    args.budget = args.budget or (600.0 if args.quick else 400.0)
    if not args.quick and not (args.device.startswith("cuda") and torch.cuda.is_available()):
        parser.error(f"--device {args.device}: no CUDA device here; use --quick for the CPU mode")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                        handlers=[logging.StreamHandler(), logging.FileHandler(out / "gpu_suite.log")])
    if not args.quick:
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
    device, sizes = torch.device("cpu" if args.quick else args.device), QUICK if args.quick else GPU
    env = environment(device, args)
    runner = Sections(out, "gpu_suite", title(env), {"environment": env, "sizes": asdict(sizes)}, args.budget,
                      grace=GRACE_S)
    suite = Suite(args, device, sizes, Path(tempfile.mkdtemp(prefix="gpu_suite_")), runner)
    log.info("GPU suite on %s, torch %s, out %s, work %s", env["device"], torch.__version__, out, suite.work)
    for name in args.sections:
        runner.run(name, lambda: SECTIONS[name](suite))
    print((out / "gpu_suite.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
