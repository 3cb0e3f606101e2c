"""L1Loss, HuberLoss, SmoothL1Loss, SoftMarginLoss, MarginRankingLoss, HingeEmbeddingLoss.

Every option x reduction x dtype, shapes (scalar, empty, 1-d, K-d), broadcasting where PyTorch broadcasts,
exact kinks (x == y, |x - y| == delta/beta, hinge value exactly 0, also decided in float32 arithmetic), nan/inf
propagation, float32/float64 overflow of SoftMargin's exp, a large f32 case, and PyTorch's errors.
"""
import torch
from _util import Case, F32, F64, DTYPE_NAMES, REDUCTIONS, randn, uniform, signs

SHAPES = {"1d": (7,), "2d": (4, 5), "4d": (2, 3, 4, 5), "scalar": (), "empty": (0, 3)}
DTYPES = (F32, F64)
NAN, INF = float("nan"), float("inf")


def mk(name, loss, options, make_args, **kw):
    """A case whose random tensors are drawn right after seeding with its name (stable under reordering)."""
    import generate
    generate.seed_for(name)
    if loss == "SoftMarginLoss":
        kw.setdefault("call", _soft_margin_call)
    return Case(name, loss, options, make_args(), **kw)


def t(values, dt):
    return torch.tensor(values, dtype=dt)


STRICT_DTYPE = "torch promotes float32 with float64; loss4j never converts silently"
STRICT_INT = "torch promotes an integer target; loss4j never converts silently"
STRICT_NAN_MARGIN = "torch computes nan losses for a nan margin; loss4j rejects it when built"


# ---------------------------------------------------------------- L1Loss, HuberLoss, SmoothL1Loss

def regression_cases(loss, opt_name, opt_values, default):
    """Shared by the three regression losses: opt_values are extra values of the option besides its default."""
    for dt in DTYPES:
        d = DTYPE_NAMES[dt]
        for sname, shape in SHAPES.items():
            for red in REDUCTIONS:
                yield mk(f"{loss}_{sname}_{red}_{d}", loss, {"reduction": red},
                         lambda: [("input", randn(*shape, dtype=dt, scale=2)), ("target", randn(*shape, dtype=dt))])
        for red in REDUCTIONS:
            yield mk(f"{loss}_broadcast_target_{red}_{d}", loss, {"reduction": red},
                     lambda: [("input", randn(3, 4, dtype=dt, scale=2)), ("target", randn(4, dtype=dt))])
            yield mk(f"{loss}_broadcast_both_{red}_{d}", loss, {"reduction": red},
                     lambda: [("input", randn(3, 1, 5, dtype=dt, scale=2)), ("target", randn(2, 1, dtype=dt))])
        if opt_name is not None:
            for v in opt_values:
                for red in REDUCTIONS:
                    yield mk(f"{loss}_{opt_name}_{v}_{red}_{d}".replace(".", "p"), loss, {"reduction": red, opt_name: v},
                             lambda: [("input", randn(4, 6, dtype=dt, scale=2)), ("target", randn(4, 6, dtype=dt))])
        yield mk(f"{loss}_large_values_{d}", loss, {},
                 lambda: [("input", randn(16, dtype=dt, scale=1e4)), ("target", randn(16, dtype=dt))])
        yield mk(f"{loss}_nan_inf_{d}", loss, {"reduction": "none"},
                 lambda: [("input", t([NAN, 1.0, INF, -INF, INF, 2.0], dt)), ("target", t([0.0, NAN, 0.0, 0.0, INF, -INF], dt))])
    yield mk(f"{loss}_large_f32", loss, {},
             lambda: [("input", randn(64, 1024, dtype=F32, scale=2)), ("target", randn(64, 1024, dtype=F32))])
    yield mk(f"{loss}_error_shape", loss, {}, lambda: [("input", randn(3, 4)), ("target", randn(3, 5))],
             error=("IllegalArgumentException", ["input", "target", "[3, 4]", "[3, 5]"]))
    yield mk(f"{loss}_error_dtype", loss, {}, lambda: [("input", randn(3, dtype=F32)), ("target", randn(3, dtype=F64))],
             error=("IllegalArgumentException", ["target", "float"], STRICT_DTYPE))
    yield mk(f"{loss}_error_int_target", loss, {},
             lambda: [("input", randn(3)), ("target", torch.tensor([1, 0, 2]))],
             error=("IllegalArgumentException", ["target", "int64"], STRICT_INT))


