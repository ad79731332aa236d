"""`seed bench` through every stage kind on digit scenes: conversions, an eval protocol, Detectron2, MMDetection
and MMSegmentation, a SIGKILL in the middle of the detection stage and the same command again, a SLURM job
preempted and requeued, and the progress it prints."""
from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import REPO, run_cli, write_teacher
from eval_fixtures import write_imagenet_folder
from seed.data.scene_formats import CLASSES, SEGMENTATION_CLASSES

FAST_EVAL = ["data.num_classes=null", "features.image_size=32", "features.resize=32", "features.workers=0",
             "features.batch_size=16", "features.progress=false", "knn.ks=[3]"]
D2_ITERS = 4
D2_TINY = [  # Faster R-CNN C4 on the digit scenes at 64 px: a few iterations, a checkpoint every two
    "DATASETS.TRAIN", "('digit_scenes_trainval',)", "DATASETS.TEST", "('digit_scenes_test',)",
    "MODEL.ROI_HEADS.NUM_CLASSES", "10", "RESULTS.DATASET", "digit-scenes", "MODEL.DEVICE", "cpu",
    "INPUT.MIN_SIZE_TRAIN", "(64,)", "INPUT.MAX_SIZE_TRAIN", "96", "INPUT.MIN_SIZE_TEST", "64",
    "INPUT.MAX_SIZE_TEST", "96", "SOLVER.IMS_PER_BATCH", "2", "SOLVER.MAX_ITER", str(D2_ITERS), "SOLVER.STEPS", "()",
    "SOLVER.WARMUP_ITERS", "1", "SOLVER.BASE_LR", "0.001", "SOLVER.CHECKPOINT_PERIOD", "2", "TEST.EVAL_PERIOD", "0",
    "DATALOADER.NUM_WORKERS", "0", "TEST.PRECISE_BN.NUM_ITER", "2",
    "MODEL.RPN.PRE_NMS_TOPK_TRAIN", "200", "MODEL.RPN.POST_NMS_TOPK_TRAIN", "50",
    "MODEL.RPN.PRE_NMS_TOPK_TEST", "200", "MODEL.RPN.POST_NMS_TOPK_TEST", "50",
    "MODEL.ROI_HEADS.BATCH_SIZE_PER_IMAGE", "32", "MODEL.ROI_HEADS.SCORE_THRESH_TEST", "0.0",
]
LOADERS = ("train_dataloader", "val_dataloader", "test_dataloader")
OPENMMLAB_TINY = [f"{loader}.{key}" for loader in LOADERS for key in ("num_workers=0", "persistent_workers=False")] + [
    "train_dataloader.batch_size=2", "train_cfg.max_iters=2", "train_cfg.val_interval=100",
    "seed_record.dataset=digit-scenes"]


def mmdet_options(classes: Path) -> list[str]:
    """The VOC07+12 recipe on the digit scenes: VOC2007 twice (they have no VOC2012), digit classes, 64 px."""
    train = [f"train_dataloader.dataset.datasets.{i}.{key}" for i in (0, 1) for key in (
        f"metainfo.classes={classes}", "ann_file=VOC2007/ImageSets/Main/trainval.txt",
        "data_prefix.sub_data_root=VOC2007/", "pipeline.2.scales=[(96,64)]")]
    test = [f"{loader}.dataset.{key}" for loader in ("val_dataloader", "test_dataloader")
            for key in (f"metainfo.classes={classes}", "pipeline.1.scale=(96,64)")]
    return OPENMMLAB_TINY + train + test + ["model.roi_head.bbox_head.num_classes=10"]


def mmseg_options(classes: Path) -> list[str]:
    """FCN's VOC12 aug recipe on the digit scenes' segmentation PNGs: background and ten digits, 64 px crops."""
    train = [f"train_dataloader.dataset.datasets.{i}.{key}" for i in (0, 1) for key in (
        "type=BaseSegDataset", f"metainfo.classes={classes}", "img_suffix=.jpg",
        "ann_file=ImageSets/Segmentation/train.txt", "data_prefix.seg_map_path=SegmentationClass",
        "pipeline.2.scale=(96,64)", "pipeline.3.crop_size=(64,64)", "pipeline.6.size=(64,64)")]
    test = [f"{loader}.dataset.{key}" for loader in ("val_dataloader", "test_dataloader") for key in (
        "type=BaseSegDataset", f"metainfo.classes={classes}", "img_suffix=.jpg", "pipeline.1.scale=(96,64)")]
    return OPENMMLAB_TINY + train + test + ["model.data_preprocessor.size=(64,64)",
                                            f"model.decode_head.num_classes={len(SEGMENTATION_CLASSES)}"]


