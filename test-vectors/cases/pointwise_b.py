"""BCELoss, BCEWithLogitsLoss, KLDivLoss, PoissonNLLLoss, GaussianNLLLoss: options x reductions x dtypes, shapes
(0-dim, 1-D, 2-D, K-dim, empty, broadcast), the traps of DESIGN.md section 4, extreme values and PyTorch's errors."""
import torch
from _util import Case, F32, F64, DTYPE_NAMES, REDUCTIONS, randn, uniform

SHAPES = {"1d": (7,), "2d": (4, 5), "4d": (2, 3, 4, 5), "scalar": (), "empty": (0, 3)}
DTYPES = (F32, F64)
STRICT_DTYPE = "torch promotes float32 with float64; loss4j never converts silently"


def make(name, loss, options, args, **kw):
    """Seeds by name, then builds the options (a dict or a callable giving one) and the arguments (a callable), so
    each case's data depends on its name only."""
    import generate
    generate.seed_for(name)
    opts = options() if callable(options) else options
    return Case(name, loss, opts, args(), **kw)


# ---------------------------------------------------------------------------------------------------------- BCELoss

def bce_cases():
    L = "BCELoss"
    for dt in DTYPES:
        d = DTYPE_NAMES[dt]
        for sname, shape in SHAPES.items():
            for red in REDUCTIONS:
                yield make(f"{L}_{sname}_{red}_{d}", L, {"reduction": red},
                           lambda: [("input", uniform(*shape, lo=0.02, hi=0.98, dtype=dt)),
                                    ("target", uniform(*shape, dtype=dt))])
        for red in REDUCTIONS:
            # weight (C,) broadcast over the batch
            yield make(f"{L}_weight_bcast_{red}_{d}", L, lambda: {"reduction": red, "weight": uniform(5, lo=0.1, hi=2.0, dtype=dt)},
                       lambda: [("input", uniform(4, 5, lo=0.02, hi=0.98, dtype=dt)), ("target", uniform(4, 5, dtype=dt))])
            # probabilities exactly 0 and 1 (each log clamped at -100; gradients 1e12-scale and infinite)
            yield make(f"{L}_extreme_{red}_{d}", L, {"reduction": red},
                       lambda: [("input", torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.5], dtype=dt)),
                                ("target", torch.tensor([0.0, 1.0, 0.5, 0.0, 1.0, 0.5, 1.0], dtype=dt))])
        # tiny probabilities: log below -100 (f64 1e-50; f32 subnormals) and 1 - x tiny
        tiny = [1e-50, 1e-44, 1e-40, 1e-30, 1 - 1e-7, 1 - 1e-12] if dt == F64 else [1e-45, 1e-40, 1e-30, 1e-20, 1 - 6e-8, 0.9999]
        yield make(f"{L}_tiny_none_{d}", L, {"reduction": "none"},
                   lambda: [("input", torch.tensor(tiny, dtype=dt)),
                            ("target", torch.tensor([0.5, 1.0, 0.0, 0.3, 0.2, 1.0], dtype=dt))])
        # weight of input's full shape, K-dim weight (C, 1, 1) on (N, C, H, W), 0-dim weight
        yield make(f"{L}_weight_full_mean_{d}", L, lambda: {"reduction": "mean", "weight": uniform(4, 5, dtype=dt)},
                               lambda: [("input", uniform(4, 5, lo=0.02, hi=0.98, dtype=dt)),
                                        ("target", uniform(4, 5, dtype=dt))])
        yield make(f"{L}_weight_kdim_sum_{d}", L, lambda: {"reduction": "sum", "weight": uniform(3, 1, 1, lo=0.1, hi=2, dtype=dt)},
                   lambda: [("input", uniform(2, 3, 4, 5, lo=0.02, hi=0.98, dtype=dt)),
                            ("target", uniform(2, 3, 4, 5, dtype=dt))])
        yield make(f"{L}_weight_scalar_none_{d}", L, {"reduction": "none", "weight": torch.tensor(0.7, dtype=dt)},
                   lambda: [("input", uniform(6, lo=0.02, hi=0.98, dtype=dt)), ("target", uniform(6, dtype=dt))])
        yield make(f"{L}_hard_targets_mean_{d}", L, {},
                   lambda: [("input", uniform(8, 3, lo=0.01, hi=0.99, dtype=dt)),
                            ("target", torch.randint(0, 2, (8, 3)).to(dt))])
    yield make(f"{L}_large_mean_f32", L, {},
               lambda: [("input", torch.sigmoid(randn(64, 1000, dtype=F32, scale=3))), ("target", uniform(64, 1000, dtype=F32))])
    # errors where PyTorch raises
    yield make(f"{L}_error_input_above_1", L, {}, lambda: [("input", torch.tensor([0.5, 1.5])), ("target", torch.tensor([0.5, 0.5]))],
               error=("IllegalArgumentException", ["input", "between 0 and 1"]))
    yield make(f"{L}_error_input_negative", L, {}, lambda: [("input", torch.tensor([-0.1, 0.5])), ("target", torch.tensor([0.5, 0.5]))],
               error=("IllegalArgumentException", ["input", "between 0 and 1"]))
    yield make(f"{L}_error_input_nan", L, {}, lambda: [("input", torch.tensor([float("nan"), 0.5])), ("target", torch.tensor([0.5, 0.5]))],
               error=("IllegalArgumentException", ["input", "between 0 and 1"]))
    yield make(f"{L}_error_target_above_1", L, {}, lambda: [("input", torch.tensor([0.5, 0.5])), ("target", torch.tensor([0.5, 2.0]))],
               error=("IllegalArgumentException", ["target", "between 0 and 1"]))
    yield make(f"{L}_error_size", L, {}, lambda: [("input", uniform(3)), ("target", uniform(1, 3))],
               error=("IllegalArgumentException", ["target", "input", "[1, 3]", "[3]"]))
    yield make(f"{L}_error_weight_shape", L, {"weight": torch.ones(4, dtype=F64)}, lambda: [("input", uniform(2, 3)), ("target", uniform(2, 3))],
               error=("IllegalArgumentException", ["weight", "[4]", "[2, 3]"]))
    yield make(f"{L}_error_weight_grows", L, {"weight": torch.ones(2, 3, dtype=F64)}, lambda: [("input", uniform(3)), ("target", uniform(3))],
               error=("IllegalArgumentException", ["weight", "[2, 3]", "[3]"]))
    yield make(f"{L}_error_dtype", L, {}, lambda: [("input", uniform(3, dtype=F32)), ("target", uniform(3, dtype=F64))],
               error=("IllegalArgumentException", ["target", "float"]))
    yield make(f"{L}_error_weight_dtype", L, {"weight": torch.ones(3, dtype=F64)},
               lambda: [("input", uniform(3, dtype=F32)), ("target", uniform(3, dtype=F32))],
               error=("IllegalArgumentException", ["weight", "float"], STRICT_DTYPE))
    yield make(f"{L}_error_batchmean", L, {"reduction": "batchmean"}, lambda: [("input", uniform(3)), ("target", uniform(3))],
               error=("IllegalArgumentException", ["batchmean"]))


