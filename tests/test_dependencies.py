"""Dependencies run one way: `downstream` uses `seed`, never the reverse, and no module cycle exists;
`seed` finds downstream's commands, converters and configs through entry points, and every installed
recipe loads with its library (the OpenMMLab ones importing `downstream` through `custom_imports`)."""
from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from conftest import REPO
from downstream.bench.suite import load_suite
from downstream.detectron2.config import student_cfg
from seed.errors import UnknownNameError
from seed.models.converters import converter, converters

INSTALLED = Path(str(resources.files("downstream.configs")))
OPENMMLAB = {"mmdet": "mmdet.registry", "segmentation": "mmseg.registry"}  # config folder -> its library's registry


def module_imports(package: str) -> dict[str, set[str]]:
    """Module -> the modules it imports (at the top or inside functions), for every file of `package`."""
    files = {}
    for path in (REPO / package).rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in files.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in files else node.module
                             for a in node.names}
            elif isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
        graph[name] = imported - {name}
    return graph


def test_no_seed_module_imports_downstream():
    offenders = {name: sorted(m for m in imports if m.split(".")[0] == "downstream")
                 for name, imports in module_imports("seed").items()}
    assert {name: found for name, found in offenders.items() if found} == {}


@pytest.mark.parametrize("package", ["seed", "downstream"])
def test_no_import_cycles(package):
    graph = module_imports(package)
    graph = {name: {m for m in imports if m in graph} for name, imports in graph.items()}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(m == goal or (m not in seen and not seen.add(m) and reaches(m, goal, seen)) for m in graph[start])

    assert sorted(name for name in graph if reaches(name, name, set())) == []


def test_every_seed_module_imports_without_downstream():
    code = """
import importlib, importlib.abc, pkgutil, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'downstream':
            raise ModuleNotFoundError(f'blocked: {name}')
sys.meta_path.insert(0, Block())
import seed
names = [i.name for i in pkgutil.walk_packages(seed.__path__, 'seed.')]
for name in names:
    importlib.import_module(name)
print(len(names))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 30


def test_downstream_registers_its_converters_through_entry_points():
    assert {"d2", "mmseg"} <= set(converters())
    assert converter("d2").__name__ == "downstream.convert"


def test_an_unknown_conversion_target_names_the_known_ones():
    with pytest.raises(UnknownNameError, match="'nope'; known: d2, mmdet, mmseg"):
        converter("nope")


@pytest.mark.parametrize("path", [path for folder in OPENMMLAB for path in sorted(INSTALLED.glob(f"{folder}/**/*.py"))],
                         ids=lambda path: str(path.relative_to(INSTALLED)))
def test_every_installed_openmmlab_recipe_loads_and_its_backbone_is_registered(path):
    from mmengine.config import Config

    cfg = Config.fromfile(str(path))  # runs the file's custom_imports of downstream.mmdet / downstream.mmseg
    backbone = cfg.get("model", {}).get("backbone")
    if backbone is not None:
        registry = importlib.import_module(OPENMMLAB[path.relative_to(INSTALLED).parts[0]]).MODELS
        assert registry.get(backbone.type) is not None, f"{path}: {backbone.type} is not registered"


@pytest.mark.parametrize("path", sorted(INSTALLED.glob("detection/**/*.yaml")), ids=lambda path: path.stem)
def test_every_installed_detection_recipe_merges_into_our_detectron2_config(path):
    cfg = student_cfg()
    cfg.merge_from_file(str(path))  # an unknown key or a missing _BASE_ is an error here
    assert cfg.MODEL.TIMM.ARCH == "auto"


@pytest.mark.parametrize("path", sorted(INSTALLED.glob("bench/*.yaml")), ids=lambda path: path.stem)
def test_every_installed_bench_suite_loads(path):
    assert load_suite(path.stem).stages
