"""Every registered objective on the embedded demo data: one student, one teacher, one budget, one kNN table.

Uses the demo's teacher (trained once and kept in the demo folder, like `seed demo`) and the
demo's student (MobileNetV3-Small-0.5, 20 epochs, the same recipe), changing only the objective
(configs/distill/demo/student_<objective>.yaml). CPU minutes per objective; prints a Markdown table.

    python benchmarks/compare_objectives.py [--out seed-demo] [--only seed disco ...]
"""
from __future__ import annotations

import argparse
import time

from downstream.demo import DemoBench, format_table

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
    args = parser.parse_args()

    started = time.perf_counter()
    bench = DemoBench.prepare(args.out, args.device)
    rows = [bench.teacher(retrain=False, say=print)]
    for name in args.only or CONFIGS:
        cfg = bench.config(CONFIGS[name], bench.out / "compare" / name, distilled=name != "mocov2")
        rows.append(bench.student(name, cfg, say=print))
    print(f"\ndemo digits, weighted kNN (k=20) on the 450 held-out images; {time.perf_counter() - started:.0f} s")
    print(format_table(rows))


if __name__ == "__main__":
    main()