def suite_stages(data: Path) -> dict:
    """Every stage kind once, each on the digit scenes (kNN on an ImageNet-layout folder)."""
    (data / "digit-classes.txt").write_text("\n".join(CLASSES) + "\n")  # mmengine reads a metainfo value that is a file
    (data / "digit-seg-classes.txt").write_text("\n".join(SEGMENTATION_CLASSES) + "\n")
    return {
        **{f"convert-{to}": {"kind": "convert", "to": to, "gpus": 0, "time": 5} for to in ("d2", "mmdet", "mmseg")},
        "knn": {"kind": "eval", "protocol": "knn", "config": "configs/eval/imagenet_knn.yaml", "data": "imagenet",
                "gpus": 0, "time": 10, "options": FAST_EVAL},
        "voc-d2": {"kind": "detectron2", "config": "configs/detection/voc/faster_rcnn_c4_24k.yaml",
                   "weights": "convert-d2", "reads": ["digit-scenes"], "gpus": 0, "time": 20, "options": D2_TINY},
        "voc-mmdet": {"kind": "mmdet", "config": "configs/mmdet/faster-rcnn/faster-rcnn_student-c4_8xb2-24k_voc0712.py",
                      "weights": "convert-mmdet", "data": "digit-scenes", "gpus": 0, "time": 20,
                      "options": mmdet_options(data / "digit-classes.txt")},
        "voc-mmseg": {"kind": "mmseg",
                      "config": "configs/segmentation/fcn/fcn-d16_student_4xb4-30k_voc12aug-512x512.py",
                      "weights": "convert-mmseg", "data": "digit-scenes/VOC2007", "gpus": 0, "time": 20,
                      "options": mmseg_options(data / "digit-seg-classes.txt")},
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    """The digit scenes, an ImageNet-layout folder, a resnet18 student and the suite file."""
    root = tmp_path_factory.mktemp("bench-frameworks")
    data = root / "data"
    written = run_cli("data", "digit-scenes", str(data / "digit-scenes"), "--train", "6", "--val", "4")
    assert written.returncode == 0, written.stderr
    write_imagenet_folder(data / "imagenet", classes=3, train_per_class=3, val_per_class=2)
    student = write_teacher(root / "student" / "student.pth", seed=5)
    suite = root / "suite.yaml"
    suite.write_text(yaml.safe_dump({"name": "every-kind", "stages": suite_stages(data)}, sort_keys=False))
    return {"root": root, "data": data, "student": student, "suite": suite}


def stage_processes(folder: Path) -> list[int]:
    """The processes (other than this one) whose command line names `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(folder) in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                if (entry / "stat").read_text().split(") ")[-1][0] != "Z":  # a zombie has stopped running
                    found.append(int(entry.name))
        except OSError:
            continue  # ended while we looked
    return found


def wait_for_glob(folder: Path, pattern: str, process: subprocess.Popen | None = None, job=None,
                  timeout: float = 900) -> Path:
    """The first file matching `pattern` under `folder`, polled for while the run goes on."""
    deadline = time.time() + timeout
    while not (found := sorted(folder.glob(pattern))):
        assert process is None or process.poll() is None, "seed bench ended before the detection stage checkpointed"
        assert job is None or not job.done(), job.stderr()
        assert time.time() < deadline, f"no {pattern} under {folder}"
        time.sleep(0.05)
    return found[0]


def finished_files(out: Path, stages: tuple[str, ...]) -> dict[Path, bytes]:
    """The state and record files of the named stages."""
    return {path: path.read_bytes() for stage in stages for path in sorted((out / stage).glob("*/stage.json"))
            + sorted((out / stage).glob("*/records/*.json"))}


def stage_state(out: Path, stage: str) -> dict:
    (path,) = (out / stage).glob("*/stage.json")
    return json.loads(path.read_text())


BEFORE_DETECTION = ("convert-d2", "convert-mmdet", "convert-mmseg", "knn")


@pytest.fixture(scope="module")
def killed_and_resumed(world) -> dict:
    """`seed bench` SIGKILLed once the detection stage has a checkpoint, then the same command run again."""
    out = world["root"] / "out"
    args = [str(world["student"]), "--suite", str(world["suite"]), "--data-root", str(world["data"]),
            "--out", str(out), "--retries", "0"]
    log = world["root"] / "first.log"
    with open(log, "w") as stdout:
        first = subprocess.Popen([sys.executable, "-m", "seed", "bench", *args], cwd=REPO, stdout=stdout,
                                 stderr=subprocess.STDOUT, env={**os.environ, "OMP_NUM_THREADS": "1"})
        checkpoint = wait_for_glob(out / "voc-d2", "*/train/last_checkpoint", process=first)
        first.send_signal(signal.SIGKILL)
        first.wait()
    folder = checkpoint.parent.parent
    deadline = time.time() + 60  # the kernel delivers PDEATHSIG at once; the stage may take a moment to exit
    while (survivors := stage_processes(folder)) and time.time() < deadline:
        time.sleep(0.1)
    killed = {"returncode": first.returncode, "stdout": log.read_text(), "survivors": survivors,
              "detection": stage_state(out, "voc-d2"), "finished": finished_files(out, BEFORE_DETECTION)}
    second = run_cli("bench", *args)
    return {"out": out, "killed": killed, "second": second, "folder": folder}


@pytest.mark.slow
def test_sigkill_in_detection_kills_its_process_and_the_same_command_resumes_it(killed_and_resumed):
    out, killed, second = killed_and_resumed["out"], killed_and_resumed["killed"], killed_and_resumed["second"]
    assert killed["returncode"] == -signal.SIGKILL
    assert killed["survivors"] == []  # the stage's training died with `seed bench`
    assert killed["detection"]["status"] == "running" and killed["detection"]["attempts"] == 1
    assert "--resume" not in killed["detection"]["command"]
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    for stage in BEFORE_DETECTION:  # finished before the kill: not run again, records unchanged
        assert f"[bench] {stage}: done before" in second.stdout
    assert finished_files(out, BEFORE_DETECTION) == killed["finished"]
    detection = stage_state(out, "voc-d2")
    assert detection["status"] == "done" and detection["attempts"] == 2
    assert "--resume" in detection["command"] and "voc-d2: running (attempt 2, resuming)" in second.stdout
    resumed = Path(detection["log"]).read_text().split("\n=== ")[-1]  # the second attempt's part of the log
    start = re.search(r"Starting training from iteration (\d+)", resumed)
    assert start and 0 < int(start.group(1)) < D2_ITERS, resumed[-2000:]


@pytest.mark.slow
def test_every_stage_kind_runs_on_the_cpu_and_fills_its_column(killed_and_resumed):
    out = killed_and_resumed["out"]
    report = (out / "report.md").read_text()
    lines = report.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("| model |"))
    columns = [c.strip() for c in lines[at].split("|")[2:-1]]
    cells = [c.strip() for c in lines[at + 2].split("|")[2:-1]]
    assert len(columns) == 4 and any("knn" in c for c in columns), columns
    frameworks = {json.loads(Path(path).read_text())["framework"] for stage in ("voc-d2", "voc-mmdet", "voc-mmseg")
                  for path in stage_state(out, stage)["records"]}
    assert frameworks == {"Detectron2", "MMDetection", "MMSegmentation"}, frameworks
    for column, cell in zip(columns, cells):
        assert re.fullmatch(r"\[-?[0-9]+\.[0-9]+\]\([^)]+\)", cell), (column, cell)  # a number linked to its record


@pytest.mark.slow
def test_a_preempted_slurm_stage_requeues_and_resumes_from_its_checkpoint(world, tmp_path):
    from downstream.bench.cluster import submit_plan
    from downstream.bench.plan import make_plan, resolve_student
    from downstream.bench.suite import load_suite, select
    from seed.engine.slurm import parse_slurm
    from submitit.local.local import LocalJobEnvironment

    suite = load_suite(str(world["suite"]))
    stages = select(suite.stages, ["voc-d2"], [], suite.path)
    plan = make_plan(resolve_student(str(world["student"])), suite, stages, tmp_path / "out", world["data"])
    jobs = submit_plan(plan, parse_slurm("cpus=1"), retries=0, cluster="local", announce=lambda *event: None)
    wait_for_glob(tmp_path / "out" / "voc-d2", "*/train/last_checkpoint", job=jobs["voc-d2"])
    # what SLURM sends the job's task before preempting it: submitit calls the job's checkpoint() and requeues it
    os.kill(plan.by_name("voc-d2").state()["pid"], LocalJobEnvironment._usr_sig())
    assert jobs["voc-d2"].result() == "done"
    state = plan.by_name("voc-d2").state()
    assert state["status"] == "done" and state["attempts"] == 2 and "--resume" in state["command"]
    assert "preempted" in jobs["voc-d2"].stderr()
    resumed = Path(state["log"]).read_text().split("\n=== ")[-1]
    start = re.search(r"Starting training from iteration (\d+)", resumed)
    assert start and 0 < int(start.group(1)) < D2_ITERS, resumed[-2000:]


@pytest.mark.skipif(sys.platform != "linux", reason="the death signal is Linux's prctl")
def test_a_stage_whose_death_signal_cannot_be_set_does_not_start_and_its_log_says_why(tmp_path, monkeypatch):
    import ctypes
    import errno
    from types import SimpleNamespace

    from downstream.bench.kinds import Command
    from downstream.bench.run import run_attempt
    from seed.errors import SeedError

    class RefusingLibc:  # prctl as a kernel or seccomp profile that forbids it answers
        def prctl(self, *args):
            return -1

    monkeypatch.setattr(ctypes, "CDLL", lambda *args, **kwargs: RefusingLibc())
    monkeypatch.setattr(ctypes, "get_errno", lambda: errno.EPERM)  # the forked child inherits both
    planned = SimpleNamespace(log=tmp_path / "log.txt")
    with pytest.raises(SeedError, match="exit status 1"):
        run_attempt(planned, Command(["python", "-c", "print('tra' + 'ined')"]))
    log = planned.log.read_text()
    assert "prctl(PR_SET_PDEATHSIG) failed (Operation not permitted)" in log and "trained" not in log


def test_progress_prints_a_plain_line_per_state_change_without_a_terminal():
    from downstream.bench.progress import Progress

    stream = io.StringIO()
    progress = Progress(["convert-d2", "voc"], stream=stream)
    progress("convert-d2", "running", "running (attempt 1), log a.log")
    progress("convert-d2", "done", "done in 3 s: student.d2.pkl")
    progress("voc", "failed", "failed (exit status 1), log b.log")
    progress.close()
    assert stream.getvalue().splitlines() == ["[bench] convert-d2: running (attempt 1), log a.log",
                                              "[bench] convert-d2: done in 3 s: student.d2.pkl",
                                              "[bench] voc: failed (exit status 1), log b.log"]
    assert [row.status for row in progress.rows.values()] == ["done", "failed"]


def test_progress_table_shows_each_stage_state_elapsed_and_result():
    from downstream.bench.progress import Progress, Row, render_table

    table = render_table([Row("convert-d2", "done", 100.0, 65.0, "done in 65 s: x.pkl"),
                          Row("voc-c4-24k", "running", 100.0, None, "running (attempt 2, resuming)"),
                          Row("knn")], now=3761.0 + 100.0)
    assert table.splitlines() == [
        "stage       status    elapsed  result",
        "convert-d2  done      0:01:05  done in 65 s: x.pkl",
        "voc-c4-24k  running   1:02:41  running (attempt 2, resuming)",
        "knn         waiting         -  "]
    stream = io.StringIO()  # on a terminal: the table redrawn in place, the cursor moved back over it
    progress = Progress(["knn"], stream=stream, live=True)
    progress("knn", "running", "running (attempt 1)")
    progress("knn", "done", "done in 1 s: knn imagenet top1 50.00")
    progress.close()
    drawn = stream.getvalue()
    assert "[bench]" not in drawn and drawn.count("\x1b[2F") >= 2  # redrawn over the two-line table
    assert drawn.rstrip("\n").split("\n")[-1].startswith("knn    done   ")


REGISTERED = """
import json
from detectron2.data import MetadataCatalog
from downstream.detectron2.config import student_cfg
from downstream.detectron2.datasets import check_datasets
voc, coco = MetadataCatalog.get("digit_scenes_test"), MetadataCatalog.get("digit_scenes_coco_train")
cfg = student_cfg()
cfg.DATASETS.TRAIN, cfg.DATASETS.TEST = ("digit_scenes_trainval",), ("digit_scenes_test",)
try:
    check_datasets(cfg)
    error = None
except FileNotFoundError as caught:
    error = str(caught)
print(json.dumps({"voc": voc.as_dict(), "coco": coco.as_dict(), "error": error}))
"""


def test_detectron2_registers_the_digit_scenes_under_its_data_root(tmp_path):
    result = subprocess.run([sys.executable, "-c", REGISTERED], capture_output=True, text=True, cwd=REPO,
                            env={**os.environ, "DETECTRON2_DATASETS": str(tmp_path)}, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.splitlines()[-1])
    voc, coco = found["voc"], found["coco"]
    assert voc["thing_classes"] == coco["thing_classes"] == list(CLASSES)
    assert (voc["evaluator_type"], voc["year"], voc["split"]) == ("pascal_voc", 2007, "test")
    assert voc["dirname"] == str(tmp_path / "digit-scenes" / "VOC2007") and coco["evaluator_type"] == "coco"
    assert coco["json_file"] == str(tmp_path / "digit-scenes" / "annotations" / "instances_train.json")
    # not written yet: the error names where `seed data digit-scenes` should write them
    assert str(tmp_path / "digit-scenes" / "VOC2007") in found["error"]
