"""NLLLoss, CrossEntropyLoss and MultiLabelSoftMarginLoss: every option x reduction x dtype, every shape form
(batched, unbatched, K-dimensional), weights, ignore_index (default, in range, all ignored), label smoothing with
and without weights/ignore, class-probability targets, empty batches, extreme logits, a realistic large CE, errors."""
import torch
from _util import Case, F32, F64, DTYPE_NAMES, REDUCTIONS, randn, uniform, randint, signs

I64, I32 = torch.int64, torch.int32

# name -> (input shape, target shape); C is dimension 1 (dimension 0 unbatched)
FORMS = {
    "batched": ((5, 4), (5,)),
    "unbatched": ((4,), ()),
    "k1": ((3, 4, 5), (3, 5)),
    "k2": ((2, 3, 4, 3), (2, 4, 3)),
}


def seed(name):
    import generate
    generate.seed_for(name)


def classes(shape):
    return shape[0] if len(shape) == 1 else shape[1]


def class_target(ishape, tshape, ignore=None, frac=0.3):
    """Random class indices; with ignore, about frac of them set to that value (at least one)."""
    t = randint(classes(ishape), *tshape)
    if ignore is not None and t.numel() > 0:
        flat = t.view(-1)
        mask = torch.rand(flat.shape) < frac
        mask[0] = True
        flat[mask] = ignore
    return t


def weight_for(c, dt):
    return uniform(c, lo=0.2, hi=2.0, dtype=dt)


def log_probs(shape, dt):
    x = randn(*shape, dtype=F64)
    dim = 0 if len(shape) == 1 else 1
    return torch.log_softmax(x, dim).to(dt)


def as_long(module, args):
    """PyTorch takes int64 class indices only; loss4j also takes int32, checked against the int64 result."""
    return module(args[0], args[1].long())


# ---------------------------------------------------------------------------------------------------- NLLLoss