# ---------------------------------------------------------------------------------------------- BCEWithLogitsLoss

def bce_logits_cases():
    L = "BCEWithLogitsLoss"
    for dt in DTYPES:
        d = DTYPE_NAMES[dt]
        for sname, shape in SHAPES.items():
            for red in REDUCTIONS:
                yield make(f"{L}_{sname}_{red}_{d}", L, {"reduction": red},
                           lambda: [("input", randn(*shape, dtype=dt, scale=3)), ("target", uniform(*shape, dtype=dt))])
        for red in REDUCTIONS:
            yield make(f"{L}_pos_weight_{red}_{d}", L, lambda: {"reduction": red, "pos_weight": uniform(5, lo=0.2, hi=4, dtype=dt)},
                       lambda: [("input", randn(4, 5, dtype=dt, scale=2)), ("target", uniform(4, 5, dtype=dt))])
            yield make(f"{L}_weight_{red}_{d}", L, lambda: {"reduction": red, "weight": uniform(5, lo=0.1, hi=2, dtype=dt)},
                       lambda: [("input", randn(4, 5, dtype=dt, scale=2)), ("target", uniform(4, 5, dtype=dt))])
            yield make(f"{L}_weight_pos_weight_{red}_{d}", L,
                       lambda: {"reduction": red, "weight": uniform(4, 1, lo=0.1, hi=2, dtype=dt),
                        "pos_weight": uniform(5, lo=0.2, hi=4, dtype=dt)},
                       lambda: [("input", randn(4, 5, dtype=dt, scale=2)), ("target", torch.randint(0, 2, (4, 5)).to(dt))])
            # logits of +-100 and +-1000: the stable form stays finite
            yield make(f"{L}_extreme_{red}_{d}", L, {"reduction": red},
                       lambda: [("input", torch.tensor([100.0, -100.0, 100.0, -100.0, 1000.0, -1000.0, 30.0, -30.0, 0.0], dtype=dt)),
                                ("target", torch.tensor([1.0, 0.0, 0.0, 1.0, 0.5, 0.5, 1.0, 0.0, 0.5], dtype=dt))])
        yield make(f"{L}_extreme_pos_weight_none_{d}", L, {"reduction": "none", "pos_weight": torch.tensor([0.5, 3.0, 0.0], dtype=dt)},
                   lambda: [("input", torch.tensor([[100.0, -100.0, 50.0], [-1000.0, 1000.0, 0.0]], dtype=dt)),
                            ("target", torch.tensor([[1.0, 1.0, 0.0], [0.3, 0.0, 1.0]], dtype=dt))])
        # pos_weight (C, 1, 1) on (N, C, H, W) (PyTorch's documented K-dim use) and (H, W)-wide pos_weight
        yield make(f"{L}_pos_weight_kdim_mean_{d}", L, lambda: {"pos_weight": uniform(3, 1, 1, lo=0.2, hi=4, dtype=dt)},
                   lambda: [("input", randn(2, 3, 4, 5, dtype=dt)), ("target", uniform(2, 3, 4, 5, dtype=dt))])
        yield make(f"{L}_pos_weight_last_dim_sum_{d}", L, lambda: {"reduction": "sum", "pos_weight": uniform(5, lo=0.2, hi=4, dtype=dt)},
                   lambda: [("input", randn(2, 3, 4, 5, dtype=dt)), ("target", uniform(2, 3, 4, 5, dtype=dt))])
        yield make(f"{L}_pos_weight_full_none_{d}", L, lambda: {"reduction": "none", "pos_weight": uniform(3, 4, lo=0.2, hi=4, dtype=dt)},
                   lambda: [("input", randn(3, 4, dtype=dt)), ("target", uniform(3, 4, dtype=dt))])
        yield make(f"{L}_pos_weight_scalar_input_none_{d}", L, {"reduction": "none", "pos_weight": torch.tensor(2.5, dtype=dt)},
                   lambda: [("input", randn(dtype=dt)), ("target", uniform(dtype=dt))])
        yield make(f"{L}_pos_weight_empty_mean_{d}", L, lambda: {"pos_weight": uniform(3, dtype=dt)},
                   lambda: [("input", randn(0, 3, dtype=dt)), ("target", uniform(0, 3, dtype=dt))])
    # targets outside [0, 1] are not checked by PyTorch
    yield make(f"{L}_targets_outside_01_mean_f64", L, {"pos_weight": torch.tensor([2.0, 0.5, 1.0], dtype=F64)},
               lambda: [("input", randn(2, 3)), ("target", torch.tensor([[1.5, -0.5, 2.0], [0.0, 1.0, -1.0]], dtype=F64))])
    yield make(f"{L}_large_pos_weight_mean_f32", L, lambda: {"pos_weight": uniform(1000, lo=0.5, hi=5, dtype=F32)},
               lambda: [("input", randn(64, 1000, dtype=F32, scale=4)), ("target", torch.randint(0, 2, (64, 1000)).to(F32))])
    # errors where PyTorch raises
    yield make(f"{L}_error_size", L, {}, lambda: [("input", randn(3)), ("target", uniform(1, 3))],
               error=("IllegalArgumentException", ["target", "input", "[1, 3]", "[3]"]))
    yield make(f"{L}_error_pos_weight_shape", L, {"pos_weight": torch.ones(4, dtype=F64)}, lambda: [("input", randn(2, 3)), ("target", uniform(2, 3))],
               error=("IllegalArgumentException", ["pos_weight", "[4]", "[2, 3]"]))
    yield make(f"{L}_error_pos_weight_grows", L, {"pos_weight": torch.ones(2, 3, dtype=F64)}, lambda: [("input", randn(3)), ("target", uniform(3))],
               error=("IllegalArgumentException", ["pos_weight", "[2, 3]", "[3]"]))
    yield make(f"{L}_error_pos_weight_scalar_input", L, {"pos_weight": torch.ones(1, dtype=F64)}, lambda: [("input", randn()), ("target", uniform())],
               error=("IllegalArgumentException", ["pos_weight", "[1]", "[]"]))
    yield make(f"{L}_error_weight_grows", L, {"weight": torch.ones(2, 3, dtype=F64)}, lambda: [("input", randn(3)), ("target", uniform(3))],
               error=("IllegalArgumentException", ["weight", "[2, 3]", "[3]"]))
    yield make(f"{L}_error_dtype", L, {}, lambda: [("input", randn(3, dtype=F32)), ("target", uniform(3, dtype=F64))],
               error=("IllegalArgumentException", ["target", "float"], STRICT_DTYPE))
    yield make(f"{L}_error_pos_weight_dtype", L, {"pos_weight": torch.ones(3, dtype=F64)},
               lambda: [("input", randn(2, 3, dtype=F32)), ("target", uniform(2, 3, dtype=F32))],
               error=("IllegalArgumentException", ["pos_weight", "float"], STRICT_DTYPE))
    yield make(f"{L}_error_batchmean", L, {"reduction": "batchmean"}, lambda: [("input", randn(3)), ("target", uniform(3))],
               error=("IllegalArgumentException", ["batchmean"]))


