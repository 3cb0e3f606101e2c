"""AdaptiveLogSoftmaxWithLoss: the module's weights are arguments (PyTorch's parameter names, dots made underscores).

Each case builds nn.AdaptiveLogSoftmaxWithLoss from the options and runs it with torch.func.functional_call on the
argument weights, so autograd differentiates input and every weight. Extras: `output` (the module's first result,
compared by VectorRunner) and, for 2-D input, `log_prob()` and `predict()` (the methods of the same name, compared by
AdaptiveLogSoftmaxWithLossMethodsTest).
"""
import copy

import torch
from torch.func import functional_call

from _util import Case, F32, F64, DTYPE_NAMES, randn

I64, I32 = torch.int64, torch.int32
LOSS = "AdaptiveLogSoftmaxWithLoss"


def _module(options):
    return torch.nn.AdaptiveLogSoftmaxWithLoss(**options)


def _param_names(module):
    return [n for n, _ in module.named_parameters()]


def call(module, args):
    x, t, *ws = args
    res = functional_call(module, dict(zip(_param_names(module), ws)), (x, t))
    # A cluster no target falls in leaves its weights out of the graph: autograd gives None, which the generator's
    # probe would read as "not differentiable". loss4j returns their gradient, zero; adding 0 * sum(w) (exact for
    # finite weights) makes autograd record that zero. Used weights get + 0, also exact.
    return res.loss + sum(0 * w.sum() for w in ws)


def extras(module, args, out):
    x, t, *ws = args
    res = functional_call(module, dict(zip(_param_names(module), ws)), (x, t))
    d = {"output": res.output}
    if x.dim() == 2:
        m = copy.deepcopy(module).to(x.dtype)
        with torch.no_grad():
            for (_, p), w in zip(m.named_parameters(), ws):
                p.copy_(w)
            d["log_prob()"] = m.log_prob(x)
            d["predict()"] = m.predict(x)
    return d


def weights(options, dtype, scale=1.0):
    """Random weights of the module's shapes, as [(arg_name, tensor)] in argument order."""
    out = []
    for name, p in _module(options).named_parameters():
        fan_in = p.shape[-1] if p.dim() == 2 else 1
        out.append((name.replace(".", "_"), randn(*p.shape, dtype=dtype, scale=scale * 2.0 / max(fan_in, 1) ** 0.5)))
    return out


def bounds_of(options):
    return [0] + list(options["cutoffs"]) + [options["n_classes"]]


def targets(n, options, regions=None, dtype=I64):
    """n targets cycling through the given regions (0: the shortlist, i: cluster i - 1), shuffled."""
    b = bounds_of(options)
    regions = list(range(len(b) - 1)) if regions is None else regions
    t = [int(torch.randint(b[r], b[r + 1], ())) for r in (regions[k % len(regions)] for k in range(n))]
    return torch.tensor(t, dtype=I64)[torch.randperm(n)].to(dtype)


def case(name, options, n, dtype, regions=None, t=None, scale=1.0, x_scale=1.0, unbatched=False, target_dtype=I64,
         **kw):
    import generate
    generate.seed_for(name)
    f = options["in_features"]
    if unbatched:
        x = randn(f, dtype=dtype, scale=x_scale)
        tt = torch.tensor(t, dtype=target_dtype)
    else:
        x = randn(n, f, dtype=dtype, scale=x_scale)
        tt = torch.tensor(t, dtype=target_dtype) if t is not None else targets(n, options, regions, target_dtype)
    return Case(name, LOSS, options, [("input", x), ("target", tt)] + weights(options, dtype, scale),
                module=_module, call=call, extras=extras, **kw)


def opts(in_features, n_classes, cutoffs, div_value=None, head_bias=None):
    o = {"in_features": in_features, "n_classes": n_classes, "cutoffs": list(cutoffs)}
    if div_value is not None:
        o["div_value"] = div_value
    if head_bias is not None:
        o["head_bias"] = head_bias
    return o


def error(name, options, args, java, mentions, stricter=None, with_weights=True, dtype=F32):
    import generate
    generate.seed_for(name)
    a = list(args)
    if with_weights:
        a += weights(options, dtype)
    err = (java, mentions) if stricter is None else (java, mentions, stricter)
    return Case(name, LOSS, options, a, module=_module, call=call, error=err)