def nll_cases():
    L = "NLLLoss"
    for dt in (F32, F64):
        d = DTYPE_NAMES[dt]
        for form, (ishape, tshape) in FORMS.items():
            for red in REDUCTIONS:
                n = f"{L}_{form}_{red}_{d}"
                seed(n)
                yield Case(n, L, {"reduction": red}, [("input", log_probs(ishape, dt)), ("target", class_target(ishape, tshape))])
        for form in ("batched", "k2"):
            ishape, tshape = FORMS[form]
            for red in REDUCTIONS:
                n = f"{L}_{form}_weight_{red}_{d}"
                seed(n)
                yield Case(n, L, {"reduction": red, "weight": weight_for(classes(ishape), dt)},
                           [("input", log_probs(ishape, dt)), ("target", class_target(ishape, tshape))])
        for red in REDUCTIONS:
            n = f"{L}_ignore_default_{red}_{d}"
            seed(n)
            yield Case(n, L, {"reduction": red}, [("input", log_probs((6, 4), dt)), ("target", class_target((6, 4), (6,), -100))])
            n = f"{L}_ignore0_weight_{red}_{d}"
            seed(n)
            yield Case(n, L, {"reduction": red, "ignore_index": 0, "weight": weight_for(4, dt)},
                       [("input", log_probs((6, 4), dt)), ("target", class_target((6, 4), (6,)))])
        n = f"{L}_k1_ignore2_weight_mean_{d}"
        seed(n)
        yield Case(n, L, {"ignore_index": 2, "weight": weight_for(4, dt)},
                   [("input", log_probs((3, 4, 5), dt)), ("target", class_target((3, 4, 5), (3, 5), 2))])
        n = f"{L}_raw_input_sum_{d}"  # input need not be log-probabilities
        seed(n)
        yield Case(n, L, {"reduction": "sum"}, [("input", randn(5, 3, dtype=dt, scale=100)), ("target", randint(3, 5))])
        for red in REDUCTIONS:
            n = f"{L}_empty_{red}_{d}"
            seed(n)
            yield Case(n, L, {"reduction": red}, [("input", log_probs((0, 4), dt)), ("target", randint(4, 0))])
    for red in REDUCTIONS:
        n = f"{L}_all_ignored_{red}_f64"
        seed(n)
        yield Case(n, L, {"reduction": red}, [("input", log_probs((4, 3), F64)), ("target", torch.full((4,), -100))])
    n = f"{L}_all_ignored_weight_mean_f32"
    seed(n)
    yield Case(n, L, {"weight": weight_for(3, F32), "ignore_index": 1},
               [("input", log_probs((4, 3), F32)), ("target", torch.full((4,), 1))])
    n = f"{L}_unbatched_ignored_mean_f64"
    seed(n)
    yield Case(n, L, {}, [("input", log_probs((4,), F64)), ("target", torch.tensor(-100))])
    n = f"{L}_k1_empty_spatial_mean_f64"
    seed(n)
    yield Case(n, L, {}, [("input", log_probs((2, 3, 0), F64)), ("target", randint(3, 2, 0))])
    n = f"{L}_zero_weight_targets_mean_f64"  # total weight 0 with non-ignored targets: nan, nan gradient at targets
    seed(n)
    yield Case(n, L, {"weight": torch.tensor([0.0, 1.0, 1.0], dtype=F64)},
               [("input", log_probs((3, 3), F64)), ("target", torch.tensor([0, 0, -100]))])
    n = f"{L}_negative_weight_sum_f64"
    seed(n)
    yield Case(n, L, {"reduction": "sum", "weight": torch.tensor([-1.0, 0.5, 2.0], dtype=F64)},
               [("input", log_probs((5, 3), F64)), ("target", randint(3, 5))])
    for red, dt in (("mean", F32), ("none", F64)):
        n = f"{L}_int32_target_{red}_{DTYPE_NAMES[dt]}"
        seed(n)
        yield Case(n, L, {"reduction": red, "weight": weight_for(4, dt)},
                   [("input", log_probs((3, 4, 5), dt)), ("target", class_target((3, 4, 5), (3, 5), -100).to(I32))], call=as_long)
    for red in ("none", "mean"):
        n = f"{L}_1d_input_1d_target_{red}_f64"  # PyTorch takes a (1) target for a (C) input
        seed(n)
        # forward only: PyTorch's backward rejects this shape pair ("size mismatch (got input: [5], target: [1])")
        yield Case(n, L, {"reduction": red}, [("input", log_probs((5,), F64)), ("target", torch.tensor([3]))], grads=False)
    n = f"{L}_large_f32"
    seed(n)
    yield Case(n, L, {}, [("input", log_probs((64, 1000), F32)), ("target", randint(1000, 64))])

    # errors
    x = lambda *s: randn(*s, dtype=F32)
    IAE, IOOBE = "IllegalArgumentException", "IndexOutOfBoundsException"
    yield Case(f"{L}_error_target_out_of_range", L, {}, [("input", x(3, 4)), ("target", torch.tensor([0, 4, 1]))],
               error=(IOOBE, ["target", "4", "C = 4"]))
    yield Case(f"{L}_error_target_negative", L, {}, [("input", x(3, 4)), ("target", torch.tensor([0, -1, 1]))],
               error=(IOOBE, ["target", "-1", "C = 4"]))
    yield Case(f"{L}_error_target_is_ignore_of_other", L, {"ignore_index": 1}, [("input", x(3, 4)), ("target", torch.tensor([0, -100, 1]))],
               error=(IOOBE, ["target", "-100"]))
    yield Case(f"{L}_error_k2_target_out_of_range", L, {}, [("input", x(2, 3, 2, 2)), ("target", torch.full((2, 2, 2), 3))],
               error=(IOOBE, ["target", "3", "C = 3"]))
    yield Case(f"{L}_error_batch_mismatch", L, {}, [("input", x(3, 4)), ("target", torch.tensor([0, 1, 2, 3]))],
               error=(IAE, ["input batch_size (3)", "target batch_size (4)"]))
    yield Case(f"{L}_error_scalar_target_batched", L, {}, [("input", x(3, 4)), ("target", torch.tensor(1))],
               error=(IAE, ["batch_size (3)", "target"]))
    yield Case(f"{L}_error_multi_target", L, {}, [("input", x(3, 4)), ("target", torch.zeros(3, 1, dtype=I64))],
               error=(IAE, ["target size [3]", "[3, 1]"]))
    yield Case(f"{L}_error_k1_target_size", L, {}, [("input", x(2, 4, 5)), ("target", torch.zeros(2, dtype=I64))],
               error=(IAE, ["target size [2, 5]", "[2]"]))
    yield Case(f"{L}_error_k2_target_size", L, {}, [("input", x(2, 4, 5, 6)), ("target", torch.zeros(2, 5, 7, dtype=I64))],
               error=(IAE, ["target size [2, 5, 6]", "[2, 5, 7]"]))
    yield Case(f"{L}_error_1d_target_size", L, {}, [("input", x(5)), ("target", torch.tensor([1, 2]))],
               error=(IAE, ["1D target", "size: 2"]))
    yield Case(f"{L}_error_0d_input", L, {}, [("input", x()), ("target", torch.tensor(1))],
               error=(IAE, ["dimensions", "input"]))
    yield Case(f"{L}_error_float_target", L, {}, [("input", x(3, 4)), ("target", torch.tensor([0.0, 1.0, 2.0]))],
               error=(IAE, ["target", "int64", "float32"]))
    yield Case(f"{L}_error_weight_size", L, {"weight": torch.ones(3)}, [("input", x(3, 4)), ("target", torch.tensor([0, 1, 2]))],
               error=(IAE, ["weight", "4 classes", "[3]"]))
    yield Case(f"{L}_error_weight_2d", L, {"weight": torch.ones(2, 2)}, [("input", x(3, 4)), ("target", torch.tensor([0, 1, 2]))],
               error=(IAE, ["weight", "[2, 2]"]))
    yield Case(f"{L}_error_weight_dtype", L, {"weight": torch.ones(4, dtype=F64)}, [("input", x(3, 4)), ("target", torch.tensor([0, 1, 2]))],
               error=(IAE, ["weight", "float32", "float64"]))
    yield Case(f"{L}_error_batchmean", L, {"reduction": "batchmean"}, [("input", x(3, 4)), ("target", torch.tensor([0, 1, 2]))],
               error=(IAE, ["batchmean"]))
    yield Case(f"{L}_error_int_input", L, {}, [("input", torch.zeros(3, 4, dtype=I64)), ("target", torch.tensor([0, 1, 2]))],
               error=(IAE, ["input", "float"]))


