"""registry.yaml as a file: one metric schema, writes that touch only metric lines, a torch-free seed.zoo."""
from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from downstream.commands.results import update_zoo
from downstream.records import ResultRecord, read_records, write_record
from seed.config import ConfigError
from seed.errors import SeedError
from seed.zoo.registry import default_registry_path, load_registry

from conftest import run_cli

# an entry with metrics, and one without metrics that a section comment follows
WITH_METRICS = ("moco-v1_r50_200ep", "moco_v1_200ep_pretrain.pth.tar")
BEFORE_A_SECTION = ("seed_resnet50_from_swav_r50w4_400ep_small-patch",
                    "AMP_SMALL_PATCH_400_resnet50_distill_resnet50w4-swav-checkpoint_0399.pth.tar")


@pytest.fixture
def registry_copy(tmp_path):
    path = tmp_path / "registry.yaml"
    shutil.copy(default_registry_path(), path)
    return path


def records_for(tmp_path, *files: str, value: float = 12.5):
    """Result records (kNN on ImageNet) of the zoo files named, read back as `seed results` reads them."""
    for index, filename in enumerate(files):
        write_record(ResultRecord(model=f"m{index}", protocol="knn", dataset="imagenet", split="val",
                                  metrics={"top1": value}, primary_metric="top1", checkpoint=f"/data/{filename}",
                                  checkpoint_sha256="0" * 64, command="seed eval knn --model x"),
                     tmp_path / "results")
    return read_records(tmp_path / "results")


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [line[2:] for line in diff if line.startswith("- ")], [line[2:] for line in diff if line.startswith("+ ")]


def test_update_zoo_on_an_unchanged_registry_leaves_it_byte_identical(registry_copy, tmp_path):
    records_for(tmp_path, "not-a-zoo-file.pth")
    before = registry_copy.read_bytes()
    result = run_cli("results", str(tmp_path / "results"), "--update-zoo", str(registry_copy))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "updated 0 zoo entries" in result.stdout
    assert registry_copy.read_bytes() == before


def test_an_update_adds_only_metric_lines_and_a_second_one_changes_nothing(registry_copy, tmp_path):
    records = records_for(tmp_path, WITH_METRICS[1], BEFORE_A_SECTION[1])
    before = registry_copy.read_text()
    update_zoo(records, str(registry_copy))
    after = registry_copy.read_text()
    removed, added = changed_lines(before, after)
    assert removed == []
    assert len(added) == 3 and added[1] == "    metrics:"
    for line in (added[0], added[2]):
        assert line.startswith("      - {benchmark: imagenet-knn, metric: top1, value: 12.5, status: measured, "
                               "protocol: knn, record: {sha256: ")
    # the new metrics of the last official student sit above the comment that opens the next section
    lines = after.splitlines()
    section = next(i for i, line in enumerate(lines) if line.startswith("  # --- results the papers report"))
    assert lines[section - 3:section] == ["    metrics:", added[2], ""]
    update_zoo(records, str(registry_copy))
    assert registry_copy.read_text() == after


def test_a_written_measurement_reads_back_as_it_was_recorded(registry_copy, tmp_path):
    records = records_for(tmp_path, WITH_METRICS[1])
    update_zoo(records, str(registry_copy))
    metric = load_registry(registry_copy).get(WITH_METRICS[0]).values("imagenet-knn", measured=True)[0]
    record = records[0]
    assert (metric.value, metric.protocol, metric.record.date, metric.record.path, metric.record.command) == \
        (12.5, "knn", record.created, record.source_path, "seed eval knn --model x")
    assert load_registry(registry_copy).get(WITH_METRICS[0]).values("imagenet-linear")[0].value == 60.6


def test_a_new_measurement_replaces_the_line_of_the_old_one(registry_copy, tmp_path):
    update_zoo(records_for(tmp_path / "a", WITH_METRICS[1], value=12.5), str(registry_copy))
    first = registry_copy.read_text()
    update_zoo(records_for(tmp_path / "b", WITH_METRICS[1], value=13.5), str(registry_copy))
    removed, added = changed_lines(first, registry_copy.read_text())
    assert len(removed) == len(added) == 1 and "value: 12.5" in removed[0] and "value: 13.5" in added[0]


def test_the_older_metric_form_is_refused_naming_the_file_and_entry(tmp_path):
    entry = {"name": "paper_x", "kind": "reference", "arch": "resnet18", "method": "SEED", "license": "none",
             "files": [], "metrics": [{"benchmark": "imagenet-knn", "value": 40.0, "source": "Table 2"},
                                      {"protocol": "linear", "dataset": "imagenet", "metric": "top1", "value": 61.3,
                                       "source": "a paper, Table 1"}]}
    path = tmp_path / "zoo.yaml"
    path.write_text(yaml.safe_dump({"models": [entry]}))
    with pytest.raises(ConfigError, match=rf"{path}: paper_x: metrics\[1\]: the older \{{protocol, dataset\}} form .*"
                                          r"`benchmark: imagenet-linear`"):
        load_registry(path)