# -------------------------------------------------------------------------------------------------------- KLDivLoss

KL_REDUCTIONS = ("none", "mean", "batchmean", "sum")


def log_probs(*shape, dtype=F64):
    if len(shape) == 0:
        return torch.log(uniform(lo=0.05, hi=1.0)).to(dtype)
    return torch.log_softmax(randn(*shape), dim=-1).to(dtype)


def probs(*shape, dtype=F64):
    if len(shape) == 0:
        return uniform(lo=0.05, hi=1.0).to(dtype)
    return torch.softmax(randn(*shape), dim=-1).to(dtype)


def kl_cases():
    L = "KLDivLoss"
    for dt in DTYPES:
        d = DTYPE_NAMES[dt]
        for sname, shape in SHAPES.items():
            for red in KL_REDUCTIONS:
                yield make(f"{L}_{sname}_{red}_{d}", L, {"reduction": red},
                           lambda: [("input", log_probs(*shape, dtype=dt)), ("target", probs(*shape, dtype=dt))])
        for red in KL_REDUCTIONS:
            yield make(f"{L}_log_target_{red}_{d}", L, {"reduction": red, "log_target": True},
                       lambda: [("input", log_probs(4, 5, dtype=dt)), ("target", log_probs(4, 5, dtype=dt))])
            # targets of exactly 0 contribute 0 (xlogy); PyTorch's target gradient there is NaN
            yield make(f"{L}_zero_targets_{red}_{d}", L, {"reduction": red},
                       lambda: [("input", log_probs(3, 4, dtype=dt)),
                                ("target", torch.tensor([[0.0, 0.5, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]], dtype=dt))])
        yield make(f"{L}_log_target_4d_batchmean_{d}", L, {"reduction": "batchmean", "log_target": True},
                   lambda: [("input", log_probs(2, 3, 4, 5, dtype=dt)), ("target", log_probs(2, 3, 4, 5, dtype=dt))])
        yield make(f"{L}_log_target_scalar_none_{d}", L, {"reduction": "none", "log_target": True},
                   lambda: [("input", log_probs(dtype=dt)), ("target", log_probs(dtype=dt))])
        # log-targets far below 0: exp underflows (to 0 in float32)
        yield make(f"{L}_log_target_extreme_none_{d}", L, {"reduction": "none", "log_target": True},
                   lambda: [("input", torch.tensor([-1.0, -30.0, 0.0, -1e-3], dtype=dt)),
                            ("target", torch.tensor([-50.0, -1.0, -200.0, 0.0], dtype=dt))])
    # broadcasting input (3,) with target (2, 3): mean divides by the broadcast numel, batchmean by input.size(0)
    for red in KL_REDUCTIONS:
        yield make(f"{L}_broadcast_{red}_f64", L, {"reduction": red},
                   lambda: [("input", log_probs(3)), ("target", probs(2, 3))])
    yield make(f"{L}_broadcast_target_row_batchmean_f32", L, {"reduction": "batchmean"},
               lambda: [("input", log_probs(4, 3, dtype=F32)), ("target", probs(3, dtype=F32))])
    yield make(f"{L}_negative_target_none_f64", L, {"reduction": "none"},
               lambda: [("input", log_probs(4)), ("target", torch.tensor([-0.1, 0.5, 0.3, 0.3], dtype=F64))])
    yield make(f"{L}_large_batchmean_f32", L, {"reduction": "batchmean"},
               lambda: [("input", log_probs(64, 1000, dtype=F32)), ("target", probs(64, 1000, dtype=F32))])
    yield make(f"{L}_error_shape", L, {}, lambda: [("input", log_probs(3, 4)), ("target", probs(3, 5))],
               error=("IllegalArgumentException", ["input", "target", "[3, 4]", "[3, 5]"]))
    yield make(f"{L}_error_dtype", L, {}, lambda: [("input", log_probs(3, dtype=F32)), ("target", probs(3, dtype=F64))],
               error=("IllegalArgumentException", ["target", "float"], STRICT_DTYPE))
    yield make(f"{L}_error_reduction", L, {"reduction": "avg"}, lambda: [("input", log_probs(3)), ("target", probs(3))],
               error=("IllegalArgumentException", ["reduction", "avg"]))