# ---------------------------------------------------------------------------------------------------- CrossEntropyLoss

def ce_cases():
    L = "CrossEntropyLoss"
    for dt in (F32, F64):
        d = DTYPE_NAMES[dt]
        for form, (ishape, tshape) in FORMS.items():
            for red in REDUCTIONS:
                n = f"{L}_{form}_{red}_{d}"
                seed(n)
                yield Case(n, L, {"reduction": red}, [("input", randn(*ishape, dtype=dt)), ("target", class_target(ishape, tshape))])
        for form in ("batched", "k1"):
            ishape, tshape = FORMS[form]
            for red in REDUCTIONS:
                n = f"{L}_{form}_weight_{red}_{d}"
                seed(n)
                yield Case(n, L, {"reduction": red, "weight": weight_for(classes(ishape), dt)},
                           [("input", randn(*ishape, dtype=dt)), ("target", class_target(ishape, tshape))])
        for red in REDUCTIONS:
            n = f"{L}_ignore_default_{red}_{d}"
            seed(n)
            yield Case(n, L, {"reduction": red}, [("input", randn(6, 4, dtype=dt)), ("target", class_target((6, 4), (6,), -100))])
            n = f"{L}_ignore0_weight_{red}_{d}"
            seed(n)
            yield Case(n, L, {"reduction": red, "ignore_index": 0, "weight": weight_for(4, dt)},
                       [("input", randn(6, 4, dtype=dt)), ("target", class_target((6, 4), (6,)))])
            # label smoothing 0.1: plain; with weight and ignore_index; K-dim with weight and ignore_index
            n = f"{L}_smooth01_{red}_{d}"
            seed(n)
            yield Case(n, L, {"reduction": red, "label_smoothing": 0.1},
                       [("input", randn(6, 5, dtype=dt)), ("target", class_target((6, 5), (6,)))])
            n = f"{L}_smooth01_weight_ignore_{red}_{d}"
            seed(n)
            yield Case(n, L, {"reduction": red, "label_smoothing": 0.1, "weight": weight_for(5, dt)},
                       [("input", randn(6, 5, dtype=dt)), ("target", class_target((6, 5), (6,), -100))])
            n = f"{L}_k2_smooth01_weight_ignore3_{red}_{d}"
            seed(n)
            yield Case(n, L, {"reduction": red, "label_smoothing": 0.1, "weight": weight_for(4, dt), "ignore_index": 3},
                       [("input", randn(2, 4, 3, 2, dtype=dt)), ("target", class_target((2, 4, 3, 2), (2, 3, 2), 3))])
            # class probabilities: plain batched; K-dim with weight; batched with weight and smoothing
            n = f"{L}_prob_{red}_{d}"
            seed(n)
            yield Case(n, L, {"reduction": red},
                       [("input", randn(5, 4, dtype=dt)), ("target", torch.softmax(randn(5, 4), 1).to(dt))])
            n = f"{L}_prob_k1_weight_{red}_{d}"
            seed(n)
            yield Case(n, L, {"reduction": red, "weight": weight_for(4, dt)},
                       [("input", randn(3, 4, 5, dtype=dt)), ("target", torch.softmax(randn(3, 4, 5), 1).to(dt))])
            n = f"{L}_prob_weight_smooth02_{red}_{d}"
            seed(n)
            yield Case(n, L, {"reduction": red, "weight": weight_for(4, dt), "label_smoothing": 0.2},
                       [("input", randn(5, 4, dtype=dt)), ("target", torch.softmax(randn(5, 4), 1).to(dt))])
        # extreme logits +-100, targets both at +100 and -100 entries
        for smooth in (0.0, 0.1):
            n = f"{L}_logits100_smooth{int(smooth * 10)}_mean_{d}"
            seed(n)
            yield Case(n, L, {"label_smoothing": smooth}, [("input", signs(8, 5, dtype=dt) * 100), ("target", randint(5, 8))])
        n = f"{L}_empty_{'none' if dt == F32 else 'mean'}_{d}"
        seed(n)
        yield Case(n, L, {"reduction": "none" if dt == F32 else "mean"},
                   [("input", randn(0, 4, dtype=dt)), ("target", randint(4, 0))])
    # label smoothing 1.0 (only the uniform term), with weight and ignore_index
    for red in REDUCTIONS:
        n = f"{L}_smooth1_weight_ignore_{red}_f64"
        seed(n)
        yield Case(n, L, {"reduction": red, "label_smoothing": 1.0, "weight": weight_for(4, F64)},
                   [("input", randn(6, 4)), ("target", class_target((6, 4), (6,), -100))])
    n = f"{L}_smooth1_mean_f32"
    seed(n)
    yield Case(n, L, {"label_smoothing": 1.0}, [("input", randn(6, 4, dtype=F32)), ("target", randint(4, 6))])
    n = f"{L}_unbatched_smooth02_weight_mean_f64"
    seed(n)
    yield Case(n, L, {"label_smoothing": 0.2, "weight": weight_for(5, F64)}, [("input", randn(5)), ("target", torch.tensor(3))])
    n = f"{L}_unbatched_ignored_smooth02_none_f64"
    seed(n)
    yield Case(n, L, {"label_smoothing": 0.2, "reduction": "none"}, [("input", randn(5)), ("target", torch.tensor(-100))])
    n = f"{L}_unbatched_ignored_smooth02_mean_f64"
    seed(n)
    yield Case(n, L, {"label_smoothing": 0.2}, [("input", randn(5)), ("target", torch.tensor(-100))])
    # every target ignored: nan mean, 0 sum, zero gradients
    for red in REDUCTIONS:
        n = f"{L}_all_ignored_{red}_f64"
        seed(n)
        yield Case(n, L, {"reduction": red}, [("input", randn(4, 3)), ("target", torch.full((4,), -100))])
    n = f"{L}_all_ignored_weight_smooth01_mean_f32"
    seed(n)
    yield Case(n, L, {"weight": weight_for(3, F32), "label_smoothing": 0.1},
               [("input", randn(4, 3, dtype=F32)), ("target", torch.full((4,), -100))])
    n = f"{L}_zero_weight_targets_smooth02_mean_f64"
    seed(n)
    yield Case(n, L, {"weight": torch.tensor([0.0, 1.0, 1.0, 1.0], dtype=F64), "label_smoothing": 0.2},
               [("input", randn(3, 4)), ("target", torch.tensor([0, 0, -100]))])
    # class probabilities: unbatched, exact one-hot 0/1, extreme logits, empty
    for red in ("none", "mean"):
        n = f"{L}_prob_unbatched_{red}_f64"
        seed(n)
        yield Case(n, L, {"reduction": red}, [("input", randn(6)), ("target", torch.softmax(randn(6), 0))])
    n = f"{L}_prob_onehot_sum_f64"
    seed(n)
    yield Case(n, L, {"reduction": "sum"}, [("input", randn(5, 4)), ("target", torch.eye(4, dtype=F64)[randint(4, 5)])])
    n = f"{L}_prob_logits100_smooth01_mean_f32"
    seed(n)
    yield Case(n, L, {"label_smoothing": 0.1},
               [("input", signs(6, 4, dtype=F32) * 100), ("target", torch.eye(4, dtype=F32)[randint(4, 6)])])
    n = f"{L}_prob_soft_unnormalised_weight_none_f32"  # PyTorch does not check that probabilities sum to 1
    seed(n)
    yield Case(n, L, {"reduction": "none", "weight": weight_for(4, F32)},
               [("input", randn(5, 4, dtype=F32)), ("target", uniform(5, 4, dtype=F32))])
    for red in ("mean", "sum"):
        n = f"{L}_prob_empty_{red}_f64"
        seed(n)
        yield Case(n, L, {"reduction": red}, [("input", randn(0, 4)), ("target", randn(0, 4))])
    n = f"{L}_empty_sum_f32"
    seed(n)
    yield Case(n, L, {"reduction": "sum"}, [("input", randn(0, 4, dtype=F32)), ("target", randint(4, 0))])
    n = f"{L}_k1_empty_spatial_mean_f64"
    seed(n)
    yield Case(n, L, {}, [("input", randn(2, 3, 0)), ("target", randint(3, 2, 0))])
    for red, dt in (("mean", F32), ("none", F64)):
        n = f"{L}_int32_target_smooth01_{red}_{DTYPE_NAMES[dt]}"
        seed(n)
        yield Case(n, L, {"reduction": red, "label_smoothing": 0.1},
                   [("input", randn(3, 4, 5, dtype=dt)), ("target", class_target((3, 4, 5), (3, 5), -100).to(I32))], call=as_long)
    n = f"{L}_1d_input_1d_target_mean_f64"
    seed(n)
    yield Case(n, L, {}, [("input", randn(5)), ("target", torch.tensor([2]))], grads=False)  # torch's backward fails here
    # realistic: a language-model head over a 32000-word vocabulary (f32; keeps the .bin small)
    n = f"{L}_vocab32000_mean_f32"
    seed(n)
    yield Case(n, L, {}, [("input", randn(8, 32000, dtype=F32, scale=2.0)), ("target", randint(32000, 8))])
    n = f"{L}_vocab32000_smooth01_ignore_weight_mean_f32"
    seed(n)
    yield Case(n, L, {"label_smoothing": 0.1, "weight": weight_for(32000, F32)},
               [("input", randn(4, 32000, dtype=F32, scale=2.0)), ("target", torch.tensor([5, -100, 31999, 17]))])

    # errors
    x = lambda *s: randn(*s, dtype=F32)
    IAE, IOOBE = "IllegalArgumentException", "IndexOutOfBoundsException"
    t3 = torch.tensor([0, 1, 2])
    yield Case(f"{L}_error_target_out_of_range", L, {}, [("input", x(3, 4)), ("target", torch.tensor([0, 9, 1]))],
               error=(IOOBE, ["target", "9", "C = 4"]))
    yield Case(f"{L}_error_target_out_of_range_smooth", L, {"label_smoothing": 0.1}, [("input", x(3, 4)), ("target", torch.tensor([0, 4, 1]))],
               error=(IOOBE, ["target", "4", "C = 4"]))
    yield Case(f"{L}_error_target_negative", L, {}, [("input", x(3, 4)), ("target", torch.tensor([0, -2, 1]))],
               error=(IOOBE, ["target", "-2"]))
    yield Case(f"{L}_error_batch_mismatch", L, {}, [("input", x(3, 4)), ("target", torch.tensor([0, 1, 2, 3]))],
               error=(IAE, ["input batch_size (3)", "target batch_size (4)"]))
    yield Case(f"{L}_error_k1_target_size", L, {}, [("input", x(2, 4, 5)), ("target", torch.zeros(2, 4, dtype=I64))],
               error=(IAE, ["target size [2, 5]", "[2, 4]"]))
    yield Case(f"{L}_error_0d_input", L, {}, [("input", x()), ("target", torch.tensor(1.0))],
               error=(IAE, ["input", "0-dim"]))
    yield Case(f"{L}_error_smoothing_above_1", L, {"label_smoothing": 1.5}, [("input", x(3, 4)), ("target", t3)],
               error=(IAE, ["label_smoothing", "1.5"]))
    yield Case(f"{L}_error_smoothing_above_1_prob", L, {"label_smoothing": 1.5}, [("input", x(3, 4)), ("target", torch.rand(3, 4))],
               error=(IAE, ["label_smoothing", "1.5"]))
    yield Case(f"{L}_error_smoothing_negative", L, {"label_smoothing": -0.1}, [("input", x(3, 4)), ("target", t3)],
               error=(IAE, ["label_smoothing", "-0.1"], "PyTorch silently treats a negative label_smoothing as 0 for class indices"))
    yield Case(f"{L}_error_smoothing_nan", L, {"label_smoothing": float("nan")}, [("input", x(3, 4)), ("target", t3)],
               error=(IAE, ["label_smoothing", "nan"], "PyTorch silently treats a nan label_smoothing as 0 for class indices"))
    yield Case(f"{L}_error_prob_ignore_index", L, {"ignore_index": 0}, [("input", x(3, 4)), ("target", torch.rand(3, 4))],
               error=(IAE, ["ignore_index", "floating point target"]))
    yield Case(f"{L}_error_int_target_input_shape", L, {}, [("input", x(3, 4)), ("target", torch.zeros(3, 4, dtype=I64))],
               error=(IAE, ["floating point", "class probabilities", "int64"]))
    yield Case(f"{L}_error_float_target_index_shape", L, {}, [("input", x(3, 4)), ("target", torch.tensor([0.0, 1.0, 2.0]))],
               error=(IAE, ["target", "int64", "float32"]))
    yield Case(f"{L}_error_prob_target_dtype", L, {}, [("input", x(3, 4)), ("target", torch.rand(3, 4, dtype=F64))],
               error=(IAE, ["target", "float32", "float64"], "torch promotes float32 with float64; loss4j never converts silently"))
    yield Case(f"{L}_error_weight_size", L, {"weight": torch.ones(3)}, [("input", x(3, 4)), ("target", t3)],
               error=(IAE, ["weight", "4 classes", "[3]"]))
    yield Case(f"{L}_error_weight_size_prob", L, {"weight": torch.ones(3)}, [("input", x(3, 4)), ("target", torch.rand(3, 4))],
               error=(IAE, ["weight", "4 classes", "[3]"]))
    yield Case(f"{L}_error_weight_dtype", L, {"weight": torch.ones(4, dtype=F64)}, [("input", x(3, 4)), ("target", t3)],
               error=(IAE, ["weight", "float32", "float64"]))
    yield Case(f"{L}_error_batchmean", L, {"reduction": "batchmean"}, [("input", x(3, 4)), ("target", t3)],
               error=(IAE, ["batchmean"]))


