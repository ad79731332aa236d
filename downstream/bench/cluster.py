"""`seed bench --slurm`: every stage a submitit job with its own GPUs and time limit.

A stage that fine-tunes a converted file depends on its conversion (`afterok` on SLURM); the job also
waits for that conversion's recorded state, so submitit's local executor, which knows no
dependencies, keeps the same order. A preempted job requeues and its next attempt resumes.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from downstream.bench.plan import Plan, PlannedStage
from downstream.bench.progress import Announce, print_lines
from downstream.bench.run import headline, run_stage
from seed.engine.slurm import SlurmOptions, build_executor
from seed.errors import SeedError

POLL_SECONDS = 2.0


class StageJob:
    """What submitit runs for one stage: wait for its conversion, then the stage as a local run would."""

    def __init__(self, plan: Plan, name: str, retries: int) -> None:
        self.plan, self.name, self.retries = plan, name, retries

    def __call__(self) -> str:
        planned = self.plan.by_name(self.name)
        deadline = time.time() + planned.stage.time * 60
        for dependency in self.plan.dependencies(planned):
            while (status := dependency.state()["status"]) != "done":
                if status == "failed" or time.time() > deadline:
                    planned.save_state(status="failed", error=f"needs {dependency.name}, which is {status}")
                    raise SeedError(f"{self.name}: {dependency.name} is {status}")
                time.sleep(POLL_SECONDS)
        state = run_stage(self.plan, planned, self.retries, print_lines)
        if state["status"] != "done":
            raise SeedError(f"{self.name} failed: {state.get('error')}; log {planned.log}")
        return state["status"]

    def checkpoint(self) -> "submitit.helpers.DelayedSubmission":  # noqa: F821
        """On preemption: the same stage again; its next attempt resumes from the stage's folder."""
        import submitit

        return submitit.helpers.DelayedSubmission(self)


def submit_plan(plan: Plan, options: SlurmOptions, retries: int, announce: Announce,
                cluster: str | None = None) -> dict:
    """Submit every unfinished stage (conversions first, the others depending on theirs); stage -> job."""
    jobs = {}
    for planned in plan.stages:
        if planned.state()["status"] == "done":
            announce(planned.name, "done", "done before, not submitted")
            continue
        executor = build_executor(_stage_options(options, planned), options.folder or plan.out / "slurm", cluster)
        after = [jobs[d.name].job_id for d in plan.dependencies(planned) if d.name in jobs]
        executor.update_parameters(name=f"bench-{planned.name}", **(
            {"slurm_additional_parameters": {"dependency": "afterok:" + ":".join(after)}}
            if after and executor.cluster == "slurm" else {}))
        job = executor.submit(StageJob(plan, planned.name, retries))
        jobs[planned.name] = job
        planned.save_state(status="queued", job_id=job.job_id, log=str(planned.log))
        announce(planned.name, "queued",
                 f"submitted as job {job.job_id}" + (f" after {', '.join(after)}" if after else ""))
    return jobs


def _stage_options(options: SlurmOptions, planned: PlannedStage) -> SlurmOptions:
    """The --slurm keys with the stage's own resources: one node, one task, its GPUs and time."""
    return dataclasses.replace(options, nodes=1, tasks=1, gpus=planned.stage.gpus, timeout=planned.stage.time)


def status_table(plan: Plan) -> str:
    """`--status`: each stage's state, attempts, job and result, read from its folder alone."""
    lines = [f"{'stage':<22} {'status':<8} {'tries':>5} {'job':<10} result / log"]
    for planned in plan.stages:
        state = planned.state()
        detail = headline(state) if state["status"] == "done" else (state.get("error") or "")
        log = f" log {planned.log}" if state["status"] != "done" and Path(planned.log).is_file() else ""
        lines.append(f"{planned.name:<22} {state['status']:<8} {state.get('attempts', 0):>5} "
                     f"{str(state.get('job_id') or '-'):<10} {detail}{log}")
    return "\n".join(lines)