def l1_cases():
    yield from regression_cases("L1Loss", None, (), None)
    for dt in DTYPES:
        d = DTYPE_NAMES[dt]
        # x == y: gradient 0 (sgn), for both arguments
        for red in REDUCTIONS:
            yield mk(f"L1Loss_kink_equal_{red}_{d}", "L1Loss", {"reduction": red},
                     lambda: [("input", t([0.0, 1.5, -2.0, 3.0, 0.1, -0.0], dt)),
                              ("target", t([0.0, 1.5, -2.0, 2.0, 0.1, 0.0], dt))])


def huber_cases():
    yield from regression_cases("HuberLoss", "delta", (0.5, 3.0, 0.1, INF), 1.0)
    for dt in DTYPES:
        d = DTYPE_NAMES[dt]
        for delta in (1.0, 0.5, 0.1):
            # |x - y| exactly delta (as each dtype rounds it), 0, and just either side
            yield mk(f"HuberLoss_kink_delta_{delta}_{d}".replace(".", "p"), "HuberLoss", {"reduction": "none", "delta": delta},
                     lambda: [("input", t([delta, -delta, 0.0, 2.0, 2.0 + delta, 1.0 + 0.999 * delta, 1.0], dt)),
                              ("target", t([0.0, 0.0, 0.0, 2.0, 2.0, 1.0, 1.0 + 1.001 * delta], dt))])
        yield mk(f"HuberLoss_delta_int_{d}", "HuberLoss", {"reduction": "sum", "delta": 2},
                 lambda: [("input", randn(10, dtype=dt, scale=3)), ("target", randn(10, dtype=dt))])
        yield mk(f"HuberLoss_delta_tiny_{d}", "HuberLoss", {"reduction": "none", "delta": 1e-50},
                 lambda: [("input", t([0.0, 1.0, -1.0, 1e-60], dt)), ("target", t([0.0, 0.0, 0.0, 0.0], dt))])
    for name, delta in (("zero", 0.0), ("negative", -1.0), ("nan", NAN)):
        yield mk(f"HuberLoss_error_delta_{name}", "HuberLoss", {"delta": delta},
                 lambda: [("input", randn(3)), ("target", randn(3))],
                 error=("IllegalArgumentException", ["delta"]))


def smooth_l1_cases():
    yield from regression_cases("SmoothL1Loss", "beta", (0.0, 0.5, 3.0, 0.1, INF), 1.0)
    for dt in DTYPES:
        d = DTYPE_NAMES[dt]
        for beta in (1.0, 0.5, 0.1, 0.0):
            yield mk(f"SmoothL1Loss_kink_beta_{beta}_{d}".replace(".", "p"), "SmoothL1Loss", {"reduction": "none", "beta": beta},
                     lambda: [("input", t([beta, -beta, 0.0, 2.0, 2.0 + beta, 1.0 + 0.999 * beta, 1.0, 0.0], dt)),
                              ("target", t([0.0, 0.0, 0.0, 2.0, 2.0, 1.0, 1.0 + 1.001 * beta, -0.0], dt))])
        # a beta > 0 that float32 rounds to 0 gives PyTorch's f32 kernel gradient -1 at x == y in its vectorized
        # loop but 0 in its scalar tail (it depends on the tensor's length), so only float64 is pinned here
        if dt == F64:
            yield mk(f"SmoothL1Loss_beta_tiny_{d}", "SmoothL1Loss", {"reduction": "none", "beta": 1e-50},
                     lambda: [("input", t([0.0, 1.0, -1.0, 1e-60, 2.0], dt)), ("target", t([0.0, 0.0, 0.0, 0.0, 2.0], dt))])
        yield mk(f"SmoothL1Loss_beta_int_{d}", "SmoothL1Loss", {"reduction": "mean", "beta": 2},
                 lambda: [("input", randn(10, dtype=dt, scale=3)), ("target", randn(10, dtype=dt))])
    for name, beta in (("negative", -1.0), ("tiny_negative", -1e-300), ("nan", NAN)):
        yield mk(f"SmoothL1Loss_error_beta_{name}", "SmoothL1Loss", {"beta": beta},
                 lambda: [("input", randn(3)), ("target", randn(3))],
                 error=("IllegalArgumentException", ["beta"]))


# ---------------------------------------------------------------- SoftMarginLoss

def _soft_margin_call(module, args):
    # PyTorch refuses a target that requires grad ("not differentiable with respect to argument 'target'"), which
    # the generator's probe does not recognise: pass it detached, so the probe finds no gradient for it, as in PyTorch
    return module(args[0], args[1].detach())


