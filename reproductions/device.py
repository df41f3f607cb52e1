"""Which device a run uses: auto (a CUDA GPU when there is one, else the CPU), cpu, or cuda."""

from __future__ import annotations

from kb.errors import BadInput, KbError

DEVICES = ("auto", "cpu", "cuda")


class NoGpu(KbError):
    exit_code = 2


def check_choice(device: str) -> str:
    device = (device or "auto").strip().lower()
    if device not in DEVICES:
        raise BadInput(f"unknown device {device!r}", f"choose one of {', '.join(DEVICES)}")
    return device


def resolve(device: str) -> str:
    """'cpu' or 'cuda'. Imports torch: call it inside the worker, not in the CLI or TUI."""
    device = check_choice(device)
    import torch

    has_cuda = torch.cuda.is_available()
    if device == "cuda" and not has_cuda:
        raise NoGpu("--device cuda was asked for, but this machine has no CUDA GPU that torch can use",
                    "run with --device cpu (or auto), or install a CUDA build of torch on a GPU machine")
    if device == "auto":
        return "cuda" if has_cuda else "cpu"
    return device


def describe(device: str) -> str:
    import torch

    if device == "cuda":
        return torch.cuda.get_device_name(0)
    import platform

    return f"cpu ({platform.machine()}, {torch.get_num_threads()} threads)"
