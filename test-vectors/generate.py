#!/usr/bin/env python3
"""Generates loss4j's reference vectors with real PyTorch.

Every expected number loss4j is tested against comes from here. Each module in cases/ yields Case objects; this
script runs them through torch.nn, records outputs and gradients (torch.autograd) for every floating argument
that PyTorch differentiates, and writes per loss:

    data/<Loss>.json   the cases: options, argument refs, expected output/gradients, or the expected error
    data/<Loss>.bin    the tensors, little-endian, back to back (refs hold dtype, shape and byte offset)
    data/manifest.json torch and python versions, case counts

Usage:  python generate.py [--only Loss1,Loss2] [--out data]
Needs:  torch (2.x CPU build from pip; the version used is recorded in data/manifest.json)
"""
import argparse
import warnings
import glob
import importlib.util
import json
import os
import platform
import sys
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import torch

HERE = os.path.dirname(os.path.abspath(__file__))

DTYPES = {torch.float32: "f32", torch.float64: "f64", torch.bfloat16: "bf16", torch.int64: "i64", torch.int32: "i32"}


@dataclass
class Case:
    """One reference case.

    name     unique, '<Loss>_<variant>' (PyTorch's common_nn naming)
    loss     torch.nn class name
    options  keyword options for the torch.nn constructor (tensors allowed, e.g. weight)
    args     [(name, tensor)] in forward order; names are PyTorch's argument names
    grads    compute gradients (for every floating arg torch differentiates)
    error    None, or (java_exception_simple_name, [words the message must mention]); torch must raise too,
             unless a third element gives the reason loss4j is stricter than torch (e.g. it never promotes dtypes)
    java_options  options as loss4j takes them, where they differ from torch's (e.g. a distance by name)
    module   optional callable(options) -> nn.Module, when getattr(nn, loss)(**options) is not enough
    call     optional callable(module, args) -> output tensor (default: module(*args))
    tolerance optional {"rel": r, "abs": a, "why": "..."} looser than the dtype's default (needs a reason)
    """
    name: str
    loss: str
    options: dict
    args: list
    grads: bool = True
    error: Optional[tuple] = None
    java_options: Optional[dict] = None
    module: Optional[Callable] = None
    call: Optional[Callable] = None
    tolerance: Optional[dict] = None
    extras: Optional[Callable] = None  # callable(module, args, output) -> {name: tensor} extra expected outputs


def seed_for(name):
    torch.manual_seed(zlib.crc32(name.encode()))


class Blob:
    def __init__(self):
        self.parts = []
        self.size = 0

    def add(self, t):
        t = t.detach().contiguous().cpu()
        if t.dtype not in DTYPES:
            raise ValueError(f"unsupported dtype {t.dtype}")
        raw = t.view(torch.int16) if t.dtype == torch.bfloat16 else t  # numpy has no bfloat16: store its bits
        data = raw.numpy().astype(raw.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        ref = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "offset": self.size}
        self.parts.append(data)
        self.size += len(data)
        pad = (-self.size) % 8
        if pad:
            self.parts.append(b"\0" * pad)
            self.size += pad
        return ref


def encode_option(v, blob):
    if isinstance(v, torch.Tensor):
        return {"tensor": blob.add(v)}
    if isinstance(v, (list, tuple)):
        return [encode_option(x, blob) for x in v]
    if isinstance(v, float) and v != v:
        return "nan"
    return v


def build_module(case):
    if case.module is not None:
        return case.module(case.options)
    return getattr(torch.nn, case.loss)(**case.options)


