"""Running stages: each one's command as a subprocess logging to its folder, retried, skipped when done."""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

from downstream.bench.kinds import Command, config_argument
from downstream.bench.plan import Plan, PlannedStage
from downstream.bench.progress import Announce
from downstream.records import read_records
from seed.errors import SeedError

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def headline(state: dict[str, Any]) -> str:
    """`knn imagenet top1 72.00`, the numbers a finished stage recorded (or its converted file)."""
    if state.get("metrics"):
        return ", ".join(f"{column} {value:.2f}" for column, value in state["metrics"].items())
    return state.get("output", "")


def collect(planned: PlannedStage) -> dict[str, Any]:
    """What a finished command left: its converted file, or its result records and their headline numbers."""
    output = planned.kind.output(planned.stage, planned.folder)
    if output is not None:
        if not output.is_file():
            raise SeedError(f"the command finished but wrote no {output}")
        return {"output": str(output)}
    records_dir = planned.folder / "records"
    records = read_records(records_dir) if records_dir.is_dir() else []
    if not records:
        raise SeedError(f"the command finished but wrote no result record in {records_dir}")
    return {"records": [r.source_path for r in records],
            "metrics": {r.column: r.metrics[r.primary_metric] for r in records}}


def die_with_parent(parent: int) -> None:
    """In the stage's process before it starts (Linux): SIGKILL it when `seed bench` dies, even by SIGKILL,
    so no stage trains on unwatched; its next attempt resumes from the stage's own checkpoint."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:  # said in the stage's log,
        reason = os.strerror(ctypes.get_errno())  # which the child's stderr already is: the stage fails, naming why
        os.write(2, f"seed bench: prctl(PR_SET_PDEATHSIG) failed ({reason}); not starting a stage that could "
                    "outlive seed bench\n".encode())
        os._exit(1)
    if os.getppid() != parent:  # the parent died before prctl: nobody is left to watch this stage
        os._exit(1)


def run_attempt(planned: PlannedStage, command: Command) -> None:
    """Run the stage's command once, its output appended to the stage's log; raises when it fails."""
    with open(planned.log, "a") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {command.shown()}\n")
        log.flush()
        code = subprocess.run(command.executable(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              env={**os.environ, **command.env},
                              preexec_fn=partial(die_with_parent, os.getpid()) if sys.platform == "linux" else None
                              ).returncode
    if code != 0:
        raise SeedError(f"exit status {code}")


def run_stage(plan: Plan, planned: PlannedStage, retries: int, announce: Announce) -> dict[str, Any]:
    """Run one stage to done, or to failed after 1 + `retries` attempts; a done stage is left as it is.
    An attempt after an earlier one (interrupted or failed) passes the stage's resume flag."""
    state = planned.state()
    if state["status"] == "done":
        return state
    for _ in range(retries + 1):
        resume = state.get("attempts", 0) > 0
        started = time.time()
        command = planned.kind.command(planned.stage, plan.context(planned, resume))
        state = planned.save_state(status="running", attempts=state.get("attempts", 0) + 1, error=None, started=started,
                                   command=command.shown(), log=str(planned.log))
        announce(planned.name, "running", f"running (attempt {state['attempts']}{', resuming' if resume else ''}), "
                 f"log {planned.log}")
        try:
            run_attempt(planned, command)
            state = planned.save_state(status="done", finished=time.time(), seconds=round(time.time() - started, 1),
                                       **collect(planned))
            announce(planned.name, "done", f"done in {state['seconds']:.0f} s: {headline(state)}")
            return state
        except SeedError as error:
            state = planned.save_state(status="failed", error=str(error))
            announce(planned.name, "failed", f"failed ({error}), log {planned.log}")
    return state


def run_local(plan: Plan, retries: int, announce: Announce) -> dict[str, dict[str, Any]]:
    """Every stage in suite order on this machine; a stage whose conversion failed is not started."""
    states: dict[str, dict[str, Any]] = {}
    for planned in plan.stages:
        state = planned.state()
        if state["status"] == "done":
            announce(planned.name, "done", f"done before ({headline(state)}), skipped")
            states[planned.name] = state
            continue
        blocked = [d.name for d in plan.dependencies(planned) if states.get(d.name, d.state())["status"] != "done"]
        if blocked:
            states[planned.name] = {"status": "blocked", "error": f"needs {', '.join(blocked)}, which did not finish"}
            announce(planned.name, "blocked", f"not started, it needs {', '.join(blocked)}")
            continue
        states[planned.name] = run_stage(plan, planned, retries, announce)
    return states


def summary(plan: Plan, states: dict[str, dict[str, Any]]) -> str:
    """One line per stage, and for every stage that did not finish, why and where its log is."""
    lines = [f"{'stage':<22} {'status':<8} result"]
    for planned in plan.stages:
        state = states.get(planned.name) or planned.state()
        lines.append(f"{planned.name:<22} {state['status']:<8} {headline(state)}")
    failed = [(p, states.get(p.name) or p.state()) for p in plan.stages]
    failed = [(p, s) for p, s in failed if s["status"] in ("failed", "blocked")]
    if failed:
        lines.append(f"{len(failed)} stage(s) did not finish:")
        lines += [f"  {p.name}: {s.get('error')}" + (f"; log {p.log}" if p.log.is_file() else "") for p, s in failed]
    return "\n".join(lines)


def show_plan(plan: Plan) -> str:
    """`--dry-run`: each stage's command, GPUs and schedule, the data it reads (missing marked), its state."""
    lines = [f"student {plan.student.spec} (sha256 {plan.student.sha256[:16]}...), suite {plan.suite.name} "
             f"({plan.suite.path})", f"output {plan.out}, data root {plan.data_root}", ""]
    for planned in plan.stages:
        state = planned.state()
        status = {"done": f"done: {headline(state)}", "pending": "to run"}.get(
            state["status"], f"{state['status']}, attempt {state.get('attempts', 0)}: will resume")
        lines.append(f"[{planned.name}] {planned.stage.kind}, {planned.stage.gpus} GPU(s), {planned.stage.time} min"
                     f"{_schedule(planned)} - {status}")
        lines.append(f"  {planned.kind.command(planned.stage, plan.context(planned, state.get('attempts', 0) > 0)).shown()}")
        for path in [plan.data_root / p for p in planned.stage.data_folders]:
            lines.append(f"  reads {path}{'' if path.exists() else '  (MISSING)'}")
        lines.append(f"  folder {planned.folder}")
    return "\n".join(lines)


def _schedule(planned: PlannedStage) -> str:
    if planned.stage.config and not Path(config_argument(planned.stage.config)).is_file():
        return f", CONFIG NOT FOUND: {planned.stage.config}"
    try:
        text = planned.kind.schedule(planned.stage)
    except (SeedError, OSError, KeyError, ImportError) as error:
        return f", schedule unknown ({error})"
    return f", {text}" if text else ""