def test_the_packaged_registry_has_one_metric_form():
    data = yaml.safe_load(default_registry_path().read_text())
    forms = {tuple(sorted(set(metric) - {"status", "protocol", "record"}))
             for model in data["models"] for metric in model.get("metrics", [])}
    assert forms == {("benchmark", "metric", "source", "value")}


def test_seed_zoo_lists_and_renders_without_importing_torch_or_timm():
    code = ("import sys\n"
            "import seed.zoo\n"
            "from seed.zoo.registry import load_registry\n"
            "from seed.zoo.render import render_markdown\n"
            "registry = load_registry()\n"
            "entry = registry.get('seed_efficientnet_b0_from_swav_r50w4_400ep_small-patch')\n"
            "assert entry.family == 'efficientnet_b0'\n"
            "render_markdown(registry)\n"
            "print(sorted(m for m in ('torch', 'timm') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def bench_plan(tmp_path, spec: str, path, sha256: str):
    """A `seed bench` plan of no stage for a student: all the zoo update reads of it."""
    from downstream.bench.plan import Student, make_plan
    from downstream.bench.suite import load_suite

    return make_plan(Student(spec, str(path), Path(str(path)).stem if spec == str(path) else spec, sha256),
                     load_suite("seed-paper"), [], tmp_path / "out", tmp_path / "data")


def bench_records(tmp_path, knn: float, cifar10: float):
    for protocol, dataset, value in (("knn", "imagenet", knn), ("transfer", "cifar10", cifar10)):
        write_record(ResultRecord(model="mine", protocol=protocol, dataset=dataset, split="val",
                                  metrics={"top1": value}, primary_metric="top1", command="seed bench x"),
                     tmp_path / "records")
    return read_records(tmp_path / "records")


def test_bench_update_zoo_writes_a_user_registry_that_seed_zoo_merges_and_leaves_the_packaged_one(tmp_path):
    from downstream.bench.zoo import update_user_registry

    packaged = default_registry_path().read_bytes()
    student = tmp_path / "mine.pth"
    student.write_bytes(b"a student")
    plan = bench_plan(tmp_path, str(student), student, "a" * 64)
    user = tmp_path / "me" / "registry.yaml"
    update_user_registry(plan, bench_records(tmp_path / "first", 41.0, 81.0), user, "resnet18")
    update_user_registry(plan, bench_records(tmp_path / "second", 42.5, 82.5), user, "resnet18")  # replaces
    (entry,) = load_registry(user).entries
    assert (entry.name, entry.kind, entry.arch, entry.files[0].sha256) == ("mine", "student", "resnet18", "a" * 64)
    assert {m.benchmark: m.value for m in entry.metrics} == {"imagenet-knn": 42.5, "cifar10": 82.5}
    assert len(entry.metrics) == 2 and all(m.measured and str(tmp_path / "second") in m.record.path
                                           for m in entry.metrics)

    merged = run_cli("zoo", "list", "--registry", str(user), "--student", "resnet18",
                     "--columns", "imagenet-knn,cifar10")
    assert merged.returncode == 0, merged.stderr
    rows = {line.split()[0]: line for line in merged.stdout.splitlines()[1:]}
    assert "42.5" in rows["mine"] and "82.5" in rows["mine"] and "paper_seed_resnet18_from_r50" in rows
    replaced = run_cli("zoo", "--registry", str(user), "list")
    assert [line.split()[0] for line in replaced.stdout.splitlines()[1:]] == ["mine"]
    rendered = run_cli("zoo", "render", "--registry", str(user), "--output", str(tmp_path / "MODEL_ZOO.md"))
    assert rendered.returncode == 0, rendered.stderr
    text = (tmp_path / "MODEL_ZOO.md").read_text()
    assert "mine" in text and "paper_seed_resnet18_from_r50" in text
    assert default_registry_path().read_bytes() == packaged
    with pytest.raises(SeedError, match="packaged registry"):
        update_user_registry(plan, [], default_registry_path(), "resnet18")


def test_a_zoo_entry_is_copied_with_its_reported_numbers_so_the_merge_loses_none(tmp_path):
    from downstream.bench.zoo import update_user_registry

    user = tmp_path / "registry.yaml"
    for name, arch in (("swav_r50w2_400ep", "resnet50w2"), ("seed_resnet18_from_moco-v2_r50_200ep", "resnet18")):
        update_user_registry(bench_plan(tmp_path, name, tmp_path / f"{name}.pth", "b" * 64),
                             bench_records(tmp_path / name, 40.0, 80.0), user, arch)
    teacher, student = load_registry(user).entries
    reported = [m for m in load_registry().get("swav_r50w2_400ep").metrics if not m.measured]
    assert len(reported) == 2 and [m for m in teacher.metrics if not m.measured] == reported
    assert {m.benchmark for m in teacher.metrics if m.measured} == {"imagenet-knn", "cifar10"}
    assert student.teacher is None and student.teacher_description.startswith("moco-v2_r50_200ep")
