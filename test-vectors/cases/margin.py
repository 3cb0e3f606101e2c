"""Margin losses: MultiMarginLoss, MultiLabelMarginLoss, CosineEmbeddingLoss, TripletMarginLoss,
TripletMarginWithDistanceLoss (every option x reduction x dtype, shape forms, kinks, eps traps, errors)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from _util import Case, F32, F64, DTYPE_NAMES, REDUCTIONS, randn, uniform, randint, signs

INF = float("inf")


def seeded(name):
    import generate
    generate.seed_for(name)
    return name


def t(values, dtype=F64):
    return torch.tensor(values, dtype=dtype)


def empty_reduced(fn, reduction):
    """PyTorch's fused multi-margin kernels return uninitialised memory for the mean/sum of an empty batch; the
    expected value is torch's own mean/sum of the (empty) unreduced losses: nan and 0."""
    def call(module, args):
        out = fn(*args, reduction="none")
        return out.mean() if reduction == "mean" else out.sum()
    return call


# ---------------------------------------------------------------------------------------------- MultiMarginLoss

def multi_margin():
    L = "MultiMarginLoss"
    for dt in (F32, F64):
        d = DTYPE_NAMES[dt]
        for p in (1, 2):
            for red in REDUCTIONS:
                n = seeded(f"{L}_p{p}_{red}_{d}")
                yield Case(n, L, {"p": p, "reduction": red}, [("input", randn(6, 5, dtype=dt)), ("target", randint(5, 6))])
                n = seeded(f"{L}_weight_p{p}_{red}_{d}")
                yield Case(n, L, {"p": p, "reduction": red, "weight": uniform(5, lo=0.1, hi=2.0, dtype=dt)},
                           [("input", randn(6, 5, dtype=dt)), ("target", randint(5, 6))])
        for margin in (0.5, -0.3, 2.0, 0.0):
            n = seeded(f"{L}_margin{margin}_{d}")
            yield Case(n, L, {"margin": margin, "reduction": "sum"}, [("input", randn(4, 7, dtype=dt)), ("target", randint(7, 4))])
        n = seeded(f"{L}_margin_p2_weight_{d}")
        yield Case(n, L, {"margin": 0.7, "p": 2, "weight": uniform(4, dtype=dt)}, [("input", randn(5, 4, dtype=dt)), ("target", randint(4, 5))])
        # unbatched: input (C), target () or (1)
        for red in REDUCTIONS:
            n = seeded(f"{L}_unbatched_{red}_{d}")
            yield Case(n, L, {"reduction": red}, [("input", randn(6, dtype=dt)), ("target", t(2, torch.int64))])
        n = seeded(f"{L}_unbatched_target1_none_{d}")
        yield Case(n, L, {"reduction": "none", "p": 2}, [("input", randn(6, dtype=dt)), ("target", t([4], torch.int64))])
        n = seeded(f"{L}_0dim_none_{d}")
        yield Case(n, L, {"reduction": "none"}, [("input", randn(dtype=dt)), ("target", t(0, torch.int64))])
        n = seeded(f"{L}_batch1_target0dim_none_{d}")
        yield Case(n, L, {"reduction": "none"}, [("input", randn(1, 4, dtype=dt)), ("target", t(3, torch.int64))])
        n = seeded(f"{L}_one_class_{d}")
        yield Case(n, L, {}, [("input", randn(3, 1, dtype=dt)), ("target", t([0, 0, 0], torch.int64))])
        # exact kinks: margin - x[y] + x[i] == 0 gives no loss and no gradient
        for p in (1, 2):
            n = seeded(f"{L}_kink_p{p}_{d}")
            yield Case(n, L, {"p": p, "reduction": "none"},
                       [("input", t([[0.0, 1.0, 0.0], [0.5, 1.5, 0.25], [-0.75, 0.25, 0.5]], dt)), ("target", t([1, 1, 1], torch.int64))])
        n = seeded(f"{L}_extreme_{d}")
        yield Case(n, L, {"p": 2}, [("input", t([[100.0, -100.0, 0.0], [-100.0, 100.0, 1e4]], dt)), ("target", t([1, 0], torch.int64))])
        for red in REDUCTIONS:
            n = seeded(f"{L}_empty_{red}_{d}")
            call = None if red == "none" else empty_reduced(F.multi_margin_loss, red)
            yield Case(n, L, {"reduction": red}, [("input", randn(0, 4, dtype=dt)), ("target", randint(4, 0))], call=call)
    n = seeded(f"{L}_large_f32")
    yield Case(n, L, {"weight": uniform(1000, lo=0.5, hi=1.5, dtype=F32)}, [("input", randn(128, 1000, dtype=F32)), ("target", randint(1000, 128))])

    x, y = randn(2, 3), t([0, 1], torch.int64)
    yield Case(f"{L}_error_p3", L, {"p": 3}, [("input", x), ("target", y)], error=("IllegalArgumentException", ["p", "3"]))
    yield Case(f"{L}_error_weight_2d", L, {"weight": torch.ones(1, 3, dtype=F64)}, [("input", x), ("target", y)],
               error=("IllegalArgumentException", ["weight", "2D"]))
    yield Case(f"{L}_error_weight_size", L, {"weight": torch.ones(4, dtype=F64)}, [("input", x), ("target", y)],
               error=("IllegalArgumentException", ["weight", "3", "[4]"]))
    yield Case(f"{L}_error_weight_dtype", L, {"weight": torch.ones(3, dtype=F32)}, [("input", x), ("target", y)],
               error=("IllegalArgumentException", ["weight", "float"]))
    yield Case(f"{L}_error_target_high", L, {}, [("input", x), ("target", t([0, 3], torch.int64))],
               error=("IndexOutOfBoundsException", ["target", "3", "3 classes"]))
    yield Case(f"{L}_error_target_negative", L, {}, [("input", x), ("target", t([-1, 0], torch.int64))],
               error=("IndexOutOfBoundsException", ["target", "-1", "3 classes"]))
    yield Case(f"{L}_error_target_0dim_input", L, {}, [("input", randn()), ("target", t(1, torch.int64))],
               error=("IndexOutOfBoundsException", ["target", "1", "1 classes"]))
    yield Case(f"{L}_error_input_3d", L, {}, [("input", randn(2, 3, 4)), ("target", y)], error=("IllegalArgumentException", ["input", "[2, 3, 4]"]))
    yield Case(f"{L}_error_input_no_classes", L, {}, [("input", randn(2, 0)), ("target", y)], error=("IllegalArgumentException", ["input", "[2, 0]"]))
    yield Case(f"{L}_error_target_2d", L, {}, [("input", x), ("target", y.reshape(2, 1))], error=("IllegalArgumentException", ["target", "[2, 1]"]))
    yield Case(f"{L}_error_target_count", L, {}, [("input", x), ("target", t([0, 1, 1], torch.int64))], error=("IllegalArgumentException", ["target", "[3]"]))
    yield Case(f"{L}_error_target_float", L, {}, [("input", x), ("target", t([0.0, 1.0]))], error=("IllegalArgumentException", ["target", "int64"]))
    yield Case(f"{L}_error_margin_nan", L, {"margin": float("nan")}, [("input", x), ("target", y)],
               error=("IllegalArgumentException", ["margin", "NaN"], "torch accepts a NaN margin and silently returns 0"))


