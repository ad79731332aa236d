"""The model-zoo table: every number has a source, measured numbers sit beside reported ones, figures draw."""
from __future__ import annotations

import hashlib
import re
import shutil

import pytest
import yaml
from PIL import Image

from downstream.records import command_line
from seed.config import ConfigError
from seed.zoo.benchmarks import BENCHMARKS
from seed.zoo.figures import FIGURES, FigureError, build_figure, drawable
from seed.zoo.registry import default_registry_path, load_registry
from seed.zoo.render import Footnotes, cell

from conftest import REPO, run_cli, write_teacher
from eval_fixtures import write_cifar10, write_imagenet_folder

NUMBER = re.compile(r"(\d+\.\d)(\\\*)?<sup>([^<]+)</sup>")
FAST = ["features.image_size=32", "features.resize=32", "features.workers=0", "features.batch_size=16"]


def write_models(path, *models) -> str:
    path.write_text(yaml.safe_dump({"models": list(models)}))
    return str(path)


def reference(name="paper_x", **extra) -> dict:
    return {"name": name, "kind": "reference", "arch": "resnet18", "method": "SEED", "license": "none", "files": [],
            **extra}


def sources(markdown: str) -> dict[str, str]:
    """Footnote label -> its text, from the Sources section."""
    section = markdown.split("## Sources", 1)[1]
    return dict(re.findall(r"^- <sup>([^<]+)</sup> (.*)$", section, flags=re.M))