def soft_margin_cases():
    L = "SoftMarginLoss"
    for dt in DTYPES:
        d = DTYPE_NAMES[dt]
        for sname, shape in SHAPES.items():
            for red in REDUCTIONS:
                yield mk(f"{L}_{sname}_{red}_{d}", L, {"reduction": red},
                         lambda: [("input", randn(*shape, dtype=dt, scale=2)), ("target", signs(*shape, dtype=dt))])
        for red in REDUCTIONS:
            yield mk(f"{L}_broadcast_target_{red}_{d}", L, {"reduction": red},
                     lambda: [("input", randn(3, 4, dtype=dt, scale=2)), ("target", signs(4, dtype=dt))])
            yield mk(f"{L}_broadcast_scalar_target_{red}_{d}", L, {"reduction": red},
                     lambda: [("input", randn(2, 5, dtype=dt, scale=2)), ("target", signs(dtype=dt))])
            yield mk(f"{L}_real_target_{red}_{d}", L, {"reduction": red},
                     lambda: [("input", randn(5, 3, dtype=dt, scale=2)), ("target", randn(5, 3, dtype=dt))])
            # |x| = 100: exp(100) overflows in float32 (loss inf, gradient nan), not in float64
            yield mk(f"{L}_large_logits_{red}_{d}", L, {"reduction": red},
                     lambda: [("input", t([100.0, -100.0, 100.0, -100.0, 50.0, -50.0], dt)),
                              ("target", t([1.0, 1.0, -1.0, -1.0, -1.0, -1.0], dt))])
        # around float32's exp overflow (88.72) and float64's (709.78)
        yield mk(f"{L}_overflow_edges_{d}", L, {"reduction": "none"},
                 lambda: [("input", t([88.0, 88.7, 88.8, 89.0, -89.0, 709.0, 709.7, 710.0, -800.0, 44.5, 0.0], dt)),
                          ("target", t([-1.0, -1.0, -1.0, -1.0, 1.0, -1.0, -1.0, -1.0, 1.0, -2.0, 1.0], dt))])
        yield mk(f"{L}_overflow_mean_{d}", L, {"reduction": "mean"},
                 lambda: [("input", t([800.0, 1.0, -2.0], dt)), ("target", t([-1.0, 1.0, 1.0], dt))])
        yield mk(f"{L}_nan_inf_{d}", L, {"reduction": "none"},
                 lambda: [("input", t([NAN, 1.0, INF, -INF, INF, -INF, 3.0], dt)),
                          ("target", t([1.0, NAN, 0.0, 0.0, INF, 1.0, 0.0], dt))])
    yield mk(f"{L}_large_f32", L, {},
             lambda: [("input", randn(64, 1024, dtype=F32, scale=3)), ("target", signs(64, 1024, dtype=F32))])
    # PyTorch writes into a tensor of input's shape: a target that would enlarge it is an error
    yield mk(f"{L}_error_target_larger", L, {}, lambda: [("input", randn(3)), ("target", signs(2, 3))],
             error=("IllegalArgumentException", ["input", "target", "[3]", "[2, 3]"]))
    yield mk(f"{L}_error_scalar_input", L, {"reduction": "none"}, lambda: [("input", randn()), ("target", signs(3))],
             error=("IllegalArgumentException", ["input", "target", "[3]"]))
    yield mk(f"{L}_error_both_broadcast", L, {}, lambda: [("input", randn(2, 1)), ("target", signs(1, 3))],
             error=("IllegalArgumentException", ["input", "target", "[2, 1]", "[1, 3]"]))
    yield mk(f"{L}_error_shape", L, {}, lambda: [("input", randn(3)), ("target", signs(4))],
             error=("IllegalArgumentException", ["input", "target", "[3]", "[4]"]))
    yield mk(f"{L}_error_dtype", L, {}, lambda: [("input", randn(3, dtype=F32)), ("target", signs(3, dtype=F64))],
             error=("IllegalArgumentException", ["target", "float"], STRICT_DTYPE))
    yield mk(f"{L}_error_int_target", L, {}, lambda: [("input", randn(3)), ("target", torch.tensor([1, -1, 1]))],
             error=("IllegalArgumentException", ["target", "int64"], STRICT_INT))


# ---------------------------------------------------------------- MarginRankingLoss

