"""Errors: ours (SeedError) print as one line with exit 2 in the CLI and every tool; anything else
keeps its traceback. Every subcommand and tool answers --help."""
from __future__ import annotations

import argparse
import ast
import builtins
import importlib
import inspect
import pkgutil
import runpy
import sys

import pytest

import downstream
import seed
from conftest import REPO
from seed import cli
from seed.errors import SeedError, report_errors

TOOLS = sorted((REPO / "tools").glob("*.py"))
# Built-in exceptions we still raise on purpose: they mean a bug in our code or a plug-in, not bad input.
BUG_RAISES = {("seed/registry.py", "KeyError"), ("seed/cli.py", "RuntimeError"),
              ("downstream/mmseg/convert.py", "RuntimeError"), ("seed/objectives/base.py", "NotImplementedError"),
              ("seed/engine/metrics.py", "RuntimeError"),
              ("seed/models/layouts/base.py", "ValueError")}  # registering two layouts at one priority: a bug


def command_paths(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command line reaching a (sub)parser: ("eval",), ("eval", "knn"), ("zoo", "list"), ..."""
    found = [path]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += command_paths(sub, path + (name,))
    return found


@pytest.mark.parametrize("path", command_paths(cli.build_parser()), ids=" ".join)
def test_every_subcommand_answers_help(path, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main([*path, "--help"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("usage: seed")


@pytest.mark.parametrize("tool", TOOLS, ids=lambda p: p.name)
def test_every_tool_answers_help(tool, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [str(tool), "--help"])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(tool), run_name="__main__")
    assert stop.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_a_seed_error_is_one_line_and_exit_2(capsys):
    def fail():
        raise SeedError("data.path: /nowhere does not exist")

    assert report_errors("seed distill", fail) == 2
    assert capsys.readouterr().err.splitlines()[0] == "seed distill: error: SeedError: data.path: /nowhere does not exist"


@pytest.mark.parametrize("error", [RuntimeError("CUDA error: out of memory"), KeyError("a bug"), ValueError("a bug")])
def test_other_errors_keep_their_traceback(error, monkeypatch):
    def run(args):
        raise error

    monkeypatch.setattr("seed.commands.data.run", run)
    with pytest.raises(type(error)):
        cli.main(["data", "to-tsv", "source", "destination"])


def test_a_tool_reports_bad_input_in_one_line(tmp_path, monkeypatch, capsys):
    tool = REPO / "tools" / "test_seg.py"
    monkeypatch.setattr(sys, "argv", [str(tool), str(tmp_path / "missing.py"), str(tmp_path / "iter_1.pth")])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(tool), run_name="__main__")
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "test_seg.py: error: MissingInputError: config file" in err and "missing.py" in err


@pytest.mark.parametrize("tool, config", [
    ("train_seg.py", "configs/mmdet/faster-rcnn/faster-rcnn_student-c4_8xb2-24k_voc0712.py"),
    ("test_mmdet.py", "configs/segmentation/fcn/fcn-d16_student_4xb4-30k_voc12aug-512x512.py"),
])
def test_a_tool_refuses_a_config_of_the_other_library_before_looking_for_data(tool, config, tmp_path,
                                                                              monkeypatch, capsys):
    path = REPO / "tools" / tool
    checkpoint = [str(tmp_path / "iter_1.pth")] if tool.startswith("test_") else []
    monkeypatch.setattr(sys, "argv", [str(path), str(REPO / config), *checkpoint, "--data-root", str(tmp_path)])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(path), run_name="__main__")
    assert stop.value.code == 2
    assert "makes it a config of another library" in capsys.readouterr().err


def our_modules():
    for package in (seed, downstream):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            yield importlib.import_module(info.name)


def test_every_exception_class_of_ours_derives_from_seed_error():
    classes = {obj for module in our_modules() for obj in vars(module).values()
               if inspect.isclass(obj) and issubclass(obj, Exception) and not issubclass(obj, Warning)
               and obj.__module__.split(".")[0] in ("seed", "downstream")}
    assert len(classes) >= 10
    assert [c.__qualname__ for c in classes if not issubclass(c, SeedError)] == []


def test_no_builtin_exception_is_raised_for_bad_input():
    """A `raise ValueError(...)` would escape the one-line report: raise a SeedError subclass instead."""
    found = []
    for path in sorted([*(REPO / "seed").rglob("*.py"), *(REPO / "downstream").rglob("*.py"), *TOOLS]):
        relative = path.relative_to(REPO).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name):
                name = node.exc.func.id
                if isinstance(getattr(builtins, name, None), type) and (relative, name) not in BUG_RAISES:
                    found.append(f"{relative}:{node.lineno} raise {name}")
    assert found == []
