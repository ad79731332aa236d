"""`seed bench`: a suite of evaluation stages and a conversion run on tiny data, resumed, and as local jobs."""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml

from seed.utils.hashing import file_digest

from conftest import run_cli, write_teacher
from eval_fixtures import write_cifar10, write_imagenet_folder, write_sun397

FAST = ["data.num_classes=null", "features.image_size=32", "features.resize=32", "features.workers=0", "features.batch_size=16",
        "features.progress=false"]
EVAL_STAGES = ("knn", "semisup-two", "cifar10", "sun397")


def write_suite(path: Path, stages: dict) -> Path:
    path.write_text(yaml.safe_dump({"name": "tiny", "stages": stages}, sort_keys=False))
    return path


def tiny_stages() -> dict:
    """A conversion and the eval protocols on tiny data; cifar100's folder is never written."""
    common = {"kind": "eval", "gpus": 0, "time": 20, "options": FAST}
    probe = ["probe.weight_decays=[0.0]", "probe.max_iter=50"]
    return {
        "convert-d2": {"kind": "convert", "to": "d2", "gpus": 0, "time": 5},
        "knn": {**common, "protocol": "knn", "config": "configs/eval/imagenet_knn.yaml", "data": "imagenet",
                "options": FAST + ["knn.ks=[3]"]},
        "semisup-two": {**common, "protocol": "semisup", "config": "configs/eval/imagenet_semisup_1percent.yaml",
                        "data": "imagenet", "subset": "imagenet/two.txt", "options": FAST + probe},
        "cifar10": {**common, "protocol": "transfer", "config": "configs/eval/cifar10_transfer.yaml",
                    "dataset": "cifar10", "data": "cifar10", "options": FAST + probe},
        "sun397": {**common, "protocol": "transfer", "config": "configs/eval/sun397_transfer.yaml",
                   "dataset": "sun397", "data": "SUN397", "options": FAST + probe},
        "cifar100": {**common, "protocol": "transfer", "config": "configs/eval/cifar100_transfer.yaml",
                     "dataset": "cifar100", "data": "cifar100", "options": FAST + probe},
    }


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """The data, a student, and `seed bench` run twice (the second run finding everything done but cifar100)."""
    root = tmp_path_factory.mktemp("bench")
    data = root / "data"
    write_imagenet_folder(data / "imagenet", classes=3, train_per_class=4, val_per_class=2)
    (data / "imagenet" / "two.txt").write_text("".join(f"n{c:08d}_{i}.JPEG\n" for c in range(3) for i in range(2)))
    write_cifar10(data / "cifar10", per_class_train=2, per_class_test=1)
    write_sun397(data / "SUN397")
    student = write_teacher(root / "runs" / "tiny" / "student.pth", seed=3)
    suite = write_suite(root / "tiny.yaml", tiny_stages())
    args = [str(student), "--suite", str(suite), "--data-root", str(data), "--out", str(root / "out")]
    planned = run_cli("bench", *args, "--dry-run")
    first = run_cli("bench", *args, "--retries", "1")
    states_after_first = {p.parent.parent.name: p.read_text() for p in (root / "out").glob("*/*/stage.json")}
    records_after_first = {p: p.read_bytes() for p in (root / "out").glob("*/*/records/*.json")}
    second = run_cli("bench", *args, "--retries", "0")
    again = run_cli("bench", *args, "--dry-run")
    return {"root": root, "args": args, "planned": planned, "first": first, "second": second, "again": again,
            "states_after_first": states_after_first, "records_after_first": records_after_first}


def state(root: Path, stage: str) -> dict:
    (path,) = (root / "out" / stage).glob("*/stage.json")
    return json.loads(path.read_text())