# ---------------------------------------------------------------------------------------------------- MultiLabelSoftMargin

def msm_cases():
    L = "MultiLabelSoftMarginLoss"
    labels = lambda *s, dt: torch.randint(0, 2, s).to(dt)
    for dt in (F32, F64):
        d = DTYPE_NAMES[dt]
        for red in REDUCTIONS:
            n = f"{L}_batched_{red}_{d}"
            seed(n)
            yield Case(n, L, {"reduction": red}, [("input", randn(5, 4, dtype=dt)), ("target", labels(5, 4, dt=dt))])
            n = f"{L}_batched_weight_{red}_{d}"
            seed(n)
            yield Case(n, L, {"reduction": red, "weight": weight_for(4, dt)},
                       [("input", randn(5, 4, dtype=dt)), ("target", labels(5, 4, dt=dt))])
            n = f"{L}_unbatched_{red}_{d}"
            seed(n)
            yield Case(n, L, {"reduction": red}, [("input", randn(6, dtype=dt)), ("target", labels(6, dt=dt))])
        n = f"{L}_soft_targets_mean_{d}"
        seed(n)
        yield Case(n, L, {}, [("input", randn(4, 6, dtype=dt, scale=3)), ("target", uniform(4, 6, dtype=dt))])
        for red in ("none", "sum"):
            n = f"{L}_logits100_{red}_{d}"
            seed(n)
            yield Case(n, L, {"reduction": red}, [("input", signs(6, 4, dtype=dt) * 100), ("target", labels(6, 4, dt=dt))])
    for red in ("none", "mean"):
        n = f"{L}_3d_weight_{red}_f64"  # PyTorch reduces over the last dimension of any input
        seed(n)
        yield Case(n, L, {"reduction": red, "weight": weight_for(4, F64)}, [("input", randn(2, 3, 4)), ("target", labels(2, 3, 4, dt=F64))])
    for red in REDUCTIONS:
        n = f"{L}_empty_{red}_f64"
        seed(n)
        yield Case(n, L, {"reduction": red}, [("input", randn(0, 4)), ("target", labels(0, 4, dt=F64))])
    n = f"{L}_large_weight_mean_f32"
    seed(n)
    yield Case(n, L, {"weight": weight_for(100, F32)}, [("input", randn(64, 100, dtype=F32, scale=4)), ("target", labels(64, 100, dt=F32))])

    # errors
    IAE = "IllegalArgumentException"
    x = lambda *s: randn(*s, dtype=F32)
    yield Case(f"{L}_error_weight_size", L, {"weight": torch.ones(3)}, [("input", x(2, 4)), ("target", torch.rand(2, 4))],
               error=(IAE, ["weight", "C = 4", "[3]"]))
    yield Case(f"{L}_error_target_shape", L, {}, [("input", x(2, 4)), ("target", torch.rand(2, 3))],
               error=(IAE, ["input", "target", "[2, 4]", "[2, 3]"]))
    yield Case(f"{L}_error_target_broadcast", L, {}, [("input", x(3, 4)), ("target", torch.rand(4))],
               error=(IAE, ["target", "[3, 4]", "[4]"], "PyTorch broadcasts a smaller target silently; loss4j needs the input's shape"))
    yield Case(f"{L}_error_int_target", L, {}, [("input", x(3, 4)), ("target", torch.randint(0, 2, (3, 4)))],
               error=(IAE, ["target", "int64"], "torch promotes integer labels; loss4j never converts silently"))
    yield Case(f"{L}_error_target_dtype", L, {}, [("input", x(3, 4)), ("target", torch.rand(3, 4, dtype=F64))],
               error=(IAE, ["target", "float32", "float64"], "torch promotes float32 with float64; loss4j never converts silently"))
    yield Case(f"{L}_error_0d_input", L, {}, [("input", x()), ("target", torch.rand(()))],
               error=(IAE, ["input", "0-dim"]))
    yield Case(f"{L}_error_batchmean", L, {"reduction": "batchmean"}, [("input", x(3, 4)), ("target", torch.rand(3, 4))],
               error=(IAE, ["batchmean"]))


def cases():
    yield from nll_cases()
    yield from ce_cases()
    yield from msm_cases()
