"""CTCLoss: padded / concatenated / unbatched targets, every reduction and option, dtypes, repeated labels, blank != 0,
impossible alignments (inf, nan gradients, zero_infinity), empty targets and inputs, unnormalised log_probs (PyTorch's
gradient is the one w.r.t. the pre-softmax activations), extreme values, a realistic T=200 size, and the errors."""
import torch
import torch.nn.functional as F

import generate
from _util import Case, F32, F64, DTYPE_NAMES, REDUCTIONS, randn

I64, I32 = torch.int64, torch.int32
INF = float("inf")


def log_softmax(T, N, C, dtype, scale=1.0, batched=True):
    x = randn(T, N, C, scale=scale).log_softmax(2)
    return (x if batched else x[:, 0]).to(dtype)


def labels(C, *shape, blank=0, dtype=I64):
    """Random labels in [0, C) without the blank."""
    x = torch.randint(0, C - 1, shape, dtype=torch.int64)
    x = x + (x >= blank).long()
    return x.to(dtype)


def lens(values, dtype=I64):
    return torch.tensor(values, dtype=dtype)


def measured_tolerance(name, options, args):
    """PyTorch's CPU kernel runs the alpha/beta recursions in the input dtype. In float32, log-alpha values of
    magnitude |ln p| carry ~ulp(|ln p|) absolute rounding per frame, and the gradient exp(ln(alpha beta) + nll - lp)
    inherits it: torch float32 strays from its own float64 result (the exact value loss4j approaches, accumulating in
    double) well beyond 1e-5 for long inputs. Measure that stray on this very case (same grad_output as
    generate.py draws) and allow twice it; None where the default float32 tolerance holds."""
    lp = args[0][1]
    if lp.dtype != F32:
        return None
    rest = [t for _, t in args[1:]]
    res = {}
    for dt in (F32, F64):
        x = lp.detach().to(dt).requires_grad_(True)
        out = F.ctc_loss(x, *rest, **options)
        generate.seed_for(name + "/grad")
        if out.dim() == 0:
            go = torch.empty((), dtype=F32).uniform_(0.5, 1.5)
        else:
            go = torch.empty(out.shape, dtype=F32).uniform_(-1, 1)
        g, = torch.autograd.grad(out, x, go.to(dt))
        res[dt] = (out.detach().double(), g.double())
    worst = 0.0
    for a, e in zip(res[F32], res[F64]):
        ok = torch.isfinite(a) & torch.isfinite(e)
        if ok.any():
            d = (a - e).abs()[ok]
            over = d - 1e-5 * e.abs()[ok]
            worst = max(worst, over.max().item())
    if worst <= 0.5e-6:
        return None
    abs_tol = float(f"{2 * worst:.0e}")
    abs_tol = abs_tol if abs_tol >= 2 * worst else 2 * abs_tol
    return {"rel": 1e-5, "abs": abs_tol,
            "why": f"torch float32 CTC (alpha/beta recursions in float32) differs from torch float64 by up to "
                   f"{worst:.1e} (abs, beyond rel 1e-5) on this case; loss4j accumulates in double"}


def case(name, options, args, **kw):
    if "error" not in kw and "tolerance" not in kw:
        tol = measured_tolerance(name, options, args)
        if tol is not None:
            kw["tolerance"] = tol
    return Case(name, "CTCLoss", options, args, **kw)