def cases():
    one = opts(8, 10, [4])                               # div_value 4 (default): hsz 2
    two = opts(16, 20, [5, 12], div_value=2.0)           # hsz 8, 4
    three = opts(16, 30, [4, 10, 20])                    # hsz 4, 1, 0 (16 // 64 == 0)
    div1 = opts(6, 12, [3, 7], div_value=1.0)            # hsz 6, 6
    bias = opts(8, 15, [5, 10], div_value=2.0, head_bias=True)
    small = opts(8, 10, [4, 7], div_value=2.0)
    for dt in (F32, F64):
        d = DTYPE_NAMES[dt]
        yield case(f"{LOSS}_1cutoff_{d}", one, 6, dt)
        yield case(f"{LOSS}_2cutoffs_div2_{d}", two, 8, dt)
        yield case(f"{LOSS}_3cutoffs_zero_hidden_{d}", three, 12, dt)
        yield case(f"{LOSS}_div1_{d}", div1, 7, dt)
        yield case(f"{LOSS}_head_bias_{d}", bias, 9, dt)
        yield case(f"{LOSS}_unbatched_head_{d}", small, 1, dt, t=2, unbatched=True)
        yield case(f"{LOSS}_unbatched_cluster0_{d}", small, 1, dt, t=5, unbatched=True)
        yield case(f"{LOSS}_unbatched_cluster1_{d}", small, 1, dt, t=9, unbatched=True)
        yield case(f"{LOSS}_all_head_{d}", small, 5, dt, regions=[0])
        yield case(f"{LOSS}_only_last_cluster_{d}", three, 4, dt, regions=[3])
        yield case(f"{LOSS}_one_row_cluster_{d}", two, 1, dt, regions=[2])
        yield case(f"{LOSS}_boundaries_{d}", three, 8, dt, t=[0, 3, 4, 9, 10, 19, 20, 29])
        yield case(f"{LOSS}_empty_batch_{d}", bias, 0, dt)
        yield case(f"{LOSS}_head_bias_3cutoffs_{d}", opts(12, 40, [2, 9, 25], div_value=2.0, head_bias=True), 10, dt)
    yield case(f"{LOSS}_div1_5_f64", opts(10, 25, [6, 12, 18], div_value=1.5), 9, F64)       # 10 // 1.5 ** i: 6, 4, 2
    yield case(f"{LOSS}_div0_5_f64", opts(5, 9, [3, 6], div_value=0.5), 6, F64)              # hsz 10, 20
    yield case(f"{LOSS}_div_inf_f64", opts(6, 9, [3], div_value=float("inf")), 6, F64)       # hsz 0
    yield case(f"{LOSS}_div_value_3_f32", opts(27, 40, [10, 30], div_value=3.0), 12, F32)     # hsz 9, 3
    yield case(f"{LOSS}_int32_target_f64", two, 8, F64, target_dtype=I32)
    yield case(f"{LOSS}_int32_target_unbatched_f32", small, 1, F32, t=8, unbatched=True, target_dtype=I32)
    yield case(f"{LOSS}_large_logits_f64", bias, 9, F64, x_scale=30.0, scale=3.0)
    # logits of size ~50: PyTorch's float32 products lose ~1e-5 absolute in the input gradient to cancellation (a
    # float64 run of the same data agrees with loss4j to 3e-7 where float32 PyTorch is 3e-6 off)
    yield case(f"{LOSS}_large_logits_f32", bias, 9, F32, x_scale=10.0, scale=2.0,
               tolerance={"rel": 1e-4, "abs": 2e-5, "why": "float32 cancellation in PyTorch's gradient at logits ~50; "
                          "loss4j accumulates in double and matches a float64 run"})
    yield case(f"{LOSS}_duplicate_targets_f64", two, 10, F64, t=[7, 7, 7, 0, 0, 15, 15, 7, 19, 19])
    yield case(f"{LOSS}_cutoff_at_n_classes_minus_1_f64", opts(8, 10, [2, 9]), 6, F64)        # last cluster of 1 class
    yield case(f"{LOSS}_large_f32", opts(64, 2000, [20, 200, 1000], head_bias=True), 16, F32)
    yield case(f"{LOSS}_large_f64", opts(32, 500, [50, 150], div_value=2.0), 24, F64)

    # --- errors PyTorch raises (at construction)
    x, t = randn(3, 8, dtype=F32), torch.tensor([1, 4, 8])
    base = [("input", x), ("target", t)]
    ctor = lambda **o: {**opts(8, 10, [4, 7]), **o}
    for name, o, mentions in [
        ("cutoffs_empty", ctor(cutoffs=[]), ["cutoffs"]),
        ("cutoffs_unsorted", ctor(cutoffs=[7, 4]), ["cutoffs", "[7, 4]"]),
        ("cutoffs_zero", ctor(cutoffs=[0, 4]), ["cutoffs"]),
        ("cutoffs_n_classes", ctor(cutoffs=[4, 10]), ["cutoffs", "n_classes"]),
        ("cutoffs_duplicate", ctor(cutoffs=[4, 4]), ["cutoffs"]),
        ("cutoffs_float", ctor(cutoffs=[2.0, 4]), ["cutoffs", "integers"]),
        ("div_value_zero", ctor(div_value=0.0), ["div_value"]),
        ("div_value_negative", ctor(div_value=-2.0), ["div_value"]),
        ("div_value_nan", ctor(div_value=float("nan")), ["div_value"]),
        ("in_features_negative", ctor(in_features=-1), ["in_features"]),
        ("reduction", ctor(reduction="sum"), ["reduction"]),
    ]:
        yield error(f"{LOSS}_error_{name}", o, base, "IllegalArgumentException", mentions, with_weights=False)

    # --- errors PyTorch raises (in forward)
    o = opts(8, 10, [4, 7], div_value=2.0)
    yield error(f"{LOSS}_error_target_too_large", o, [("input", x), ("target", torch.tensor([1, 10, 8]))],
                "IndexOutOfBoundsException", ["target", "10"])
    yield error(f"{LOSS}_error_target_negative", o, [("input", x), ("target", torch.tensor([1, -1, 8]))],
                "IndexOutOfBoundsException", ["target", "-1"])
    yield error(f"{LOSS}_error_target_unbatched_too_large", o, [("input", randn(8, dtype=F32)), ("target", torch.tensor(12))],
                "IndexOutOfBoundsException", ["target", "12"])
    yield error(f"{LOSS}_error_batch_mismatch", o, [("input", randn(4, 8, dtype=F32)), ("target", t)],
                "IllegalArgumentException", ["batch", "[4, 8]", "[3]"])
    yield error(f"{LOSS}_error_target_2d", o, [("input", x), ("target", t.view(3, 1))],
                "IllegalArgumentException", ["target", "[3, 1]"])
    yield error(f"{LOSS}_error_target_0d_input_2d", o, [("input", x), ("target", t[0])],
                "IllegalArgumentException", ["1D input", "[3, 8]"])
    yield error(f"{LOSS}_error_target_1d_input_1d", o, [("input", randn(3, dtype=F32)), ("target", t)],
                "IllegalArgumentException", ["2D input", "[3]"])
    yield error(f"{LOSS}_error_float_target", o, [("input", x), ("target", t.float())],
                "IllegalArgumentException", ["target", "int64", "float32"])
    yield error(f"{LOSS}_error_in_features", o, [("input", randn(3, 7, dtype=F32)), ("target", t)],
                "IllegalArgumentException", ["input", "in_features", "[3, 7]"])
    yield error(f"{LOSS}_error_weight_dtype", o, [("input", x), ("target", t)],
                "IllegalArgumentException", ["head_weight", "float64"], dtype=F64)
    yield error(f"{LOSS}_error_input_int", o, [("input", x.to(I64)), ("target", t)],
                "IllegalArgumentException", ["input", "int64"])

    # --- loss4j is stricter: PyTorch uses whatever weights functional_call gets if the products fit
    import generate
    name = f"{LOSS}_error_head_weight_shape"
    generate.seed_for(name)
    w = weights(o, F32)
    w[0] = ("head_weight", randn(7, 8, dtype=F32))
    yield Case(name, LOSS, o, [("input", x), ("target", t)] + w, module=_module, call=call,
               error=("IllegalArgumentException", ["head_weight", "[6, 8]", "[7, 8]"],
                      "PyTorch takes any head rows its gather indices fit; loss4j checks the module's shapes"))
    name = f"{LOSS}_error_tail_hidden_shape"
    generate.seed_for(name)
    w = weights(o, F32)
    w[1] = ("tail_0_0_weight", randn(5, 8, dtype=F32))
    w[2] = ("tail_0_1_weight", randn(3, 5, dtype=F32))
    yield Case(name, LOSS, o, [("input", x), ("target", t)] + w, module=_module, call=call,
               error=("IllegalArgumentException", ["tail_0_0_weight", "[4, 8]", "[5, 8]"],
                      "PyTorch accepts any hidden size the two products agree on; loss4j checks the module's shapes"))
