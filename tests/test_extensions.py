"""A package registered in `seed`'s entry-point groups that fails to import is left out with a warning
naming it and its error; `seed --help` and every other command keep working."""
from __future__ import annotations

import importlib
import logging
from pathlib import Path

import pytest

from seed.cli import command_modules
from seed.models.converters import converters

from conftest import run_cli

ERROR = "libbroken.so: cannot open shared object file"


@pytest.fixture
def broken_extension(tmp_path: Path, monkeypatch) -> Path:
    """A distribution `broken-plugin` on sys.path whose command package and converter raise on import."""
    site = tmp_path / "site"
    package = site / "broken_plugin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(f"raise ImportError({ERROR!r})\n")
    info = site / "broken_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[seed.commands]\nbroken = broken_plugin.commands\n\n"
                                           "[seed.converters]\nbroken = broken_plugin.convert\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    monkeypatch.setattr("seed.extensions._warned", set())
    return site


def warnings_about(caplog, group: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and group in r.getMessage()]


def test_a_broken_command_package_is_left_out_with_a_warning_naming_it(broken_extension, caplog):
    commands = command_modules()
    assert {"distill", "eval", "zoo", "convert"} <= set(commands)  # seed's own and downstream's
    [warning] = warnings_about(caplog, "seed.commands")
    assert "'broken'" in warning and "broken_plugin.commands" in warning and "broken-plugin" in warning
    assert f"ImportError: {ERROR}" in warning


def test_a_broken_converter_is_left_out_with_a_warning_naming_it(broken_extension, caplog):
    assert {"d2", "mmdet", "mmseg"} <= set(converters())
    [warning] = warnings_about(caplog, "seed.converters")
    assert "broken_plugin.convert" in warning and ERROR in warning
    converters()
    assert len(warnings_about(caplog, "seed.converters")) == 1  # once per process


def test_seed_help_and_other_commands_work_beside_a_broken_extension(broken_extension):
    env = {"PYTHONPATH": str(broken_extension)}
    help_text = run_cli("--help", env=env)
    assert help_text.returncode == 0 and "distill" in help_text.stdout and "eval" in help_text.stdout
    assert "broken_plugin.commands" in help_text.stderr and ERROR in help_text.stderr
    assert "Traceback" not in help_text.stderr
    listing = run_cli("zoo", "list", env=env)
    assert listing.returncode == 0 and listing.stdout.strip(), listing.stderr[-2000:]