# --------------------------------------------------------------------------------------------------- PoissonNLLLoss

def counts(*shape, dtype=F64, hi=6):
    return torch.randint(0, hi, tuple(shape)).to(dtype)


def poisson_cases():
    L = "PoissonNLLLoss"
    for dt in DTYPES:
        d = DTYPE_NAMES[dt]
        for sname, shape in SHAPES.items():
            for red in REDUCTIONS:
                yield make(f"{L}_{sname}_{red}_{d}", L, {"reduction": red},
                           lambda: [("input", randn(*shape, dtype=dt)), ("target", counts(*shape, dtype=dt))])
        for red in REDUCTIONS:
            yield make(f"{L}_rate_{red}_{d}", L, {"reduction": red, "log_input": False},
                       lambda: [("input", uniform(4, 5, lo=0.1, hi=4, dtype=dt)), ("target", counts(4, 5, dtype=dt))])
            # Stirling term only where target > 1: targets 0, 0.5, 1, 1.5, 2, 3, 10, 30 (target gradient NaN at 0)
            for li in (True, False):
                tag = "log" if li else "rate"
                yield make(f"{L}_full_{tag}_{red}_{d}", L, {"reduction": red, "full": True, "log_input": li},
                           lambda: [("input", (randn(2, 8, dtype=dt) if li else uniform(2, 8, lo=0.1, hi=5, dtype=dt))),
                                    ("target", torch.tensor([[0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 10.0, 30.0],
                                                             [1.0, 1.0 + 1e-6, 0.99, 4.0, 0.0, 7.0, 2.5, 100.0]], dtype=dt))])
        # rate of exactly 0: log(0 + eps)
        yield make(f"{L}_rate_zero_input_none_{d}", L, {"reduction": "none", "log_input": False},
                   lambda: [("input", torch.tensor([0.0, 0.0, 1e-9, 2.0], dtype=dt)), ("target", torch.tensor([0.0, 3.0, 1.0, 2.0], dtype=dt))])
        yield make(f"{L}_rate_eps_sum_{d}", L, {"reduction": "sum", "log_input": False, "eps": 0.1},
                   lambda: [("input", uniform(3, 4, lo=0.0, hi=2, dtype=dt)), ("target", counts(3, 4, dtype=dt))])
        yield make(f"{L}_full_empty_mean_{d}", L, {"full": True},
                   lambda: [("input", randn(0, 3, dtype=dt)), ("target", counts(0, 3, dtype=dt))])
        yield make(f"{L}_full_scalar_none_{d}", L, {"reduction": "none", "full": True},
                   lambda: [("input", randn(dtype=dt)), ("target", torch.tensor(4.0, dtype=dt))])
        # large log-rates: exp overflows to inf in float32 at 100 (as in PyTorch)
        yield make(f"{L}_large_log_input_none_{d}", L, {"reduction": "none"},
                   lambda: [("input", torch.tensor([20.0, 50.0, 88.0, 100.0, -100.0], dtype=dt)),
                            ("target", torch.tensor([3.0, 0.0, 1.0, 2.0, 5.0], dtype=dt))])
        yield make(f"{L}_broadcast_none_{d}", L, {"reduction": "none"},
                   lambda: [("input", randn(4, 5, dtype=dt)), ("target", counts(5, dtype=dt))])
    yield make(f"{L}_broadcast_mean_f64", L, {}, lambda: [("input", randn(5)), ("target", counts(3, 5))])
    yield make(f"{L}_large_full_mean_f32", L, {"full": True},
               lambda: [("input", randn(64, 1000, dtype=F32)), ("target", counts(64, 1000, dtype=F32, hi=12))])
    yield make(f"{L}_error_shape", L, {}, lambda: [("input", randn(3, 4)), ("target", counts(3, 5))],
               error=("IllegalArgumentException", ["input", "target", "[3, 4]", "[3, 5]"]))
    yield make(f"{L}_error_dtype", L, {}, lambda: [("input", randn(3, dtype=F32)), ("target", counts(3, dtype=F64))],
               error=("IllegalArgumentException", ["target", "float"], STRICT_DTYPE))
    yield make(f"{L}_error_batchmean", L, {"reduction": "batchmean"}, lambda: [("input", randn(3)), ("target", counts(3))],
               error=("IllegalArgumentException", ["batchmean"]))
    yield make(f"{L}_error_eps_negative", L, {"log_input": False, "eps": -1.0},
               lambda: [("input", uniform(3)), ("target", counts(3))],
               error=("IllegalArgumentException", ["eps", "-1"], "torch takes a negative eps (log of a negative rate gives nan); loss4j rejects it"))