def table_rows(markdown: str, heading: str) -> list[list[str]]:
    """The cells of a section's Markdown table (header and rule excluded)."""
    section = markdown.split(heading, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")][2:]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]


def test_a_reported_metric_without_a_source_is_refused(tmp_path):
    path = write_models(tmp_path / "zoo.yaml", reference(metrics=[{"benchmark": "cifar10", "value": 90.1}]))
    with pytest.raises(ConfigError, match=r"paper_x: metrics\[0\].*cifar10 top1 = 90.1 has no `source`"):
        load_registry(path)


def test_a_measured_metric_without_its_record_is_refused(tmp_path):
    metric = {"benchmark": "imagenet-knn", "value": 50.0, "status": "measured"}
    with pytest.raises(ConfigError, match="has no `record`"):
        load_registry(write_models(tmp_path / "zoo.yaml", reference(metrics=[metric])))


def test_every_number_in_model_zoo_md_traces_to_a_registry_source():
    markdown = (REPO / "MODEL_ZOO.md").read_text()
    registry, notes = load_registry(), sources(markdown)
    reported = {(m.value, m.source) for e in registry.entries for m in e.metrics if not m.measured}
    found = NUMBER.findall(markdown)
    assert len(found) > 50
    for value, star, labels in found:
        assert not star, "the packaged registry holds no measured number yet"
        for label in labels.split(","):
            assert (float(value), notes[label]) in reported, f"{value} <sup>{label}</sup> is not in the registry"
    for row in table_rows(markdown, "## Students: every benchmark") + table_rows(markdown, "## Teachers"):
        for value in row[4:4 + len(BENCHMARKS)] if len(row) > 8 else row[4:6]:
            assert value == "-" or value == "" or NUMBER.fullmatch(value.split(" / ")[0].split(" ")[0]), value


def test_figures_linked_from_model_zoo_md_draw_from_the_registry():
    markdown, registry = (REPO / "MODEL_ZOO.md").read_text(), load_registry()
    linked = re.findall(r"!\[(\w+)\]\((docs/zoo/\w+\.png)\)", markdown)
    assert [name for name, _ in linked] == drawable(registry) and "figure1" in drawable(registry)
    for name, path in linked:
        assert build_figure(registry, name).panels
        file = REPO / path
        assert file.stat().st_size < 200_000
        with Image.open(file) as image:
            assert image.format == "PNG"


def test_a_figure_without_numbers_in_the_registry_cannot_be_drawn(tmp_path):
    path = write_models(tmp_path / "zoo.yaml", reference(objective="seed", metrics=[
        {"benchmark": "imagenet-linear", "value": 60.0, "source": "Table 1"}]))
    registry = load_registry(path)
    for name in FIGURES.names():
        with pytest.raises(FigureError, match=f"{name} cannot be drawn"):
            build_figure(registry, name)
    result = run_cli("zoo", "--registry", path, "plot", str(tmp_path / "f.png"), "--figure", "figure3")
    assert result.returncode != 0 and "figure3 cannot be drawn" in result.stderr
    assert not (tmp_path / "f.png").exists()


def test_list_sorts_by_a_benchmark_and_shows_the_columns_asked_for():
    result = run_cli("zoo", "list", "--student", "resnet34", "--sort", "voc07-detection",
                     "--columns", "voc07-detection,imagenet-linear")
    assert result.returncode == 0, result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.split()[3:5] == ["voc07-detection", "imagenet-linear"]
    registry = load_registry()
    shown = [line.split()[0] for line in lines]
    best = [max((m.value for m in registry.get(n).values("voc07-detection")), default=-1.0) for n in shown]
    assert best == sorted(best, reverse=True) and best[0] > 0
    row = lines[0].split()
    assert float(row[3]) == best[0] and float(row[4]) == registry.get(shown[0]).values("imagenet-linear")[0].value
    wrong = run_cli("zoo", "list", "--columns", "imagenet-linear,cifar11")
    assert wrong.returncode != 0 and "unknown benchmark 'cifar11'" in wrong.stderr


@pytest.mark.slow
def test_measured_numbers_land_beside_the_reported_ones(tmp_path):
    """seed eval knn / linear-fast / transfer -> seed results --update-zoo (a registry copy) -> the table."""
    write_imagenet_folder(tmp_path / "imagenet", classes=3)
    write_cifar10(tmp_path / "cifar")
    student = write_teacher(tmp_path / "student.pth", seed=3)
    common = ["--model", str(student), "--name", "student", "--output", str(tmp_path / "results"),
              f"features.cache_dir={tmp_path / 'cache'}", *FAST]
    imagenet = ["--data", str(tmp_path / "imagenet"), "--dataset", "imagenet"]
    runs = [("knn", *imagenet, "knn.ks=[5]"), ("linear-fast", *imagenet, "probe.weight_decays=[0.0]"),
            ("transfer", "--data", str(tmp_path / "cifar"), "--dataset", "cifar10", "probe.weight_decays=[0.0]")]
    for protocol, *args in runs:
        result = run_cli("eval", protocol, *common, *args)
        assert result.returncode == 0, result.stderr[-2000:]

    # the copy: the paper's ResNet-18 SEED student (reported 57.6, DisCo Table 1) gets our file
    registry_file = tmp_path / "registry.yaml"
    shutil.copy(default_registry_path(), registry_file)
    data = yaml.safe_load(registry_file.read_text())
    entry = next(m for m in data["models"] if m["name"] == "paper_seed_resnet18_from_r50")
    entry["files"] = [{"url": "https://example.invalid/student.pth", "filename": "student.pth",
                       "sha256": hashlib.sha256(student.read_bytes()).hexdigest()}]
    registry_file.write_text(yaml.safe_dump(data, sort_keys=False))
    update = run_cli("results", str(tmp_path / "results"), "--update-zoo", str(registry_file))
    assert update.returncode == 0, update.stderr[-2000:]
    assert "updated 1 zoo entry" in update.stdout and "paper_seed_resnet18_from_r50" in update.stdout

    rendered = run_cli("zoo", "--registry", str(registry_file), "render", "--output", str(tmp_path / "MODEL_ZOO.md"))
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    markdown = (tmp_path / "MODEL_ZOO.md").read_text()
    row = next(r for r in table_rows(markdown, "## Students") if r[0] == "`paper_seed_resnet18_from_r50`")
    records = {p.name.split("__")[1]: yaml.safe_load(p.read_text()) for p in (tmp_path / "results").glob("*.json")}
    notes = sources(markdown)
    titles = [b.title for b in BENCHMARKS]
    for protocol, column in (("knn", "ImageNet kNN top-1"), ("linear-fast", "ImageNet linear top-1"),
                             ("transfer", "CIFAR-10 top-1")):
        record = records[protocol]
        text = row[4 + titles.index(column)]
        measured = f"{record['metrics']['top1']:.1f}\\*"
        assert measured in text, (column, text)
        label = NUMBER.findall(text)[-1][2]
        digest = hashlib.sha256((tmp_path / "results" / f"student__{protocol}__{record['dataset']}__val.json")
                                .read_bytes()).hexdigest()
        assert f"seed eval {protocol}" in notes[label] and digest in notes[label] and record["created"] in notes[label]
    linear = row[4 + titles.index("ImageNet linear top-1")]
    assert linear.startswith("57.6<sup>") and " / " in linear  # reported, then ours beside it

    figure = run_cli("zoo", "--registry", str(registry_file), "plot", str(tmp_path / "figure4.png"),
                     "--figure", "figure4")
    assert figure.returncode == 0, figure.stderr[-2000:]  # Figure 4 now has a (measured) CIFAR-10 point


def test_readme_shows_rows_and_figures_of_the_current_model_zoo():
    readme, markdown = (REPO / "README.md").read_text(), (REPO / "MODEL_ZOO.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `paper_") or line.startswith("| `seed_")]
    assert len(rows) >= 5 and all(row in markdown.splitlines() for row in rows)
    for name in drawable(load_registry()):
        assert f"(docs/zoo/{name}.png)" in readme