@pytest.mark.slow
def test_bench_runs_the_conversion_and_every_eval_stage_and_writes_the_row(bench):
    root, first = bench["root"], bench["first"]
    for stage in ("convert-d2", *EVAL_STAGES):
        assert state(root, stage)["status"] == "done", (stage, first.stdout[-3000:])
    assert Path(state(root, "convert-d2")["output"]).stat().st_size > 0
    report = (root / "out" / "report.md").read_text()
    lines = report.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("| model |"))
    header, row = lines[at], lines[at + 2]
    columns = [c.strip() for c in header.split("|")[2:-1]]
    assert columns == ["knn imagenet top1", "semisup-two imagenet top1", "transfer cifar10 top1",
                       "transfer sun397 top1"]
    links = re.findall(r"\[([0-9.]+)\]\(([^)]+)\)", row)
    assert len(links) == len(columns)  # every column filled, each number linked to its record
    for value, link in links:
        record = json.loads((root / "out" / link).read_text())
        assert f"{record['metrics'][record['primary_metric']]:.2f}" == value
        assert record["model"] == "tiny" and record["checkpoint_sha256"] == file_digest(root / "runs/tiny/student.pth")


@pytest.mark.slow
def test_a_stage_with_missing_data_fails_with_its_log_and_the_others_finish(bench):
    root, first = bench["root"], bench["first"]
    assert first.returncode == 1
    failed = json.loads(bench["states_after_first"]["cifar100"])
    assert failed["status"] == "failed" and failed["attempts"] == 2  # --retries 1
    log = Path(failed["log"])
    assert "cifar100" in log.read_text() and "=== " in log.read_text()
    assert "cifar100: failed (exit status" in first.stdout and f"log {log}" in first.stdout
    assert "Not finished" in (root / "out" / "report.md").read_text()


@pytest.mark.slow
def test_running_the_same_command_again_skips_finished_stages_with_records_unchanged(bench):
    root, second = bench["root"], bench["second"]
    for stage in ("convert-d2", *EVAL_STAGES):
        assert f"{stage}: done before" in second.stdout
        assert state(root, stage) == json.loads(bench["states_after_first"][stage])
    assert {p: p.read_bytes() for p in (root / "out").glob("*/*/records/*.json")} == bench["records_after_first"]
    assert state(root, "cifar100")["attempts"] == 3  # the failed stage is tried again, once (--retries 0)


@pytest.mark.slow
def test_dry_run_prints_each_command_its_data_and_what_is_done(bench):
    root, planned, again = bench["root"], bench["planned"], bench["again"]
    assert planned.returncode == 0, planned.stderr
    assert f"seed convert --to d2 {root / 'runs' / 'tiny' / 'student.pth'}" in planned.stdout
    assert "seed eval knn --model" in planned.stdout and "kNN k=3" in planned.stdout
    assert f"--subset {root / 'data' / 'imagenet' / 'two.txt'}" in planned.stdout
    assert f"reads {root / 'data' / 'cifar100'}  (MISSING)" in planned.stdout
    assert f"reads {root / 'data' / 'cifar10'}\n" in planned.stdout
    assert planned.stdout.count(" - to run") == 6
    assert again.stdout.count(" - done: ") == 5 and "[cifar100] eval, 0 GPU(s), 20 min, L-BFGS probe - failed" \
        in again.stdout