# ---------------------------------------------------------------------------------------------- MultiLabelMarginLoss

def labels(n, c, gen_rows=None):
    """Random label lists: each row k distinct labels then -1, then random junk (valid labels) after the -1."""
    out = torch.full((n, c), -1, dtype=torch.int64)
    for i in range(n):
        k = int(torch.randint(0, c + 1, ()).item())
        perm = torch.randperm(c)
        out[i, :k] = perm[:k]
        if k + 1 < c:
            out[i, k + 1:] = torch.randint(0, c, (c - k - 1,))
    return out


def multi_label_margin():
    L = "MultiLabelMarginLoss"
    for dt in (F32, F64):
        d = DTYPE_NAMES[dt]
        for red in REDUCTIONS:
            n = seeded(f"{L}_{red}_{d}")
            yield Case(n, L, {"reduction": red}, [("input", randn(6, 5, dtype=dt)), ("target", labels(6, 5))])
            n = seeded(f"{L}_unbatched_{red}_{d}")
            yield Case(n, L, {"reduction": red}, [("input", randn(5, dtype=dt)), ("target", t([3, 0, -1, 1, 4], torch.int64))])
        n = seeded(f"{L}_0dim_{d}")
        yield Case(n, L, {"reduction": "none"}, [("input", randn(dtype=dt)), ("target", t(0, torch.int64))])
        n = seeded(f"{L}_0dim_target1_{d}")
        yield Case(n, L, {"reduction": "sum"}, [("input", randn(dtype=dt)), ("target", t([-1], torch.int64))])
        # -1 handling: labels after the first -1 are ignored; no labels; all labels; -1 first; duplicates
        x = randn(6, 4, dtype=dt)
        y = t([[1, -1, 0, 2],     # only label 1; 0 and 2 after -1 ignored
               [-1, 1, 2, 3],     # no labels
               [0, 1, 2, 3],      # every class a label: no non-label, loss 0
               [2, 2, -1, -1],    # duplicate label counts twice
               [3, 0, 1, -1],
               [0, -1, -1, -1]], torch.int64)
        for red in REDUCTIONS:
            yield Case(seeded(f"{L}_minus_one_{red}_{d}"), L, {"reduction": red}, [("input", x), ("target", y)])
        # PyTorch's docstring example
        yield Case(seeded(f"{L}_doc_example_{d}"), L, {}, [("input", t([[0.1, 0.2, 0.4, 0.8]], dt)), ("target", t([[3, 0, -1, 1]], torch.int64))])
        # exact kinks: 1 - x[label] + x[i] == 0
        yield Case(seeded(f"{L}_kink_{d}"), L, {"reduction": "none"},
                   [("input", t([[1.0, 0.0, 0.5], [0.25, 1.25, -2.0]], dt)), ("target", t([[0, -1, 1], [1, 2, -1]], torch.int64))])
        yield Case(seeded(f"{L}_extreme_{d}"), L, {"reduction": "sum"},
                   [("input", t([[100.0, -100.0, 0.0], [-1e4, 1e4, 3.0]], dt)), ("target", t([[1, -1, -1], [0, 2, -1]], torch.int64))])
        for red in REDUCTIONS:
            n = seeded(f"{L}_empty_{red}_{d}")
            call = None if red == "none" else empty_reduced(F.multilabel_margin_loss, red)
            yield Case(n, L, {"reduction": red}, [("input", randn(0, 3, dtype=dt)), ("target", torch.zeros(0, 3, dtype=torch.int64))], call=call)
        yield Case(seeded(f"{L}_one_class_{d}"), L, {"reduction": "none"}, [("input", randn(3, 1, dtype=dt)), ("target", t([[0], [-1], [0]], torch.int64))])
    n = seeded(f"{L}_large_f32")
    yield Case(n, L, {}, [("input", randn(96, 400, dtype=F32)), ("target", labels(96, 400))])

    x = randn(2, 3)
    yield Case(f"{L}_error_target_high", L, {}, [("input", x), ("target", t([[0, 3, -1], [1, 2, 0]], torch.int64))],
               error=("IndexOutOfBoundsException", ["target", "3"]))
    yield Case(f"{L}_error_target_minus2", L, {}, [("input", x), ("target", t([[0, -2, -1], [1, 2, 0]], torch.int64))],
               error=("IndexOutOfBoundsException", ["target", "-2"]))
    yield Case(f"{L}_error_target_after_minus1", L, {}, [("input", x), ("target", t([[0, -1, 5], [1, 2, 0]], torch.int64))],
               error=("IndexOutOfBoundsException", ["target", "5"]))
    yield Case(f"{L}_error_target_shape", L, {}, [("input", x), ("target", t([0, 1, -1], torch.int64))],
               error=("IllegalArgumentException", ["target", "[3]", "[2, 3]"]))
    yield Case(f"{L}_error_target_shape_unbatched", L, {}, [("input", randn(3)), ("target", t([[0, 1, -1]], torch.int64))],
               error=("IllegalArgumentException", ["target", "[1, 3]"]))
    yield Case(f"{L}_error_input_3d", L, {}, [("input", randn(2, 3, 4)), ("target", torch.zeros(2, 3, 4, dtype=torch.int64))],
               error=("IllegalArgumentException", ["input", "[2, 3, 4]"]))
    yield Case(f"{L}_error_input_no_classes", L, {}, [("input", randn(2, 0)), ("target", torch.zeros(2, 0, dtype=torch.int64))],
               error=("IllegalArgumentException", ["input", "[2, 0]"]))
    yield Case(f"{L}_error_target_float", L, {}, [("input", x), ("target", t([[0.0, 1, -1], [1, 2, 0]]))],
               error=("IllegalArgumentException", ["target", "int64"]))