def cases():
    seed = generate.seed_for
    T, N, C, S = 12, 4, 6, 5
    for dt in (F32, F64):
        d = DTYPE_NAMES[dt]
        for red in REDUCTIONS:
            # padded (N, S): varied input lengths (frames past them get 0 gradient), varied target lengths
            name = f"CTCLoss_padded_{red}_{d}"
            seed(name)
            yield case(name, {"reduction": red},
                       [("log_probs", log_softmax(T, N, C, dt)), ("targets", labels(C, N, S)),
                        ("input_lengths", lens([12, 10, 7, 12])), ("target_lengths", lens([5, 3, 2, 4]))])
            # concatenated 1-D targets
            name = f"CTCLoss_concat_{red}_{d}"
            seed(name)
            tl = [3, 5, 0, 2]
            yield case(name, {"reduction": red},
                       [("log_probs", log_softmax(T, N, C, dt)), ("targets", labels(C, sum(tl))),
                        ("input_lengths", lens([12, 11, 4, 9])), ("target_lengths", lens(tl))])
            # unbatched: log_probs (T, C), targets (S), lengths ()
            name = f"CTCLoss_unbatched_{red}_{d}"
            seed(name)
            yield case(name, {"reduction": red},
                       [("log_probs", log_softmax(T, 1, C, dt, batched=False)), ("targets", labels(C, 4)),
                        ("input_lengths", lens(10)), ("target_lengths", lens(4))])
        # blank at the end and in the middle of the alphabet
        for blank in (C - 1, 2):
            name = f"CTCLoss_blank{blank}_{d}"
            seed(name)
            yield case(name, {"blank": blank, "reduction": "none"},
                       [("log_probs", log_softmax(T, N, C, dt)), ("targets", labels(C, N, S, blank=blank)),
                        ("input_lengths", lens([12, 9, 12, 6])), ("target_lengths", lens([5, 4, 1, 3]))])
        # zero_infinity: items 1 and 3 cannot align (too short for their repeated labels)
        for red in REDUCTIONS:
            name = f"CTCLoss_zero_infinity_{red}_{d}"
            seed(name)
            tg = torch.tensor([[1, 2, 3, 4], [1, 1, 1, 1], [2, 3, 0, 0], [5, 5, 4, 4]])
            yield case(name, {"reduction": red, "zero_infinity": True},
                       [("log_probs", log_softmax(8, 4, C, dt)), ("targets", tg),
                        ("input_lengths", lens([8, 6, 8, 5])), ("target_lengths", lens([4, 4, 2, 4]))])
        # the same without zero_infinity: inf losses, NaN gradients on the impossible items' frames
        for red in ("none", "mean"):
            name = f"CTCLoss_impossible_{red}_{d}"
            seed(name)
            tg = torch.tensor([[1, 2, 3, 4], [1, 1, 1, 1], [2, 3, 0, 0], [5, 5, 4, 4]])
            yield case(name, {"reduction": red},
                       [("log_probs", log_softmax(8, 4, C, dt)), ("targets", tg),
                        ("input_lengths", lens([8, 6, 8, 5])), ("target_lengths", lens([4, 4, 2, 4]))])
        # repeated labels: exactly as many frames as labels + the blanks between repeats (one alignment), and more
        name = f"CTCLoss_repeats_tight_{d}"
        seed(name)
        yield case(name, {"reduction": "none"},
                   [("log_probs", log_softmax(7, 3, C, dt)),
                    ("targets", torch.tensor([[1, 1, 1, 1], [2, 2, 3, 3], [1, 2, 1, 2]])),
                    ("input_lengths", lens([7, 6, 4])), ("target_lengths", lens([4, 4, 4]))])
        name = f"CTCLoss_repeats_loose_{d}"
        seed(name)
        yield case(name, {"reduction": "sum"},
                   [("log_probs", log_softmax(15, 3, C, dt)),
                    ("targets", torch.tensor([[3, 3, 3, 2, 2], [4, 4, 1, 4, 4], [5, 5, 5, 5, 5]])),
                    ("input_lengths", lens([15, 12, 9])), ("target_lengths", lens([5, 5, 5]))])
        # empty targets (every item, and a padded S = 0 tensor)
        name = f"CTCLoss_empty_targets_{d}"
        seed(name)
        yield case(name, {"reduction": "mean"},
                   [("log_probs", log_softmax(6, 3, C, dt)), ("targets", torch.zeros(0, dtype=I64)),
                    ("input_lengths", lens([6, 3, 1])), ("target_lengths", lens([0, 0, 0]))])
        # input_length 0: the empty target has loss 0, a non-empty one inf with a zero (not NaN) gradient
        name = f"CTCLoss_input_length0_{d}"
        seed(name)
        yield case(name, {"reduction": "none"},
                   [("log_probs", log_softmax(5, 3, C, dt)), ("targets", labels(C, 3, 2)),
                    ("input_lengths", lens([0, 0, 5])), ("target_lengths", lens([0, 2, 2]))])
        # unnormalised log_probs: PyTorch's gradient is exp(lp) - occupation (w.r.t. pre-softmax activations)
        for red in ("none", "mean"):
            name = f"CTCLoss_unnormalized_{red}_{d}"
            seed(name)
            yield case(name, {"reduction": red},
                       [("log_probs", randn(T, N, C, dtype=dt, scale=2.0) - 1.0), ("targets", labels(C, N, S)),
                        ("input_lengths", lens([12, 8, 11, 12])), ("target_lengths", lens([5, 2, 4, 3]))])
        # extreme logits (+-100 before log_softmax): probabilities of exactly 1 and ~0
        name = f"CTCLoss_extreme_logits_{d}"
        seed(name)
        yield case(name, {"reduction": "none"},
                   [("log_probs", (torch.randint(-1, 2, (8, 3, 4)).double() * 100).log_softmax(2).to(dt)),
                    ("targets", labels(4, 3, 3)),
                    ("input_lengths", lens([8, 8, 5])), ("target_lengths", lens([3, 2, 1]))])
        # medium size, mixed lengths
        name = f"CTCLoss_medium_{d}"
        seed(name)
        yield case(name, {"reduction": "mean"},
                   [("log_probs", log_softmax(50, 5, 20, dt)), ("targets", labels(20, 5, 20)),
                    ("input_lengths", lens([50, 45, 30, 50, 21])), ("target_lengths", lens([20, 12, 15, 1, 10]))])

    # int32 targets and lengths; mixed integer dtypes
    name = "CTCLoss_int32_f64"
    seed(name)
    yield case(name, {"reduction": "none"},
               [("log_probs", log_softmax(T, N, C, F64)), ("targets", labels(C, N, S, dtype=I32)),
                ("input_lengths", lens([12, 10, 7, 12], I32)), ("target_lengths", lens([5, 3, 2, 4], I32))])
    name = "CTCLoss_int32_concat_f32"
    seed(name)
    yield case(name, {"reduction": "mean"},
               [("log_probs", log_softmax(T, 3, C, F32)), ("targets", labels(C, 7, dtype=I32)),
                ("input_lengths", lens([12, 10, 7])), ("target_lengths", lens([3, 1, 3], I32))])
    # padding past target_lengths is never read (any value, even out of range)
    name = "CTCLoss_padding_ignored_f64"
    seed(name)
    tg = labels(C, 3, 4)
    tg[0, 2:] = -7
    tg[1, 1:] = 99
    tg[2, 3] = 0
    yield case(name, {"reduction": "none"},
               [("log_probs", log_softmax(T, 3, C, F64)), ("targets", tg),
                ("input_lengths", lens([12, 12, 9])), ("target_lengths", lens([2, 1, 3]))])
    # unbatched variants PyTorch accepts: (1, S) targets, (1)-shaped lengths; batched N = 1 with () lengths
    name = "CTCLoss_unbatched_2d_targets_f64"
    seed(name)
    yield case(name, {"reduction": "none"},
               [("log_probs", log_softmax(T, 1, C, F64, batched=False)), ("targets", labels(C, 1, 5)),
                ("input_lengths", lens(11)), ("target_lengths", lens(3))])
    name = "CTCLoss_unbatched_1elem_lengths_f64"
    seed(name)
    yield case(name, {"reduction": "sum"},
               [("log_probs", log_softmax(T, 1, C, F64, batched=False)), ("targets", labels(C, 4)),
                ("input_lengths", lens([12])), ("target_lengths", lens([4]))])
    name = "CTCLoss_batch1_scalar_lengths_f64"
    seed(name)
    yield case(name, {"reduction": "none"},
               [("log_probs", log_softmax(T, 1, C, F64)), ("targets", labels(C, 1, 5)),
                ("input_lengths", lens(9)), ("target_lengths", lens(5))])
    # C = 1: only the blank, so only empty targets; T = 1
    name = "CTCLoss_only_blank_f64"
    seed(name)
    yield case(name, {"reduction": "none"},
               [("log_probs", log_softmax(4, 2, 1, F64)), ("targets", torch.zeros(2, 0, dtype=I64)),
                ("input_lengths", lens([4, 2])), ("target_lengths", lens([0, 0]))])
    name = "CTCLoss_T1_f64"
    seed(name)
    yield case(name, {"reduction": "none"},
               [("log_probs", log_softmax(1, 3, C, F64)), ("targets", labels(C, 3, 2)),
                ("input_lengths", lens([1, 1, 1])), ("target_lengths", lens([0, 1, 2]))])
    # probabilities exactly 0 (log_probs -inf): an unused class gives NaN gradients (-inf + inf), as PyTorch
    name = "CTCLoss_zero_probability_f64"
    seed(name)
    lp = log_softmax(6, 2, 4, F64)
    lp[:, 0, 3] = -INF
    lp[2, 1, 1] = -INF
    yield case(name, {"reduction": "none"},
               [("log_probs", lp), ("targets", torch.tensor([[1, 2], [1, 2]])),
                ("input_lengths", lens([6, 6])), ("target_lengths", lens([2, 2]))])
    # unnormalised and large: exp(log_probs) overflows float32 to inf in PyTorch's gradient
    name = "CTCLoss_unnormalized_overflow_f32"
    seed(name)
    yield case(name, {"reduction": "sum"},
               [("log_probs", randn(5, 2, 3, dtype=F32) + 90.0), ("targets", torch.tensor([[1, 2], [2, 2]])),
                ("input_lengths", lens([5, 5])), ("target_lengths", lens([2, 2]))])

    # realistic: T = 200, C = 30, S up to 60
    name = "CTCLoss_large_padded_mean_f32"
    seed(name)
    yield case(name, {},
               [("log_probs", log_softmax(200, 8, 30, F32)), ("targets", labels(30, 8, 60)),
                ("input_lengths", lens([200, 180, 200, 150, 199, 120, 200, 170])),
                ("target_lengths", lens([60, 45, 30, 50, 59, 40, 1, 33]))])
    name = "CTCLoss_large_concat_none_f32"
    seed(name)
    tl = [55, 20, 60, 38]
    yield case(name, {"reduction": "none", "zero_infinity": True},
               [("log_probs", log_softmax(200, 4, 30, F32)), ("targets", labels(30, sum(tl))),
                ("input_lengths", lens([200, 160, 190, 200])), ("target_lengths", lens(tl))])
    name = "CTCLoss_large_padded_sum_f64"
    seed(name)
    yield case(name, {"reduction": "sum"},
               [("log_probs", log_softmax(200, 4, 30, F64)), ("targets", labels(30, 4, 60)),
                ("input_lengths", lens([200, 170, 200, 140])), ("target_lengths", lens([60, 50, 25, 44]))])

    yield from errors()