def margin_ranking_cases():
    L = "MarginRankingLoss"
    shapes = {"1d": (9,), "scalar": (), "empty": (0,), "2d": (4, 5)}
    for dt in DTYPES:
        d = DTYPE_NAMES[dt]
        for sname, shape in shapes.items():
            for red in REDUCTIONS:
                yield mk(f"{L}_{sname}_{red}_{d}", L, {"reduction": red},
                         lambda: [("input1", randn(*shape, dtype=dt)), ("input2", randn(*shape, dtype=dt)),
                                  ("target", signs(*shape, dtype=dt))])
        for margin in (0.5, -0.3, 2.0):
            for red in REDUCTIONS:
                yield mk(f"{L}_margin_{margin}_{red}_{d}".replace(".", "p"), L, {"margin": margin, "reduction": red},
                         lambda: [("input1", randn(12, dtype=dt)), ("input2", randn(12, dtype=dt)),
                                  ("target", signs(12, dtype=dt))])
        for red in REDUCTIONS:
            # same number of dimensions, size-1 dimensions broadcast
            yield mk(f"{L}_broadcast_{red}_{d}", L, {"margin": 0.2, "reduction": red},
                     lambda: [("input1", randn(3, 4, dtype=dt)), ("input2", randn(1, 4, dtype=dt)),
                              ("target", signs(3, 1, dtype=dt))])
        # targets other than +-1 (a real-valued target is differentiated too)
        yield mk(f"{L}_real_target_{d}", L, {"margin": 0.1, "reduction": "none"},
                 lambda: [("input1", randn(8, dtype=dt)), ("input2", randn(8, dtype=dt)),
                          ("target", t([0.0, 0.5, -2.0, 3.0, 1.0, -1.0, 0.25, -0.75], dt))])
        # hinge exactly 0: the gradient flows (clamp_min's gradient where value >= 0)
        for margin in (0.0, 0.5, 0.1):
            yield mk(f"{L}_kink_margin_{margin}_{d}".replace(".", "p"), L, {"margin": margin, "reduction": "none"},
                     lambda: [("input1", t([margin, 1.0, 1.0 + margin, 0.0, 2.0, 0.3], dt)),
                              ("input2", t([0.0, 1.0 + margin, 1.0, margin, 2.0, 0.3 + margin], dt)),
                              ("target", t([1.0, -1.0, 1.0, -1.0, 1.0, -1.0], dt))])
        yield mk(f"{L}_nan_inf_{d}", L, {"reduction": "none"},
                 lambda: [("input1", t([NAN, 1.0, INF, -INF, INF, 1.0], dt)),
                          ("input2", t([0.0, NAN, 0.0, 0.0, INF, 0.0], dt)),
                          ("target", t([1.0, 1.0, 1.0, 1.0, 1.0, INF], dt))])
    yield mk(f"{L}_large_f32", L, {"margin": 0.1},
             lambda: [("input1", randn(65536, dtype=F32)), ("input2", randn(65536, dtype=F32)),
                      ("target", signs(65536, dtype=F32))])
    yield mk(f"{L}_error_dims", L, {}, lambda: [("input1", randn(3)), ("input2", randn(2, 3)), ("target", signs(3))],
             error=("IllegalArgumentException", ["input1", "input2", "target", "dimensions", "[2, 3]"]))
    yield mk(f"{L}_error_dims_scalar_target", L, {},
             lambda: [("input1", randn(3)), ("input2", randn(3)), ("target", torch.tensor(1.0, dtype=F64))],
             error=("IllegalArgumentException", ["target", "dimensions", "[]"]))
    yield mk(f"{L}_error_shape", L, {}, lambda: [("input1", randn(3)), ("input2", randn(4)), ("target", signs(3))],
             error=("IllegalArgumentException", ["input1", "input2", "[3]", "[4]"]))
    yield mk(f"{L}_error_dtype", L, {},
             lambda: [("input1", randn(3, dtype=F32)), ("input2", randn(3, dtype=F64)), ("target", signs(3, dtype=F32))],
             error=("IllegalArgumentException", ["input2", "float"], STRICT_DTYPE))
    yield mk(f"{L}_error_int_target", L, {},
             lambda: [("input1", randn(3)), ("input2", randn(3)), ("target", torch.tensor([1, -1, 1]))],
             error=("IllegalArgumentException", ["target", "int64"], STRICT_INT))
    yield mk(f"{L}_error_nan_margin", L, {"margin": NAN},
             lambda: [("input1", randn(3)), ("input2", randn(3)), ("target", signs(3))],
             error=("IllegalArgumentException", ["margin", "nan"], STRICT_NAN_MARGIN))


