"""The package's surface: import without the heavy integrations, the command line, the thin tool."""
from __future__ import annotations

import subprocess
import sys

from conftest import REPO, run_cli


def test_import_seed_pulls_in_neither_detectron2_nor_mmseg_nor_mmdet():
    code = ("import sys, seed, seed.cli, seed.engine.trainer, downstream, downstream.knn, downstream.convert, "
            "downstream.records, downstream.commands.convert, downstream.commands.results\n"
            "heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('detectron2', 'mmseg', 'mmdet', 'mmcv', 'mmengine')]\n"
            "print(heavy); sys.exit(1 if heavy else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("distill", "data", "demo"):
        assert command in result.stdout


def test_distill_without_config_says_what_is_missing():
    result = run_cli("distill")
    assert result.returncode != 0 and "--config is required" in result.stderr


def test_tools_distill_is_the_same_command(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "tools" / "distill.py"), "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "--resume" in result.stdout


def test_user_errors_are_one_line_not_a_traceback():
    result = run_cli("zoo", "show", "no-such-model")
    assert result.returncode == 2
    assert "seed zoo: error: UnknownNameError: no model 'no-such-model'" in result.stderr and "Traceback" not in result.stderr
    debug = run_cli("zoo", "show", "no-such-model", env={"SEED_DEBUG": "1"})
    assert "Traceback" in debug.stderr
