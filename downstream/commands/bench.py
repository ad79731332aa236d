"""`seed bench STUDENT --suite SUITE`: a student's row of every benchmark of a suite, resumable, or as SLURM jobs."""
from __future__ import annotations

import argparse

NAME = "bench"
HELP = "run a benchmark suite (configs/bench/) on a student: conversions, evaluations, detection, segmentation"


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("student", help="a student file, an official checkpoint, a zoo name or timm:NAME")
    parser.add_argument("--suite", required=True, help="a suite name in configs/bench (seed-paper, disco-paper, "
                                                       "mmdet, segmentation) or a suite file")
    parser.add_argument("--data-root", default="datasets", help="folder the suite's data sets are under (datasets)")
    parser.add_argument("--out", help="folder for the stages and report.md (default: bench/<student name>)")
    parser.add_argument("--only", type=_names, default=[], help="run only these stages (A,B)")
    parser.add_argument("--skip", type=_names, default=[], help="leave out these stages (A,B)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and what is already done; run nothing")
    parser.add_argument("--gpus", type=int, help="GPUs for every stage, replacing each stage's own count")
    parser.add_argument("--retries", type=int, default=1, help="attempts after a failed one, per stage (1)")
    parser.add_argument("--status", action="store_true", help="show each stage's state from its folder (and write "
                                                              "report.md from the finished ones)")
    parser.add_argument("--update-zoo", metavar="FILE",
                        help="write the finished stages' numbers into a user registry FILE (created if missing; the "
                        "packaged one is never edited); `seed zoo list --registry FILE` shows them beside the zoo")
    parser.add_argument("--slurm", metavar="KEY=VALUE,...", help="submit every stage as a SLURM job (submitit), e.g. "
                                                                 "partition=learn,account=A; GPUs and time per stage")


def update_zoo(plan, registry: str | None) -> None:
    """`--update-zoo FILE`: the finished stages' numbers into the user registry FILE (nothing without the option)."""
    if registry is None:
        return
    from downstream.bench.report import finished_records, student_arch
    from downstream.bench.zoo import update_user_registry

    records = finished_records(plan)
    print(update_user_registry(plan, records, registry, student_arch(plan)) if records else
          f"--update-zoo {registry}: no stage finished with a result record yet; nothing written")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from downstream.bench.cluster import status_table, submit_plan
    from downstream.bench.plan import make_plan, resolve_student
    from downstream.bench.progress import Progress, print_lines
    from downstream.bench.report import write_report
    from downstream.bench.run import run_local, show_plan, summary
    from downstream.bench.suite import load_suite, select
    from seed.engine.slurm import parse_slurm

    suite = load_suite(args.suite)
    options = parse_slurm(args.slurm) if args.slurm else None
    student = resolve_student(args.student)
    stages = select(suite.stages, args.only, args.skip, suite.path)
    plan = make_plan(student, suite, stages, Path(args.out or Path("bench") / student.name), Path(args.data_root),
                     args.gpus)

    if args.dry_run:
        print(show_plan(plan))
        return 0
    if args.status:
        print(status_table(plan))
        if any(planned.state()["status"] == "done" for planned in plan.stages):
            print(f"report: {write_report(plan)}")
            update_zoo(plan, args.update_zoo)
        return 0
    if options is not None:
        submit_plan(plan, options, args.retries, print_lines)
        print(f"follow them with: seed bench {args.student} --suite {args.suite} --out {plan.out} --status")
        return 0
    progress = Progress([planned.name for planned in plan.stages])
    try:
        states = run_local(plan, args.retries, progress)
    finally:
        progress.close()
    print(summary(plan, states))
    print(f"report: {write_report(plan)}")
    update_zoo(plan, args.update_zoo)
    return 0 if all(state["status"] == "done" for state in states.values()) else 1