@pytest.mark.slow
def test_slurm_path_runs_stages_as_local_jobs_after_their_conversion_and_status_reports_them(tmp_path):
    from downstream.bench.cluster import submit_plan
    from downstream.bench.plan import make_plan, resolve_student
    from downstream.bench.suite import load_suite
    from seed.engine.slurm import parse_slurm

    data = tmp_path / "data"
    write_imagenet_folder(data / "imagenet", classes=3, train_per_class=3, val_per_class=1)
    student = write_teacher(tmp_path / "tiny" / "student.pth", seed=3)
    detection = tmp_path / "voc_cpu.yaml"  # Detectron2's VOC sets, which the data root does not hold
    detection.write_text("MODEL: {DEVICE: cpu}\nDATASETS: {TRAIN: [voc_2007_trainval], TEST: [voc_2007_test]}\n")
    stages = {name: tiny_stages()[name] for name in ("convert-d2", "knn")}
    stages["voc"] = {"kind": "detectron2", "config": str(detection), "weights": "convert-d2", "reads": ["VOC2007"],
                     "gpus": 0, "time": 20}
    suite = load_suite(str(write_suite(tmp_path / "tiny.yaml", stages)))
    plan = make_plan(resolve_student(str(student)), suite, suite.stages, tmp_path / "out", data)
    lines: list[str] = []
    jobs = submit_plan(plan, parse_slurm("cpus=1"), retries=0, cluster="local",
                       announce=lambda stage, status, line: lines.append(f"{stage}: {line}"))
    assert sorted(jobs) == ["convert-d2", "knn", "voc"] and all(line.count("submitted as job") for line in lines)
    assert jobs["convert-d2"].result() == jobs["knn"].result() == "done"
    with pytest.raises(Exception, match="voc failed"):
        jobs["voc"].result()

    convert, voc = plan.by_name("convert-d2").state(), plan.by_name("voc").state()
    assert voc["started"] >= convert["finished"]  # the fine-tuning job waited for its conversion
    assert f"MODEL.WEIGHTS {convert['output']}" in voc["command"] and "VOC2007" in Path(voc["log"]).read_text()
    status = run_cli("bench", str(student), "--suite", str(suite.path), "--data-root", str(data),
                     "--out", str(tmp_path / "out"), "--status")
    assert status.returncode == 0, status.stderr
    rows = {line.split()[0]: line.split() for line in status.stdout.splitlines()[1:]}
    assert rows["convert-d2"][1] == rows["knn"][1] == "done" and rows["voc"][1] == "failed"
    assert rows["knn"][3] == jobs["knn"].job_id and f"log {voc['log']}" in status.stdout


def test_report_puts_the_zoo_rows_of_the_same_architecture_beside_the_student():
    from downstream.bench.report import zoo_rows
    from downstream.records import ResultRecord

    record = ResultRecord(model="mine", protocol="linear", dataset="imagenet", split="val",
                          metrics={"top1": 50.0}, primary_metric="top1")
    rows = {row[0]: row[1:] for row in zoo_rows("resnet18", [record])}
    assert rows["paper_seed_resnet18_from_r50"][0].startswith("[57.60](")  # SEED Table: R-50 -> R-18
    assert "paper_seed_efficientnet_b0_from_r50" not in rows and all(len(cells) == 1 for cells in rows.values())


@pytest.mark.parametrize("suite", ["seed-paper", "disco-paper", "mmdet", "segmentation"])
def test_shipped_suites_load_with_conversions_before_the_stages_that_fine_tune_them(suite):
    from downstream.bench.suite import load_suite

    loaded = load_suite(suite)
    names = [stage.name for stage in loaded.stages]
    assert loaded.stages[0].kind == "convert"
    for stage in loaded.stages:
        assert not stage.weights or names.index(stage.weights) < names.index(stage.name)
        assert stage.kind != "eval" or Path(stage.config).is_file()


@pytest.mark.parametrize("stages, named", [
    ({"knn": {"kind": "eval", "protocol": "knn", "config": "c.yaml", "data": "x", "epochs": 3}}, "knn.epochs"),
    ({"knn": {"kind": "eval", "config": "c.yaml", "data": "x"}}, "needs protocol"),
    ({"voc": {"kind": "detectron2", "config": "c.yaml", "weights": "convert-d2"}}, "not a convert stage"),
    ({"voc": {"kind": "caffe", "config": "c.yaml"}}, "unknown bench stage kind 'caffe'"),
])
def test_suite_errors_name_the_stage_and_key(tmp_path, stages, named):
    from downstream.bench.suite import load_suite
    from seed.errors import SeedError

    with pytest.raises(SeedError, match=re.escape(named)):
        load_suite(str(write_suite(tmp_path / "bad.yaml", stages)))


