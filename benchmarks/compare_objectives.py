"""Every registered objective on the embedded demo data: one student, one teacher, one budget, one kNN table.

Uses the demo's teacher (trained once and kept in the demo folder, like `seed demo`) and the
demo's student (MobileNetV3-Small-0.5, 20 epochs, the same recipe), changing only the objective
(configs/distill/demo/student_<objective>.yaml). CPU minutes per objective; prints a Markdown table.

    python benchmarks/compare_objectives.py [--out seed-demo] [--only seed disco ...] [--threads 2]
"""
from __future__ import annotations

import argparse
import time

import torch

from downstream.demo import DemoBench
from report import device_name, markdown_table

# objective -> demo config; the teacher-free MoCo-v2 row is the student on its own
CONFIGS = {
    "seed": "student_seed.yaml",
    "disco": "student_disco.yaml",
    "compress-2q": "student_compress-2q.yaml",
    "compress-1q": "student_compress-1q.yaml",
    "crd": "student_crd.yaml",
    "feature": "student_feature.yaml",
    "mocov2": "student_mocov2.yaml",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="seed-demo", help="demo folder (its teacher is reused)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", nargs="*", choices=sorted(CONFIGS), help="a subset of objectives")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for torch, pinned as `seed demo` pins "
                        "them (the same numbers every run; default 2)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    bench = DemoBench.prepare(args.out, args.device)
    teacher = bench.teacher(retrain=False, say=print)
    results = [(f"(teacher, {teacher['arch']}, {teacher['objective']}, {teacher['epochs']} epochs)", teacher)]
    for name in args.only or CONFIGS:
        cfg = bench.config(CONFIGS[name], bench.out / "compare" / name, distilled=name != "mocov2")
        results.append((name, bench.student(name, cfg, say=print)))
    rows = [{"objective": name, "kNN top-1": row["knn_top1"], "kNN top-5": row["knn_top5"],
             "train time (s)": row["train_seconds"] or "reused"} for name, row in results]
    print(f"\ndemo digits, weighted kNN (k=20) on the 450 held-out images, student {results[-1][1]['arch']}, "
          f"{device_name(args.device)}; {time.perf_counter() - started:.0f} s")
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
