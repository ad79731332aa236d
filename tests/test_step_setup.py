"""`auto` precision, memory format and compile: chosen from what the device runs natively, recorded with why."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import pytest
import torch

from seed.errors import InputError
from seed.utils import amp, capabilities
from seed.utils.amp import EmulatedPrecisionWarning, choose_precision
from seed.utils.capabilities import Capabilities, device_capabilities
from seed.utils.step_setup import choose_step_setup

from conftest import tiny_config


def caps(device: str, native_bf16: bool) -> Capabilities:
    isa = {"cpu": "AVX512" if native_bf16 else "AVX2", "cuda": "sm_90" if native_bf16 else "sm_70"}[device]
    return Capabilities(device, f"fake {device}", isa, native_bf16, "faked for the test", 2)


@pytest.fixture(autouse=True)
def fresh_warning_state():
    """The emulated-bf16 warning is once per process: each test starts before it was given."""
    amp.warn_emulated_bf16.cache_clear()
    yield
    amp.warn_emulated_bf16.cache_clear()


@pytest.mark.parametrize("device, native, expected_amp, scaler, channels_last", [
    ("cpu", True, "bf16", False, False),
    ("cpu", False, "none", False, True),
    ("cuda", True, "bf16", False, True),
    ("cuda", False, "fp16", True, True),
])
def test_auto_picks_what_the_device_runs_natively(device, native, expected_amp, scaler, channels_last):
    setup = choose_step_setup("auto", "auto", "auto", caps(device, native))
    assert setup.precision.amp == expected_amp and setup.precision.grad_scaler is scaler
    assert setup.channels_last is channels_last and setup.compile == "none"
    assert setup.precision.reason.startswith("auto:") and setup.layout_reason.startswith("auto:")


def test_the_run_record_entry_says_what_was_chosen_and_why():
    record = choose_step_setup("auto", "auto", "auto", caps("cpu", False)).to_dict()
    assert record["amp"] == "none" and record["amp_requested"] == "auto"
    assert "emulated" in record["amp_reason"] and record["device"]["native_bf16"] is False
    json.dumps(record)  # run.json holds it as is


def test_auto_on_another_device_type_is_full_precision():
    setup = choose_step_setup("auto", "auto", "auto", Capabilities("mps", "mps", "unknown", False, "?", 1))
    assert setup.precision.amp == "none" and setup.channels_last is False


def test_explicit_values_are_kept_as_given():
    setup = choose_step_setup("fp16", False, "student", caps("cuda", True))
    assert (setup.precision.amp, setup.channels_last, setup.compile) == ("fp16", False, "student")
    assert setup.precision.reason == "train.amp=fp16 set explicitly"


def test_explicit_bf16_on_a_cpu_without_native_bf16_warns_once():
    with pytest.warns(EmulatedPrecisionWarning) as record:
        first = choose_precision("bf16", "train.amp", caps("cpu", False))
        choose_precision("bf16", "train.amp", caps("cpu", False))
    assert len(record) == 1 and "train.amp=bf16" in str(record[0].message)
    assert first.amp == "bf16" and "emulated" in first.reason


def test_explicit_bf16_where_it_is_native_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert choose_precision("bf16", "features.amp", caps("cpu", True)).amp == "bf16"
        assert choose_precision("bf16", "train.amp", caps("cuda", False)).amp == "bf16"


@pytest.mark.parametrize("amp_value, layout, compile, option", [
    ("bf8", "auto", "auto", "train.amp"), ("auto", "nhwc", "auto", "train.channels_last"),
    ("auto", "auto", "inductor", "train.compile"),
])
def test_an_unknown_value_names_its_option(amp_value, layout, compile, option):
    with pytest.raises(InputError, match=option):
        choose_step_setup(amp_value, layout, compile, caps("cpu", True))


def test_a_cpu_without_bf16_hardware_is_not_native(monkeypatch):
    flags = {name: value for name, value in torch.cpu.get_capabilities().items()
             if name not in ("amx_bf16", "avx512_bf16", "bf16")}
    monkeypatch.setattr(capabilities.torch.cpu, "get_capabilities", lambda: flags)
    found = device_capabilities(torch.device("cpu"))
    assert found.native_bf16 is False and "neither AVX-512 BF16 nor AMX" in found.bf16_why


def test_libraries_capped_to_avx2_mean_no_native_bf16():
    code = ("import torch; from seed.utils.capabilities import cpu_capabilities; c = cpu_capabilities(); "
            "print(c.isa, c.native_bf16)")
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["AVX2", "False"]


def test_a_run_records_its_step_setup(tmp_path):
    from seed.engine.trainer import distill
    distill(tiny_config(tmp_path, "train.max_steps=1"))
    setup = json.loads((tmp_path / "run" / "run.json").read_text())["sessions"][0]["step_setup"]
    native = device_capabilities(torch.device("cpu")).native_bf16
    assert setup["amp_requested"] == "auto" and setup["amp"] == ("bf16" if native else "none")
    assert setup["channels_last"] is (not native) and setup["compile"] == "none"