def test_only_brings_the_conversion_a_stage_needs_and_keys_follow_student_and_config(tmp_path):
    from downstream.bench.plan import Student, make_plan
    from downstream.bench.suite import load_suite, select

    suite = load_suite("seed-paper")
    chosen = select(suite.stages, ["voc-c4-24k", "knn"], [], suite.path)
    assert [s.name for s in chosen] == ["convert-d2", "knn", "voc-c4-24k"]
    one, other = Student("a", "a", "a", "1" * 64), Student("b", "b", "b", "2" * 64)

    def keys(student, stages=chosen, **kwargs):
        return [p.key for p in make_plan(student, suite, stages, tmp_path, tmp_path / "data", **kwargs).stages]

    assert keys(one) == keys(one, gpus=1) and keys(one)[0] != keys(other)[0]
    edited = [s if s.name != "knn" else dataclasses.replace(s, options=["knn.ks=[10]"]) for s in chosen]
    assert [a == b for a, b in zip(keys(one), keys(one, edited))] == [True, False, True]


@pytest.mark.slow
def test_update_zoo_writes_the_row_into_a_user_registry_and_the_report_draws_it(bench):
    from PIL import Image

    from seed.zoo.plot import PLOTTED_KEY
    from seed.zoo.registry import default_registry_path, load_registry

    root, packaged = bench["root"], default_registry_path().read_bytes()
    user = root / "mine" / "registry.yaml"
    result = run_cli("bench", *bench["args"], "--status", "--update-zoo", str(user))
    assert result.returncode == 0 and f"updated tiny in {user}: 4 measured number(s)" in result.stdout, result.stderr
    entry = load_registry(user).get("tiny")
    assert entry.files[0].sha256 == file_digest(root / "runs/tiny/student.pth")
    measured = {m.benchmark: m.value for m in entry.metrics}
    stages = {stage: state(root, stage)["metrics"] for stage in EVAL_STAGES}
    assert measured["imagenet-knn"] == stages["knn"]["knn imagenet top1"]
    assert measured["sun397"] == stages["sun397"]["transfer sun397 top1"] and len(measured) == 4
    assert default_registry_path().read_bytes() == packaged

    assert "![tiny beside the zoo's resnet18 rows](report.png)" in (root / "out" / "report.md").read_text()
    (panel,) = json.loads(Image.open(root / "out" / "report.png").text[PLOTTED_KEY])
    lines = {line["label"]: line for line in panel["lines"]}
    ours = lines["tiny (measured here)"]
    assert ours["y"] == [0, 1, 2, 3] and ours["x"] == [round(v, 4) for s in stages.values() for v in s.values()]


def test_the_report_figure_draws_the_student_beside_the_zoo_rows_reported_filled_measured_hollow(tmp_path):
    from PIL import Image

    from downstream.bench.figure import write_figure
    from downstream.bench.report import zoo_values
    from downstream.records import ResultRecord
    from seed.zoo.plot import PLOTTED_KEY

    records = [ResultRecord(model="mine", protocol=protocol, dataset=dataset, split="val", metrics={"top1": value},
                            primary_metric="top1") for protocol, dataset, value in
               (("knn", "imagenet", 40.0), ("linear", "imagenet", 50.0))]
    path = write_figure("mine", records, zoo_values("resnet18", records), tmp_path / "report.png")
    (panel,) = json.loads(Image.open(path).text[PLOTTED_KEY])
    lines = {line["label"]: (line["x"], line["y"]) for line in panel["lines"]}
    assert lines["mine (measured here)"] == ([40.0, 50.0], [0, 1])
    assert lines["paper_seed_resnet18_from_r50 (reported)"] == ([57.6], [1])  # SEED Table: R-50 -> R-18, linear only