def test_a_cell_prefers_the_official_protocol_over_a_newer_fast_probe(tmp_path):
    def measured(protocol, value, date):
        return {"benchmark": "imagenet-linear", "protocol": protocol, "value": value,
                "status": "measured", "record": {"sha256": "0" * 64, "date": date, "command": f"seed eval {protocol}"}}

    path = write_models(tmp_path / "zoo.yaml", reference(metrics=[
        {"benchmark": "imagenet-linear", "value": 57.6, "source": "Table 1"},
        measured("linear", 55.0, "2026-01-01"), measured("linear-fast", 56.0, "2026-02-01")]))
    entry = load_registry(path).get("paper_x")
    assert [m.value for m in entry.values("imagenet-linear", measured=True)] == [55.0, 56.0]
    shown = cell(entry, "imagenet-linear", Footnotes())
    assert re.fullmatch(r"57\.6<sup>1</sup> / 55\.0\\\*<sup>m1</sup>", shown), shown


def test_records_name_the_command_that_made_them():
    assert command_line(["/x/seed/__main__.py", "eval", "knn", "--data", "a b"]) == "seed eval knn --data 'a b'"
    assert command_line(["tools/eval.py", "--x"]) == "tools/eval.py --x"


@pytest.mark.slow
def test_committed_figures_plot_what_the_registry_holds_now():
    """The PNGs' embedded plotted data (lines, labels, texts) equals a fresh drawing's: numbers, not pixels."""
    import json

    import matplotlib.pyplot as plt

    from seed.zoo.plot import PLOTTED_KEY, canvas_of, plotted
    from seed.zoo.render import FIGURE_DIR, FIGURE_SIZE

    registry = load_registry()
    width, height, dpi = FIGURE_SIZE
    for name in drawable(registry):
        canvas = canvas_of(build_figure(registry, name), width, height, dpi)
        fresh = plotted(canvas)
        plt.close(canvas)
        with Image.open(REPO / FIGURE_DIR / f"{name}.png") as image:
            assert image.size == (width * dpi, height * dpi)
            committed = json.loads(image.text[PLOTTED_KEY])
        assert committed == fresh, f"{FIGURE_DIR}/{name}.png is out of date: run `seed zoo plot --all`"


def test_figure1_plots_the_registry_numbers_at_the_students_parameters(tmp_path):
    import json

    from seed.zoo.plot import PLOTTED_KEY, parameters_millions, plot_figure

    def model(name, objective, arch, value, teacher=None):
        return reference(name, objective=objective, arch=arch, epochs=200, teacher=teacher,
                         metrics=[{"benchmark": "imagenet-linear", "value": value, "source": "Table 1"}])

    path = write_models(tmp_path / "zoo.yaml", reference("teacher_r50", arch="resnet50"),
                        model("moco_r18", "mocov2", "resnet18", 52.5), model("moco_r34", "mocov2", "resnet34", 57.4),
                        model("seed_r18", "seed", "resnet18", 57.6, "teacher_r50"),
                        model("seed_r34", "seed", "resnet34", 58.5, "teacher_r50"))
    png = plot_figure(load_registry(path), "figure1", tmp_path / "figure1.png", 4, 3, 50)
    with Image.open(png) as image:
        (panel,) = json.loads(image.text[PLOTTED_KEY])
    sizes = [round(parameters_millions(arch), 4) for arch in ("resnet18", "resnet34")]
    assert panel["lines"] == [{"label": "MoCo-v2 (reported)", "x": sizes, "y": [52.5, 57.4]},
                              {"label": "SEED (reported)", "x": sizes, "y": [57.6, 58.5]}]
    assert panel["texts"] == ["resnet18", "resnet34"]
    assert (panel["xlabel"], panel["ylabel"]) == ("student parameters (millions)", "top-1 (%)")