# ---------------------------------------------------------------------------------------------- CosineEmbeddingLoss

def cosine_embedding():
    L = "CosineEmbeddingLoss"
    for dt in (F32, F64):
        d = DTYPE_NAMES[dt]
        for margin in (0.0, 0.5, -0.5):
            for red in REDUCTIONS:
                n = seeded(f"{L}_margin{margin}_{red}_{d}")
                yield Case(n, L, {"margin": margin, "reduction": red},
                           [("input1", randn(6, 5, dtype=dt)), ("input2", randn(6, 5, dtype=dt)), ("target", signs(6, dtype=dt))])
        for red in REDUCTIONS:
            n = seeded(f"{L}_unbatched_{red}_{d}")
            yield Case(n, L, {"reduction": red, "margin": 0.1},
                       [("input1", randn(5, dtype=dt)), ("input2", randn(5, dtype=dt)), ("target", t(-1.0 if red == "sum" else 1.0, dt))])
        n = seeded(f"{L}_target_int64_{d}")
        yield Case(n, L, {"reduction": "none"}, [("input1", randn(4, 3, dtype=dt)), ("input2", randn(4, 3, dtype=dt)), ("target", t([1, -1, -1, 1], torch.int64))])
        n = seeded(f"{L}_target_other_values_{d}")
        yield Case(n, L, {"reduction": "none"}, [("input1", randn(4, 3, dtype=dt)), ("input2", randn(4, 3, dtype=dt)), ("target", t([1, 0, 2, -1], dt))])
        n = seeded(f"{L}_target_other_values_mean_{d}")
        yield Case(n, L, {}, [("input1", randn(4, 3, dtype=dt)), ("input2", randn(4, 3, dtype=dt)), ("target", t([0.5, -1, 2, -2], dt))])
        # zero vectors: cos 0 thanks to EPSILON on the squared norms (huge but finite gradients)
        x1 = t([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], dt)
        x2 = t([[1.0, 2.0, 2.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [3.0, 0.0, 4.0]], dt)
        yield Case(seeded(f"{L}_zero_vectors_{d}"), L, {"reduction": "none", "margin": -0.5},
                   [("input1", x1), ("input2", x2), ("target", t([1, 1, -1, -1], dt))])
        # identical / parallel vectors: cos just below 1
        x = randn(3, 4, dtype=dt)
        yield Case(seeded(f"{L}_identical_{d}"), L, {"reduction": "none", "margin": 0.5},
                   [("input1", x), ("input2", x.clone()), ("target", t([1, -1, 1], dt))])
        yield Case(seeded(f"{L}_parallel_{d}"), L, {"reduction": "sum"},
                   [("input1", x), ("input2", 3 * x), ("target", t([1, -1, -1], dt))])
        # kink: orthogonal vectors with target -1 and margin 0 (cos - margin == 0: clamp_min passes the gradient)
        yield Case(seeded(f"{L}_kink_orthogonal_{d}"), L, {},
                   [("input1", t([[1.0, 0.0, 2.0], [3.0, 4.0, 0.0]], dt)), ("input2", t([[0.0, 1.0, 0.0], [-4.0, 3.0, 7.0]], dt)), ("target", t([-1, -1], dt))])
        yield Case(seeded(f"{L}_near_kink_margin_half_{d}"), L, {"margin": 0.5, "reduction": "none"},
                   [("input1", t([[1.0, 0.0]], dt)), ("input2", t([[1.0, 3.0 ** 0.5]], dt)), ("target", t([-1], dt))])
        # large magnitudes: in float32 the product of the squared norms overflows to inf (cos 0), as in PyTorch
        yield Case(seeded(f"{L}_huge_{d}"), L, {"reduction": "none"},
                   [("input1", t([[1e10, 2e10, -3e10], [1e5, 1e5, 1e5]], dt)), ("input2", t([[2e10, 1e10, 1e10], [1e5, -1e5, 1e5]], dt)), ("target", t([1, -1], dt))])
        yield Case(seeded(f"{L}_tiny_{d}"), L, {"reduction": "none"},
                   [("input1", t([[1e-7, 2e-7], [1e-3, 1e-3]], dt)), ("input2", t([[3e-7, -1e-7], [1e-3, 2e-3]], dt)), ("target", t([1, -1], dt))])
        yield Case(seeded(f"{L}_empty_dim_{d}"), L, {"reduction": "none"},
                   [("input1", randn(3, 0, dtype=dt)), ("input2", randn(3, 0, dtype=dt)), ("target", t([1, -1, 1], dt))])
        for red in REDUCTIONS:
            yield Case(seeded(f"{L}_empty_{red}_{d}"), L, {"reduction": red},
                       [("input1", randn(0, 4, dtype=dt)), ("input2", randn(0, 4, dtype=dt)), ("target", randn(0, dtype=dt))])
    n = seeded(f"{L}_large_f32")
    yield Case(n, L, {"margin": 0.2}, [("input1", randn(256, 128, dtype=F32)), ("input2", randn(256, 128, dtype=F32)), ("target", signs(256, dtype=F32))])
    n = seeded(f"{L}_target_f64_inputs_f32")
    yield Case(n, L, {"reduction": "none"}, [("input1", randn(3, 4, dtype=F32)), ("input2", randn(3, 4, dtype=F32)), ("target", t([1, -1, 1], F64))])

    a, b, y = randn(3, 4), randn(3, 4), t([1.0, -1.0, 1.0])
    yield Case(f"{L}_error_target_2d", L, {}, [("input1", a), ("input2", b), ("target", torch.ones(3, 1, dtype=F64))],
               error=("IllegalArgumentException", ["target", "[3, 1]"]))
    yield Case(f"{L}_error_1d_target_1d_inputs", L, {}, [("input1", randn(4)), ("input2", randn(4)), ("target", t([1.0]))],
               error=("IllegalArgumentException", ["1D target", "2D input", "[4]"]))
    yield Case(f"{L}_error_0d_target_2d_inputs", L, {}, [("input1", a), ("input2", b), ("target", t(1.0))],
               error=("IllegalArgumentException", ["0D target", "1D input", "[3, 4]"]))
    yield Case(f"{L}_error_3d_inputs", L, {}, [("input1", randn(2, 3, 4)), ("input2", randn(2, 3, 4)), ("target", torch.ones(2, dtype=F64))],
               error=("IllegalArgumentException", ["2D input", "[2, 3, 4]"]))
    yield Case(f"{L}_error_width", L, {}, [("input1", a), ("input2", randn(3, 5)), ("target", y)],
               error=("IllegalArgumentException", ["input1", "input2", "[3, 5]"]))
    yield Case(f"{L}_error_target_size", L, {}, [("input1", a), ("input2", b), ("target", t([1.0, -1.0]))],
               error=("IllegalArgumentException", ["target", "[2]", "3"]))
    yield Case(f"{L}_error_dtype", L, {}, [("input1", a.float()), ("input2", b), ("target", y)],
               error=("IllegalArgumentException", ["input2", "float"], "torch promotes float32 with float64; loss4j never converts silently"))
    yield Case(f"{L}_error_broadcast_inputs", L, {}, [("input1", a), ("input2", randn(1, 4)), ("target", y)],
               error=("IllegalArgumentException", ["input1", "input2", "[1, 4]"], "torch broadcasts input2 (1, D) over the batch; loss4j asks for equal shapes"))
    yield Case(f"{L}_error_broadcast_target", L, {}, [("input1", a), ("input2", b), ("target", t([1.0]))],
               error=("IllegalArgumentException", ["target", "[1]"], "torch broadcasts a 1-element target over the batch; loss4j asks for one label per row"))
    yield Case(f"{L}_error_margin_nan", L, {"margin": float("nan")}, [("input1", a), ("input2", b), ("target", y)],
               error=("IllegalArgumentException", ["margin", "NaN"], "torch accepts a NaN margin and returns nan"))


# ---------------------------------------------------------------------------------------------- TripletMarginLoss

def triplet_args(shape, dt, scale=1.0):
    return [("anchor", randn(*shape, dtype=dt, scale=scale)), ("positive", randn(*shape, dtype=dt, scale=scale)),
            ("negative", randn(*shape, dtype=dt, scale=scale))]


def triplet_margin():
    L = "TripletMarginLoss"
    for dt in (F32, F64):
        d = DTYPE_NAMES[dt]
        for p in (2.0, 1.0):
            for swap in (False, True):
                for red in REDUCTIONS:
                    n = seeded(f"{L}_p{p:g}_swap{int(swap)}_{red}_{d}")
                    yield Case(n, L, {"p": p, "swap": swap, "reduction": red}, triplet_args((5, 4), dt))
        for p in (3.0, 1.5, 0.5, INF, -INF, 0.0, -1.0):
            red = "none" if dt == F64 else "mean"
            n = seeded(f"{L}_p{p:g}_{red}_{d}")
            yield Case(n, L, {"p": p, "swap": p in (3.0, INF), "reduction": red}, triplet_args((5, 4), dt))
        for margin in (0.5, 2.0):
            n = seeded(f"{L}_margin{margin}_{d}")
            yield Case(n, L, {"margin": margin, "reduction": "none"}, triplet_args((5, 3), dt))
        for eps in (0.0, 1e-3, -1e-2):
            n = seeded(f"{L}_eps{eps:g}_{d}")
            yield Case(n, L, {"eps": eps, "reduction": "none"}, triplet_args((4, 3), dt))
        for red in REDUCTIONS:
            n = seeded(f"{L}_unbatched_{red}_{d}")
            yield Case(n, L, {"reduction": red, "swap": red == "sum"}, triplet_args((6,), dt))
            n = seeded(f"{L}_3d_{red}_{d}")
            yield Case(n, L, {"reduction": red}, triplet_args((2, 3, 4), dt))
        yield Case(seeded(f"{L}_0dim_{d}"), L, {"reduction": "none"}, triplet_args((), dt))
        yield Case(seeded(f"{L}_0dim_p1_mean_{d}"), L, {"p": 1.0}, triplet_args((), dt))
        # identical anchor and positive: the distance is eps * D^(1/p), not 0
        for p in (2.0, 1.0, 3.0):
            n = seeded(f"{L}_identical_p{p:g}_{d}")
            a = randn(3, 5, dtype=dt)
            yield Case(n, L, {"p": p, "reduction": "none"}, [("anchor", a), ("positive", a.clone()), ("negative", randn(3, 5, dtype=dt))])
        n = seeded(f"{L}_identical_eps0_{d}")
        a = randn(3, 5, dtype=dt)
        yield Case(n, L, {"eps": 0.0, "reduction": "none", "p": 2.0}, [("anchor", a), ("positive", a.clone()), ("negative", a.clone())])
        yield Case(seeded(f"{L}_identical_eps0_p1_{d}"), L, {"eps": 0.0, "p": 1.0, "reduction": "sum"},
                   [("anchor", a), ("positive", a.clone()), ("negative", a + 1)])
        yield Case(seeded(f"{L}_identical_eps0_p1.5_{d}"), L, {"eps": 0.0, "p": 1.5, "reduction": "sum"},
                   [("anchor", a), ("positive", a.clone()), ("negative", a + 1)])
        # exact hinge kink: margin + d(a,p) - d(a,n) == 0 (clamp_min passes the gradient)
        yield Case(seeded(f"{L}_kink_{d}"), L, {"eps": 0.0, "reduction": "none"},
                   [("anchor", t([[0.0], [0.0, ]], dt)), ("positive", t([[0.5], [3.0]], dt)), ("negative", t([[1.5], [-4.0]], dt))])
        yield Case(seeded(f"{L}_kink_345_{d}"), L, {"eps": 0.0, "reduction": "sum", "margin": 5.0},
                   [("anchor", t([[0.0, 0.0]], dt)), ("positive", t([[3.0, 4.0]], dt)), ("negative", t([[6.0, 8.0]], dt))])
        # swap tie: positive == anchor, so d(a, n) == d(p, n) and the gradient splits
        a = randn(3, 4, dtype=dt)
        yield Case(seeded(f"{L}_swap_tie_{d}"), L, {"swap": True, "reduction": "none"},
                   [("anchor", a), ("positive", a.clone()), ("negative", randn(3, 4, dtype=dt))])
        # inf-norm ties share the gradient
        yield Case(seeded(f"{L}_pinf_ties_{d}"), L, {"p": INF, "eps": 0.0, "reduction": "none"},
                   [("anchor", t([[1.0, -1.0, 0.5], [2.0, 2.0, 2.0]], dt)), ("positive", t([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], dt)),
                    ("negative", t([[3.0, 0.0, 0.0], [-1.0, 5.0, -1.0]], dt))])
        yield Case(seeded(f"{L}_pminusinf_ties_{d}"), L, {"p": -INF, "eps": 0.0, "reduction": "sum"},
                   [("anchor", t([[1.0, -1.0, 0.5], [2.0, 2.0, 2.0]], dt)), ("positive", t([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], dt)),
                    ("negative", t([[3.0, 0.0, 0.5], [-1.0, 5.0, 4.0]], dt))])
        yield Case(seeded(f"{L}_extreme_{d}"), L, {"reduction": "none"}, triplet_args((3, 4), dt, scale=100.0))
        for red in REDUCTIONS:
            yield Case(seeded(f"{L}_empty_{red}_{d}"), L, {"reduction": red}, triplet_args((0, 4), dt))
        yield Case(seeded(f"{L}_empty_dim_{d}"), L, {"reduction": "none"}, triplet_args((3, 0), dt))
    n = seeded(f"{L}_large_f32")
    yield Case(n, L, {"swap": True, "margin": 0.5}, triplet_args((256, 128), F32))

    a = randn(2, 3)
    yield Case(f"{L}_error_margin_zero", L, {"margin": 0.0}, triplet_args((2, 3), F64), error=("IllegalArgumentException", ["margin", "0"]))
    yield Case(f"{L}_error_margin_negative", L, {"margin": -1.0}, triplet_args((2, 3), F64), error=("IllegalArgumentException", ["margin", "-1"]))
    yield Case(f"{L}_error_rank", L, {}, [("anchor", a), ("positive", randn(3)), ("negative", a)],
               error=("IllegalArgumentException", ["anchor 2D", "positive 1D", "negative 2D"]))
    yield Case(f"{L}_error_width", L, {}, [("anchor", a), ("positive", randn(2, 4)), ("negative", a)],
               error=("IllegalArgumentException", ["positive", "[2, 4]"]))
    yield Case(f"{L}_error_empty_dim_pinf", L, {"p": INF}, triplet_args((2, 0), F64), error=("IllegalArgumentException", ["Infinity", "norm", "empty"]))
    yield Case(f"{L}_error_empty_dim_pneg", L, {"p": -1.0}, triplet_args((2, 0), F64), error=("IllegalArgumentException", ["-1.0", "norm", "empty"]))
    yield Case(f"{L}_error_broadcast", L, {}, [("anchor", a), ("positive", randn(1, 3)), ("negative", a)],
               error=("IllegalArgumentException", ["positive", "[1, 3]"], "torch broadcasts (1, D) over the batch; loss4j asks for equal shapes"))
    yield Case(f"{L}_error_dtype", L, {}, [("anchor", a), ("positive", a.float()), ("negative", a)],
               error=("IllegalArgumentException", ["positive", "float"], "torch promotes float32 with float64; loss4j never converts silently"))
    yield Case(f"{L}_error_p_nan", L, {"p": float("nan")}, triplet_args((2, 3), F64),
               error=("IllegalArgumentException", ["p", "NaN"], "torch accepts p = nan and returns nan"))
    yield Case(f"{L}_error_eps_inf", L, {"eps": INF}, triplet_args((2, 3), F64),
               error=("IllegalArgumentException", ["eps", "Infinity"], "torch accepts an infinite eps and returns nan or inf"))


# ---------------------------------------------------------------------------------------------- TripletMarginWithDistanceLoss

def cosine_distance(x, y):
    return 1 - F.cosine_similarity(x, y, dim=-1)


def with_distance():
    L = "TripletMarginWithDistanceLoss"
    dists = {
        "default": ({}, {}),
        "pairwise": ({"distance_function": nn.PairwiseDistance()}, {"distance_function": "pairwise_distance"}),
        "cosine": ({"distance_function": cosine_distance}, {"distance_function": "cosine"}),
    }

    def case(name, dist, opts, args, **kw):
        torch_opts, java_opts = dists[dist]
        return Case(name, L, {**torch_opts, **opts}, args, java_options={**java_opts, **opts}, **kw)

    for dt in (F32, F64):
        d = DTYPE_NAMES[dt]
        for dist in ("default", "cosine"):
            for swap in (False, True):
                for red in REDUCTIONS:
                    n = seeded(f"{L}_{dist}_swap{int(swap)}_{red}_{d}")
                    yield case(n, dist, {"swap": swap, "reduction": red}, triplet_args((5, 4), dt))
        n = seeded(f"{L}_pairwise_named_{d}")
        yield case(n, "pairwise", {"reduction": "none", "margin": 0.5}, triplet_args((4, 3), dt))
        for margin in (0.25, 2.0):
            n = seeded(f"{L}_cosine_margin{margin}_{d}")
            yield case(n, "cosine", {"margin": margin, "reduction": "none"}, triplet_args((4, 3), dt))
            n = seeded(f"{L}_default_margin{margin}_{d}")
            yield case(n, "default", {"margin": margin}, triplet_args((4, 3), dt))
        for dist in ("default", "cosine"):
            yield case(seeded(f"{L}_{dist}_unbatched_{d}"), dist, {"reduction": "none"}, triplet_args((6,), dt))
            yield case(seeded(f"{L}_{dist}_unbatched_mean_{d}"), dist, {"swap": True}, triplet_args((6,), dt))
            yield case(seeded(f"{L}_{dist}_0dim_{d}"), dist, {"reduction": "sum"}, triplet_args((), dt))
            yield case(seeded(f"{L}_{dist}_3d_{d}"), dist, {"reduction": "none"}, triplet_args((2, 3, 4), dt))
            for red in REDUCTIONS:
                yield case(seeded(f"{L}_{dist}_empty_{red}_{d}"), dist, {"reduction": red}, triplet_args((0, 4), dt))
            a = randn(3, 4, dtype=dt)
            yield case(seeded(f"{L}_{dist}_swap_tie_{d}"), dist, {"swap": True, "reduction": "none"},
                       [("anchor", a), ("positive", a.clone()), ("negative", randn(3, 4, dtype=dt))])
        # identical vectors: pairwise distance eps * sqrt(D)
        a = randn(3, 5, dtype=dt)
        yield case(seeded(f"{L}_default_identical_{d}"), "default", {"reduction": "none"},
                   [("anchor", a), ("positive", a.clone()), ("negative", a.clone())])
        # cosine near zero vectors: norms clamped at eps = 1e-8 (gradient flows through the unclamped norm)
        yield case(seeded(f"{L}_cosine_zero_vectors_{d}"), "cosine", {"reduction": "none"},
                   [("anchor", t([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], dt)),
                    ("positive", t([[1.0, 2.0, 2.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], dt)),
                    ("negative", t([[-1.0, 0.5, 2.0], [1e-9, 0.0, -1e-9], [2.0, 1.0, 0.0]], dt))])
        yield case(seeded(f"{L}_cosine_tiny_norm_{d}"), "cosine", {"reduction": "sum", "swap": True},
                   [("anchor", t([[3e-9, 0.0, 4e-9], [1.0, 1.0, 1.0]], dt)),
                    ("positive", t([[1.0, 2.0, 2.0], [2e-9, -1e-9, 0.0]], dt)),
                    ("negative", t([[-1.0, 0.5, 2.0], [0.5, 1.0, -1.0]], dt))])
    yield case(seeded(f"{L}_default_large_f32"), "default", {"swap": True}, triplet_args((256, 64), F32))
    yield case(seeded(f"{L}_cosine_large_f32"), "cosine", {"margin": 0.3}, triplet_args((256, 64), F32))

    yield case(f"{L}_error_margin_zero", "default", {"margin": 0.0}, triplet_args((2, 3), F64),
               error=("IllegalArgumentException", ["margin", "0"]))
    yield case(f"{L}_error_margin_negative", "cosine", {"margin": -0.5}, triplet_args((2, 3), F64),
               error=("IllegalArgumentException", ["margin", "-0.5"]))
    a = randn(2, 3)
    yield case(f"{L}_error_rank", "default", {}, [("anchor", a), ("positive", a), ("negative", randn(3))],
               error=("IllegalArgumentException", ["anchor 2D", "positive 2D", "negative 1D"]))
    yield case(f"{L}_error_width", "default", {}, [("anchor", a), ("positive", randn(2, 4)), ("negative", a)],
               error=("IllegalArgumentException", ["positive", "[2, 4]"]))
    yield case(f"{L}_error_width_cosine", "cosine", {}, [("anchor", a), ("positive", a), ("negative", randn(2, 5))],
               error=("IllegalArgumentException", ["negative", "[2, 5]"]))
    yield case(f"{L}_error_dtype", "default", {}, [("anchor", a), ("positive", a), ("negative", a.float())],
               error=("IllegalArgumentException", ["negative", "float"], "torch promotes float32 with float64; loss4j never converts silently"))
    yield Case(f"{L}_error_unknown_distance", L, {}, triplet_args((2, 3), F64), java_options={"distance_function": "manhattan"},
               error=("IllegalArgumentException", ["distance_function", "manhattan", "cosine"],
                      "loss4j names only its built-in distances; torch takes any callable"))


def cases():
    yield from multi_margin()
    yield from multi_label_margin()
    yield from cosine_embedding()
    yield from triplet_margin()
    yield from with_distance()