# ---------------------------------------------------------------- HingeEmbeddingLoss

def hinge_embedding_cases():
    L = "HingeEmbeddingLoss"
    for dt in DTYPES:
        d = DTYPE_NAMES[dt]
        for sname, shape in SHAPES.items():
            for red in REDUCTIONS:
                yield mk(f"{L}_{sname}_{red}_{d}", L, {"reduction": red},
                         lambda: [("input", uniform(*shape, lo=-0.5, hi=2.5, dtype=dt)), ("target", signs(*shape, dtype=dt))])
        for margin in (0.5, 2.0, -1.0):
            for red in REDUCTIONS:
                yield mk(f"{L}_margin_{margin}_{red}_{d}".replace(".", "p"), L, {"margin": margin, "reduction": red},
                         lambda: [("input", uniform(4, 6, lo=-1.5, hi=3.0, dtype=dt)), ("target", signs(4, 6, dtype=dt))])
        for red in REDUCTIONS:
            yield mk(f"{L}_broadcast_target_{red}_{d}", L, {"reduction": red},
                     lambda: [("input", uniform(3, 4, lo=-0.5, hi=2.5, dtype=dt)), ("target", signs(4, dtype=dt))])
            # a target larger than the input enlarges the output; the input's gradient is summed
            yield mk(f"{L}_broadcast_input_{red}_{d}", L, {"reduction": red},
                     lambda: [("input", uniform(4, lo=-0.5, hi=2.5, dtype=dt)), ("target", signs(3, 1, dtype=dt))])
        # targets other than +-1 get both terms: max(0, margin - x) + x
        yield mk(f"{L}_other_targets_{d}", L, {"reduction": "none"},
                 lambda: [("input", t([0.5, 1.0, 1.0, 2.0, -3.0, 1.0, 0.3, 0.7], dt)),
                          ("target", t([1.0, 1.0, -1.0, -1.0, 0.0, 2.0, 0.5, -0.5], dt))])
        yield mk(f"{L}_other_targets_mean_{d}", L, {"margin": 0.75},
                 lambda: [("input", randn(20, dtype=dt)), ("target", randn(20, dtype=dt))])
        # x == margin: hinge 0, gradient -1 (flows); also decided in float32 arithmetic for margin 0.1
        for margin in (1.0, 0.1, 0.0):
            yield mk(f"{L}_kink_margin_{margin}_{d}".replace(".", "p"), L, {"margin": margin, "reduction": "none"},
                     lambda: [("input", t([margin, margin, margin, margin + 0.5, margin - 0.5], dt)),
                              ("target", t([-1.0, 1.0, 0.0, -1.0, -1.0], dt))])
        yield mk(f"{L}_nan_inf_{d}", L, {"reduction": "none"},
                 lambda: [("input", t([NAN, 1.0, INF, -INF, INF, NAN], dt)),
                          ("target", t([1.0, -1.0, -1.0, 1.0, 0.0, -1.0], dt))])
    yield mk(f"{L}_large_f32", L, {"margin": 0.5},
             lambda: [("input", uniform(256, 256, lo=0.0, hi=2.0, dtype=F32)), ("target", signs(256, 256, dtype=F32))])
    yield mk(f"{L}_error_shape", L, {}, lambda: [("input", randn(3)), ("target", signs(4))],
             error=("IllegalArgumentException", ["input", "target", "[3]", "[4]"]))
    yield mk(f"{L}_error_dtype", L, {}, lambda: [("input", randn(3, dtype=F32)), ("target", signs(3, dtype=F64))],
             error=("IllegalArgumentException", ["target", "float"], STRICT_DTYPE))
    yield mk(f"{L}_error_int_target", L, {}, lambda: [("input", randn(3)), ("target", torch.tensor([1, -1, 1]))],
             error=("IllegalArgumentException", ["target", "int64"], STRICT_INT))
    yield mk(f"{L}_error_nan_margin", L, {"margin": NAN}, lambda: [("input", randn(3)), ("target", signs(3))],
             error=("IllegalArgumentException", ["margin", "nan"], STRICT_NAN_MARGIN))


def cases():
    yield from l1_cases()
    yield from huber_cases()
    yield from smooth_l1_cases()
    yield from soft_margin_cases()
    yield from margin_ranking_cases()
    yield from hinge_embedding_cases()
