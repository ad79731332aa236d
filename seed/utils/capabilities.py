"""What the device will actually run fast: its vector ISA and whether bf16 is native there.

On a CPU, "native bf16" means the chip has AVX-512 BF16 or AMX *and* oneDNN (which runs
PyTorch's bf16 convolutions and matmuls) is allowed to use it: `ONEDNN_MAX_CPU_ISA=AVX2` or
`ATEN_CPU_CAPABILITY=avx2` make the same chip a plain AVX2 one, and bf16 then falls back to
slow emulated kernels. On CUDA it is the GPU's own bf16 support (Ampere and newer).
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import torch

# oneDNN ISA caps (ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA) below avx512_core_bf16: no bf16 instructions.
ONEDNN_CAPS_WITHOUT_BF16 = {"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX512_CORE", "AVX512_CORE_VNNI"}
# ATen vector ISAs whose bf16 kernels run on bf16 hardware (ATEN_CPU_CAPABILITY lowers the ISA).
ATEN_BF16_ISAS = {"AVX512", "SVE256", "SVE"}


@dataclass(frozen=True)
class Capabilities:
    """The device as the libraries see it; `bf16_why` says where `native_bf16` comes from."""

    device: str
    name: str
    isa: str
    native_bf16: bool
    bf16_why: str
    threads: int

    def describe(self) -> str:
        """One line for a heading or a log: name, ISA, bf16, threads."""
        bf16 = "native bf16" if self.native_bf16 else "no native bf16"
        return f"{self.name} ({self.device}, {self.isa}, {bf16}: {self.bf16_why}; {self.threads} threads)"

    def to_dict(self) -> dict:
        return asdict(self)


def _onednn_cap() -> str:
    return (os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or "").upper()


def _cpu_bf16(flags: dict, isa: str) -> tuple[bool, str]:
    """Whether bf16 is native for this process, and why (the first library in the way, if any)."""
    hardware = [name for name in ("amx_bf16", "avx512_bf16", "bf16") if flags.get(name)]
    onednn_cap = _onednn_cap()
    if not hardware:
        return False, "the CPU has neither AVX-512 BF16 nor AMX"
    if not torch.ops.mkldnn._is_mkldnn_bf16_supported() or onednn_cap in ONEDNN_CAPS_WITHOUT_BF16:
        return False, f"{hardware[0]} present, but oneDNN is limited to {onednn_cap or 'an ISA without it'}"
    if isa not in ATEN_BF16_ISAS:
        return False, f"{hardware[0]} present, but ATen dispatches {isa} kernels (ATEN_CPU_CAPABILITY)"
    return True, f"{hardware[0]}, used by oneDNN and ATen {isa}"


def cpu_capabilities() -> Capabilities:
    """This process's CPU: cpuinfo's flags, ATen's dispatch ISA and oneDNN's bf16 support, as capped by env."""
    flags = dict(torch.cpu.get_capabilities())
    isa = torch.backends.cpu.get_cpu_capability()
    native, why = _cpu_bf16(flags, isa)
    return Capabilities("cpu", str(flags.get("cpu_name", "CPU")), isa, native, why, torch.get_num_threads())


def cuda_capabilities(device: torch.device) -> Capabilities:
    """A CUDA device: its compute capability and whether bf16 runs natively (not emulated)."""
    major, minor = torch.cuda.get_device_capability(device)
    native = torch.cuda.is_bf16_supported(including_emulation=False)
    why = f"sm_{major}{minor} {'has' if native else 'lacks'} bf16 tensor cores"
    return Capabilities("cuda", torch.cuda.get_device_name(device), f"sm_{major}{minor}", native, why,
                        torch.get_num_threads())


def device_capabilities(device: torch.device) -> Capabilities:
    """Capabilities of `device` (CPU, CUDA; any other device reports no native bf16)."""
    if device.type == "cuda":
        return cuda_capabilities(device)
    if device.type == "cpu":
        return cpu_capabilities()
    return Capabilities(device.type, device.type, "unknown", False, "not measured on this device type",
                        torch.get_num_threads())