def errors():
    T, N, C, S = 6, 3, 5, 4
    seed = generate.seed_for

    def base(name):
        seed(name)
        return [("log_probs", log_softmax(T, N, C, F64)), ("targets", labels(C, N, S)),
                ("input_lengths", lens([6, 6, 6])), ("target_lengths", lens([4, 3, 2]))]

    def err(name, options, args, error):
        return Case(name, "CTCLoss", options, args, error=error)

    def replace(args, i, t):
        args = list(args)
        args[i] = (args[i][0], t)
        return args

    IAE, IOOBE = "IllegalArgumentException", "IndexOutOfBoundsException"
    a = base("CTCLoss_error_blank_too_large")
    yield err("CTCLoss_error_blank_too_large", {"blank": C}, a, (IAE, ["blank", "5"]))
    a = base("CTCLoss_error_blank_negative")
    yield err("CTCLoss_error_blank_negative", {"blank": -1}, a, (IAE, ["blank", "-1"]))
    # labels: PyTorch's CPU kernel reads them unchecked (garbage, or memory past the row); loss4j throws.
    # (the bad label sits where the out-of-range read stays inside log_probs, so torch itself runs safely)
    a = base("CTCLoss_error_target_is_blank")
    a[1][1][0, 1] = 0
    yield err("CTCLoss_error_target_is_blank", {}, a,
              (IAE, ["targets", "blank", "[0, 1]"],
               "PyTorch does not check the labels; a blank label silently changes the alignment graph"))
    a = base("CTCLoss_error_target_is_blank_nonzero")
    a[1][1][1, 2] = 3
    yield err("CTCLoss_error_target_is_blank_nonzero", {"blank": 3}, a,
              (IAE, ["targets", "blank", "3"],
               "PyTorch does not check the labels; a blank label silently changes the alignment graph"))
    a = base("CTCLoss_error_target_too_large")
    a[1][1][0, 1] = C
    yield err("CTCLoss_error_target_too_large", {}, a,
              (IOOBE, ["targets", "5", "[0, 1]"],
               "PyTorch's CPU kernel does not bound-check labels: it reads a neighbouring row's log-probability"))
    a = base("CTCLoss_error_target_negative")
    a[1][1][1, 0] = -1
    yield err("CTCLoss_error_target_negative", {}, a,
              (IOOBE, ["targets", "-1", "[1, 0]"],
               "PyTorch's CPU kernel does not bound-check labels: it reads a neighbouring row's log-probability"))
    seed("CTCLoss_error_target_too_large_concat")
    tg = labels(C, 9)
    tg[4] = 7
    yield err("CTCLoss_error_target_too_large_concat", {},
              [("log_probs", log_softmax(T, N, C, F64)), ("targets", tg), ("input_lengths", lens([6, 6, 6])),
               ("target_lengths", lens([4, 3, 2]))],
              (IOOBE, ["targets", "7", "item 1"],
               "PyTorch's CPU kernel does not bound-check labels: it reads another frame's log-probability"))
    a = base("CTCLoss_error_targets_float")
    yield err("CTCLoss_error_targets_float", {}, replace(a, 1, a[1][1].double()),
              (IAE, ["targets", "float64"], "PyTorch casts float targets to int64; loss4j never converts silently"))
    # lengths
    a = base("CTCLoss_error_negative_input_length")
    yield err("CTCLoss_error_negative_input_length", {}, replace(a, 2, lens([6, -1, 6])),
              (IAE, ["input_lengths", "-1"]))
    a = base("CTCLoss_error_negative_target_length")
    yield err("CTCLoss_error_negative_target_length", {}, replace(a, 3, lens([4, -1, 2])),
              (IAE, ["target_lengths", "-1"]))
    a = base("CTCLoss_error_input_length_above_T")
    yield err("CTCLoss_error_input_length_above_T", {}, replace(a, 2, lens([6, 7, 6])),
              (IAE, ["input_lengths", "7", "6"]))
    a = base("CTCLoss_error_target_length_above_S")
    yield err("CTCLoss_error_target_length_above_S", {}, replace(a, 3, lens([5, 1, 2])),
              (IAE, ["target_lengths", "5", "4"]))
    a = base("CTCLoss_error_concat_sum_mismatch")
    yield err("CTCLoss_error_concat_sum_mismatch", {}, replace(a, 1, labels(C, 8)),
              (IAE, ["targets", "9", "[8]"]))
    seed("CTCLoss_error_unbatched_target_length_short")
    yield err("CTCLoss_error_unbatched_target_length_short", {},
              [("log_probs", log_softmax(T, 1, C, F64, batched=False)), ("targets", labels(C, 4)),
               ("input_lengths", lens(6)), ("target_lengths", lens(3))],
              (IAE, ["targets", "3", "[4]"]))
    a = base("CTCLoss_error_input_lengths_size")
    yield err("CTCLoss_error_input_lengths_size", {}, replace(a, 2, lens([6, 6])),
              (IAE, ["input_lengths", "3", "[2]"]))
    a = base("CTCLoss_error_target_lengths_size")
    yield err("CTCLoss_error_target_lengths_size", {}, replace(a, 3, lens([1, 2, 3, 1])),
              (IAE, ["target_lengths", "3", "[4]"]))
    a = base("CTCLoss_error_input_lengths_float")
    yield err("CTCLoss_error_input_lengths_float", {}, replace(a, 2, a[2][1].float()),
              (IAE, ["input_lengths", "float32"]))
    a = base("CTCLoss_error_target_lengths_float")
    yield err("CTCLoss_error_target_lengths_float", {}, replace(a, 3, a[3][1].double()),
              (IAE, ["target_lengths", "float64"]))
    # shapes and dtypes
    a = base("CTCLoss_error_log_probs_int")
    yield err("CTCLoss_error_log_probs_int", {}, replace(a, 0, a[0][1].long()), (IAE, ["log_probs", "int64"]))
    a = base("CTCLoss_error_log_probs_1d")
    yield err("CTCLoss_error_log_probs_1d", {}, replace(a, 0, a[0][1][:, 0, 0].contiguous()),
              (IAE, ["log_probs", "[6]"]))
    a = base("CTCLoss_error_log_probs_4d")
    yield err("CTCLoss_error_log_probs_4d", {}, replace(a, 0, a[0][1][None].contiguous()),
              (IAE, ["log_probs", "[1, 6, 3, 5]"]))
    a = base("CTCLoss_error_targets_3d")
    yield err("CTCLoss_error_targets_3d", {}, replace(a, 1, a[1][1][None].contiguous()),
              (IAE, ["targets", "[1, 3, 4]"]))
    a = base("CTCLoss_error_targets_0d")
    yield err("CTCLoss_error_targets_0d", {}, replace(a, 1, torch.tensor(1)), (IAE, ["targets", "0 dimensions"]))
    a = base("CTCLoss_error_targets_rows")
    yield err("CTCLoss_error_targets_rows", {}, replace(a, 1, a[1][1][:2].contiguous()),
              (IAE, ["targets", "3", "[2, 4]"]))
    # empty log_probs: PyTorch rejects T = 0, N = 0 and C = 0 alike
    for what, shape, n in (("T0", (0, N, C), N), ("N0", (T, 0, C), 0), ("C0", (T, N, 0), N)):
        name = f"CTCLoss_error_empty_{what}"
        yield err(name, {},
                  [("log_probs", torch.zeros(shape, dtype=F64)), ("targets", torch.zeros(n, 0, dtype=I64)),
                   ("input_lengths", torch.zeros(n, dtype=I64)), ("target_lengths", torch.zeros(n, dtype=I64))],
                  (IAE, ["log_probs", "empty", str(list(shape))]))
    a = base("CTCLoss_error_reduction_batchmean")
    yield err("CTCLoss_error_reduction_batchmean", {"reduction": "batchmean"}, a, (IAE, ["batchmean"]))