# -------------------------------------------------------------------------------------------------- GaussianNLLLoss

def variances(*shape, dtype=F64):
    return uniform(*shape, lo=0.1, hi=2.0, dtype=dtype)


def gaussian_cases():
    L = "GaussianNLLLoss"
    for dt in DTYPES:
        d = DTYPE_NAMES[dt]
        for sname, shape in SHAPES.items():
            for red in REDUCTIONS:
                yield make(f"{L}_{sname}_{red}_{d}", L, {"reduction": red},
                           lambda: [("input", randn(*shape, dtype=dt)), ("target", randn(*shape, dtype=dt)),
                                    ("var", variances(*shape, dtype=dt))])
        for red in REDUCTIONS:
            yield make(f"{L}_full_{red}_{d}", L, {"reduction": red, "full": True},
                       lambda: [("input", randn(4, 5, dtype=dt)), ("target", randn(4, 5, dtype=dt)), ("var", variances(4, 5, dtype=dt))])
            # var below eps is clamped (gradient at the clamped value, still flowing to var)
            yield make(f"{L}_var_below_eps_{red}_{d}", L, {"reduction": red},
                       lambda: [("input", randn(2, 4, dtype=dt)), ("target", randn(2, 4, dtype=dt)),
                                ("var", torch.tensor([[0.0, 1e-8, 5e-7, 1e-6], [2e-6, 0.5, 0.0, 1e-3]], dtype=dt))])
            # homoscedastic: var one dimension short (unsqueezed at the end)
            yield make(f"{L}_var_short_{red}_{d}", L, {"reduction": red},
                       lambda: [("input", randn(4, 5, dtype=dt)), ("target", randn(4, 5, dtype=dt)), ("var", variances(4, dtype=dt))])
        yield make(f"{L}_var_below_eps_custom_eps_none_{d}", L, {"reduction": "none", "eps": 1e-3, "full": True},
                   lambda: [("input", randn(5, dtype=dt)), ("target", randn(5, dtype=dt)),
                            ("var", torch.tensor([0.0, 1e-4, 1e-3, 2e-3, 1.0], dtype=dt))])
        # var with last dimension 1, with another single dimension of 1, and K-dim forms
        yield make(f"{L}_var_last_dim_1_none_{d}", L, {"reduction": "none"},
                   lambda: [("input", randn(4, 5, dtype=dt)), ("target", randn(4, 5, dtype=dt)), ("var", variances(4, 1, dtype=dt))])
        yield make(f"{L}_var_first_dim_1_mean_{d}", L, {},
                   lambda: [("input", randn(4, 5, dtype=dt)), ("target", randn(4, 5, dtype=dt)), ("var", variances(1, 5, dtype=dt))])
        yield make(f"{L}_var_kdim_channel_1_sum_{d}", L, {"reduction": "sum"},
                   lambda: [("input", randn(2, 3, 4, 5, dtype=dt)), ("target", randn(2, 3, 4, 5, dtype=dt)),
                            ("var", variances(2, 1, 4, 5, dtype=dt))])
        yield make(f"{L}_var_kdim_short_none_{d}", L, {"reduction": "none"},
                   lambda: [("input", randn(2, 3, 4, dtype=dt)), ("target", randn(2, 3, 4, dtype=dt)), ("var", variances(2, 3, dtype=dt))])
        # a single variance for a 1-D input: 0-dim var (one short) or (1,)
        yield make(f"{L}_var_scalar_1d_mean_{d}", L, {},
                   lambda: [("input", randn(6, dtype=dt)), ("target", randn(6, dtype=dt)), ("var", variances(dtype=dt))])
        yield make(f"{L}_var_one_1d_none_{d}", L, {"reduction": "none"},
                   lambda: [("input", randn(6, dtype=dt)), ("target", randn(6, dtype=dt)), ("var", variances(1, dtype=dt))])
        yield make(f"{L}_empty_var_short_mean_{d}", L, {},
                   lambda: [("input", randn(0, 3, dtype=dt)), ("target", randn(0, 3, dtype=dt)), ("var", variances(0, dtype=dt))])
    # target broadcast with input (PyTorch checks only var's shape)
    yield make(f"{L}_target_broadcast_none_f64", L, {"reduction": "none"},
               lambda: [("input", randn(3, 4)), ("target", randn(4)), ("var", variances(3, 4))])
    yield make(f"{L}_target_grows_output_mean_f64", L, {},
               lambda: [("input", randn(3, 4)), ("target", randn(2, 3, 4)), ("var", variances(3, 1))])
    yield make(f"{L}_var_nan_none_f64", L, {"reduction": "none"},
               lambda: [("input", randn(3)), ("target", randn(3)), ("var", torch.tensor([float("nan"), 1.0, 0.5], dtype=F64))])
    yield make(f"{L}_large_var_short_mean_f32", L, {"full": True},
               lambda: [("input", randn(256, 200, dtype=F32)), ("target", randn(256, 200, dtype=F32)), ("var", variances(256, dtype=F32))])
    # errors where PyTorch raises
    yield make(f"{L}_error_negative_var", L, {}, lambda: [("input", randn(3)), ("target", randn(3)), ("var", torch.tensor([1.0, -0.5, 1.0], dtype=F64))],
               error=("IllegalArgumentException", ["var", "negative"]))
    yield make(f"{L}_error_var_size_last_dim", L, {}, lambda: [("input", randn(3, 4)), ("target", randn(3, 4)), ("var", variances(4))],
               error=("IllegalArgumentException", ["var", "size", "[4]", "[3, 4]"]))
    yield make(f"{L}_error_var_size_two_dims", L, {}, lambda: [("input", randn(2, 3, 4)), ("target", randn(2, 3, 4)), ("var", variances(2, 1, 1))],
               error=("IllegalArgumentException", ["var", "size", "[2, 1, 1]"]))
    yield make(f"{L}_error_var_scalar_2d", L, {}, lambda: [("input", randn(3, 4)), ("target", randn(3, 4)), ("var", variances())],
               error=("IllegalArgumentException", ["var", "size", "[]"]))
    yield make(f"{L}_error_var_extra_dim", L, {}, lambda: [("input", randn(3, 4)), ("target", randn(3, 4)), ("var", variances(3, 4, 1))],
               error=("IllegalArgumentException", ["var", "size", "[3, 4, 1]"]))
    yield make(f"{L}_error_var_bigger", L, {}, lambda: [("input", randn(1, 4)), ("target", randn(1, 4)), ("var", variances(3, 4))],
               error=("IllegalArgumentException", ["var", "size", "[3, 4]"]))
    # passes PyTorch's size rule (sizes differing add up to 1) but does not broadcast
    yield make(f"{L}_error_var_broadcast", L, {}, lambda: [("input", randn(2, 3)), ("target", randn(2, 3)), ("var", variances(0, 1))],
               error=("IllegalArgumentException", ["var", "[0, 1]"]))
    yield make(f"{L}_error_target_shape", L, {}, lambda: [("input", randn(3, 4)), ("target", randn(3, 5)), ("var", variances(3, 4))],
               error=("IllegalArgumentException", ["target", "[3, 5]", "[3, 4]"]))
    yield make(f"{L}_error_dtype", L, {}, lambda: [("input", randn(3, dtype=F32)), ("target", randn(3, dtype=F32)), ("var", variances(3, dtype=F64))],
               error=("IllegalArgumentException", ["var", "float"], STRICT_DTYPE))
    yield make(f"{L}_error_batchmean", L, {"reduction": "batchmean"}, lambda: [("input", randn(3)), ("target", randn(3)), ("var", variances(3))],
               error=("IllegalArgumentException", ["batchmean"]))
    yield make(f"{L}_error_eps_negative", L, {"eps": -1.0}, lambda: [("input", randn(3)), ("target", randn(3)), ("var", variances(3))],
               error=("IllegalArgumentException", ["eps", "-1"], "torch takes a negative eps (no clamp at all); loss4j rejects it"))


def cases():
    yield from bce_cases()
    yield from bce_logits_cases()
    yield from kl_cases()
    yield from poisson_cases()
    yield from gaussian_cases()
