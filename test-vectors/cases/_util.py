"""Helpers shared by the case modules (files starting with '_' are not case modules)."""
import torch

from generate import Case  # noqa: F401  (re-exported for case modules)

F32, F64 = torch.float32, torch.float64
DTYPE_NAMES = {F32: "f32", F64: "f64"}
REDUCTIONS = ("none", "mean", "sum")


def randn(*shape, dtype=F64, scale=1.0):
    return (torch.randn(tuple(shape), dtype=torch.float64) * scale).to(dtype)


def uniform(*shape, lo=0.0, hi=1.0, dtype=F64):
    return torch.empty(tuple(shape), dtype=torch.float64).uniform_(lo, hi).to(dtype)


def randint(hi, *shape, lo=0, dtype=torch.int64):
    return torch.randint(lo, hi, tuple(shape), dtype=dtype)


def signs(*shape, dtype=F64):
    return (torch.randint(0, 2, tuple(shape)) * 2 - 1).to(dtype)
