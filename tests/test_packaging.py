"""Packaging: every config file is installed with the package whose code reads it (`seed.configs`: distill/,
eval/; `downstream.configs`: the recipes that import `downstream`, and the bench suites), and a config name
resolves from the installed packages outside the repository."""
from __future__ import annotations

import contextlib
import logging
from importlib import resources
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
import setuptools  # noqa: F401  (provides `distutils` on Python >= 3.12)
from distutils.core import run_setup

import seed.extensions
from conftest import REPO
from downstream.bench.suite import suite_path
from seed.config import resolve_config_path

FOLDERS = {"seed.configs": {"distill", "eval"}, "downstream.configs": {"detection", "mmdet", "segmentation", "bench"}}
DOWNSTREAM = Path(str(resources.files("downstream.configs")))


@pytest.fixture(scope="module")
def installed() -> dict[str, set[str]]:
    """Package -> the config files setup.py installs in it: what build_py would copy, read without building."""
    with contextlib.chdir(REPO):
        build_py = run_setup("setup.py", stop_after="init").get_command_obj("build_py")
        build_py.ensure_finalized()
        return {package: set(files) for package, _, _, files in build_py.data_files if package in FOLDERS}


def test_each_config_folder_is_installed_with_the_package_that_reads_it(installed):
    assert {package: {Path(name).parts[0] for name in files} for package, files in installed.items()} == FOLDERS
    shipped = {path.relative_to(REPO / "configs").as_posix() for path in (REPO / "configs").rglob("*")
               if path.suffix in (".yaml", ".py") and path.name != "__init__.py"}
    assert installed["seed.configs"] | installed["downstream.configs"] == shipped  # nothing left out
    assert installed["seed.configs"] & installed["downstream.configs"] == set()


@pytest.mark.parametrize("name, installed_as", [
    ("detection/voc/faster_rcnn_c4_24k.yaml", "detection/voc/faster_rcnn_c4_24k.yaml"),
    ("configs/detection/coco/mask_rcnn_fpn_1x.yaml", "detection/coco/mask_rcnn_fpn_1x.yaml"),
    ("mmdet/faster-rcnn/faster-rcnn_student-c4_8xb2-24k_voc0712.py",
     "mmdet/faster-rcnn/faster-rcnn_student-c4_8xb2-24k_voc0712.py"),
    ("configs/segmentation/fcn/fcn-d16_student_4xb4-30k_voc12aug-512x512.py",
     "segmentation/fcn/fcn-d16_student_4xb4-30k_voc12aug-512x512.py"),
])
def test_a_downstream_recipe_resolves_by_name_outside_the_repository(name, installed_as, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_config_path(name) == (DOWNSTREAM / installed_as).resolve()


def test_a_bench_suite_resolves_by_name_outside_the_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert suite_path("seed-paper") == (DOWNSTREAM / "bench/seed-paper.yaml").resolve()


def test_seed_configs_resolve_while_a_config_extension_fails_to_import(tmp_path, monkeypatch, caplog):
    broken = EntryPoint(name="broken-configs", value="no_such_package.configs", group="seed.configs")
    monkeypatch.setattr(seed.extensions, "entry_points", lambda group: [broken] if group == "seed.configs" else [])
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.WARNING, logger="seed.extensions"):
        assert resolve_config_path("configs/distill/base.yaml").name == "base.yaml"
    assert "'broken-configs'" in caplog.text and "no_such_package" in caplog.text