def run_case(case, blob):
    seed_for(case.name)
    rec = {
        "name": case.name,
        "loss": case.loss,
        "options": {k: encode_option(v, blob) for k, v in (case.java_options if case.java_options is not None else case.options).items()},
        "args": [],
        "output": None,
        "grad_output": None,
        "grads": {},
        "error": None,
        "tolerance": case.tolerance,
    }
    for name, t in case.args:
        rec["args"].append({"name": name, "tensor": blob.add(t)})

    if case.error is not None:
        try:
            module = build_module(case)
            out = module(*[t for _, t in case.args]) if case.call is None else case.call(module, [t for _, t in case.args])
            if case.grads:
                out = out if isinstance(out, torch.Tensor) else out[1]
        except Exception as e:  # torch raised: this is what we expect
            rec["error"] = {"java": case.error[0], "mentions": list(case.error[1]),
                            "torch": f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"}
            return rec
        if len(case.error) > 2:
            rec["error"] = {"java": case.error[0], "mentions": list(case.error[1]),
                            "torch": None, "stricter_than_torch": case.error[2]}
            return rec
        raise SystemExit(f"case {case.name}: expected torch to raise, but it returned {out}")

    module = build_module(case)
    floating = [i for i, (_, t) in enumerate(case.args) if t.is_floating_point()]
    extra_params = []  # module parameters that are arguments too (AdaptiveLogSoftmaxWithLoss weights)

    def attempt(diff):
        leaves = []
        inputs = []
        for i, (_, t) in enumerate(case.args):
            if i in diff:
                leaf = t.detach().clone().requires_grad_(True)
                leaves.append(leaf)
                inputs.append(leaf)
            else:
                inputs.append(t)
        out = module(*inputs) if case.call is None else case.call(module, inputs)
        return out, leaves

    diff = list(floating) if case.grads else []
    # Keep only the arguments PyTorch can differentiate: probe each one alone.
    if diff:
        ok = []
        for i in diff:
            try:
                out, leaves = attempt([i])
                if out.requires_grad:
                    g = torch.ones_like(out)
                    torch.autograd.grad(out, leaves, g, allow_unused=True)
                    ok.append(i)
            except RuntimeError as e:
                if not any(w in str(e) for w in ("not implemented", "does not require grad", "not differentiable")):
                    raise
        diff = ok
    out, leaves = attempt(diff)
    extras = case.extras(module, [t for _, t in case.args], out) if case.extras else None
    rec["output"] = blob.add(out)
    if extras:
        rec["extras"] = {k: blob.add(v) for k, v in extras.items()}
    if diff and out.requires_grad:
        seed_for(case.name + "/grad")
        if out.dim() == 0:
            go = torch.empty((), dtype=out.dtype).uniform_(0.5, 1.5)
        else:
            go = torch.empty(out.shape, dtype=out.dtype).uniform_(-1, 1)
        grads = torch.autograd.grad(out, leaves, go, allow_unused=True)
        rec["grad_output"] = blob.add(go)
        for i, g in zip(diff, grads):
            name, t = case.args[i]
            rec["grads"][name] = blob.add(g if g is not None else torch.zeros_like(t))
    return rec


def load_case_modules():
    mods = []
    for path in sorted(glob.glob(os.path.join(HERE, "cases", "*.py"))):
        if os.path.basename(path).startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location("cases_" + os.path.basename(path)[:-3], path)
        mod = importlib.util.module_from_spec(spec)
        sys.path.insert(0, os.path.join(HERE, "cases"))
        spec.loader.exec_module(mod)
        mods.append(mod)
    return mods


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="", help="comma-separated loss names to regenerate (default: all)")
    ap.add_argument("--out", default=os.path.join(HERE, "data"))
    ap.add_argument("--manifest-only", action="store_true", help="only recount data/*.json into manifest.json")
    a = ap.parse_args()
    if a.manifest_only:
        write_manifest(a.out, {})
        return
    only = set(x for x in a.only.split(",") if x)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=UserWarning)
    by_loss = {}
    names = set()
    for mod in load_case_modules():
        for case in mod.cases():
            if only and case.loss not in only:
                continue
            if case.name in names:
                raise SystemExit(f"duplicate case name {case.name}")
            names.add(case.name)
            by_loss.setdefault(case.loss, []).append(case)
    os.makedirs(a.out, exist_ok=True)
    counts = {}
    for loss, cases in sorted(by_loss.items()):
        blob = Blob()
        recs = [run_case(c, blob) for c in cases]
        with open(os.path.join(a.out, loss + ".bin"), "wb") as f:
            for p in blob.parts:
                f.write(p)
        with open(os.path.join(a.out, loss + ".json"), "w") as f:
            json.dump({"loss": loss, "cases": recs}, f, indent=None, separators=(",", ":"))
            f.write("\n")
        counts[loss] = len(recs)
        print(f"{loss}: {len(recs)} cases, {blob.size} bytes")
    write_manifest(a.out, counts)


def write_manifest(out, fresh):
    """manifest.json: case counts of every data/<Loss>.json present, and the torch that made them."""
    losses = {}
    for path in sorted(glob.glob(os.path.join(out, "*.json"))):
        if os.path.basename(path) == "manifest.json":
            continue
        with open(path) as f:
            d = json.load(f)
        losses[d["loss"]] = len(d["cases"])
    losses.update(fresh)
    manifest = {
        "losses": losses,
        "total": sum(losses.values()),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "generator": "test-vectors/generate.py",
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
