"""bfloat16 arguments for every loss that takes them: torch computes the reference in bfloat16 on the CPU.

loss4j widens bfloat16 to float32, computes in float32 and rounds the loss and gradients to bfloat16 once; torch
rounds some intermediates of its composite losses to bfloat16 too, so these cases use Tolerance.BF16.
"""
import torch
from _util import Case, randn, uniform, randint, signs

BF = torch.bfloat16
REDS = ("none", "mean", "sum")


def b(t):
    return t.to(BF)


def cases():
    import generate

    def case(loss, variant, options, make, red=True, **kw):
        for r in (REDS if red else (None,)):
            opts = dict(options)
            if r is not None:
                opts["reduction"] = r
            name = f"{loss}_bf16_{variant}" + (f"_{r}" if r else "")
            generate.seed_for(name)
            yield Case(name, loss, opts, make(), **kw)

    yield from case("MSELoss", "2d", {}, lambda: [("input", b(randn(4, 5))), ("target", b(randn(4, 5)))])
    yield from case("MSELoss", "large", {}, lambda: [("input", b(randn(4096))), ("target", b(randn(4096)))], red=False)
    yield from case("L1Loss", "2d", {}, lambda: [("input", b(randn(4, 5))), ("target", b(randn(4, 5)))])
    yield from case("SmoothL1Loss", "2d", {"beta": 0.5}, lambda: [("input", b(randn(4, 5))), ("target", b(randn(4, 5)))])
    yield from case("HuberLoss", "2d", {"delta": 0.75}, lambda: [("input", b(randn(4, 5))), ("target", b(randn(4, 5)))])
    yield from case("BCEWithLogitsLoss", "2d", {}, lambda: [("input", b(randn(4, 5, scale=3))), ("target", b(uniform(4, 5)))])
    yield from case("BCELoss", "2d", {}, lambda: [("input", b(uniform(4, 5, lo=0.02, hi=0.98))), ("target", b(uniform(4, 5)))])
    yield from case("KLDivLoss", "2d", {}, lambda: [("input", b(torch.log_softmax(randn(4, 5), 1))),
                                                     ("target", b(torch.softmax(randn(4, 5), 1)))])
    yield from case("CrossEntropyLoss", "index", {}, lambda: [("input", b(randn(6, 7))), ("target", randint(7, 6))])
    yield from case("CrossEntropyLoss", "probs", {"label_smoothing": 0.1},
                    lambda: [("input", b(randn(6, 7))), ("target", b(torch.softmax(randn(6, 7), 1)))])
    yield from case("NLLLoss", "2d", {}, lambda: [("input", b(torch.log_softmax(randn(6, 7), 1))), ("target", randint(7, 6))])
    yield from case("PoissonNLLLoss", "log", {}, lambda: [("input", b(randn(4, 5))), ("target", b(uniform(4, 5, hi=3)))])
    yield from case("GaussianNLLLoss", "2d", {}, lambda: [("input", b(randn(4, 5))), ("target", b(randn(4, 5))),
                                                           ("var", b(uniform(4, 5, lo=0.5, hi=2)))])
    yield from case("SoftMarginLoss", "2d", {}, lambda: [("input", b(randn(4, 5))), ("target", b(signs(4, 5)))])
    yield from case("MultiLabelSoftMarginLoss", "2d", {}, lambda: [("input", b(randn(4, 5))),
                                                                    ("target", b(randint(2, 4, 5).double()))])
    yield from case("HingeEmbeddingLoss", "2d", {}, lambda: [("input", b(randn(4, 5))), ("target", b(signs(4, 5)))])
    yield from case("MarginRankingLoss", "1d", {"margin": 0.2}, lambda: [("input1", b(randn(8))), ("input2", b(randn(8))),
                                                                        ("target", b(signs(8)))])
    yield from case("CosineEmbeddingLoss", "2d", {"margin": 0.1}, lambda: [("input1", b(randn(4, 6))), ("input2", b(randn(4, 6))),
                                                                          ("target", b(signs(4)))])
    yield from case("TripletMarginLoss", "2d", {}, lambda: [("anchor", b(randn(4, 6))), ("positive", b(randn(4, 6))),
                                                             ("negative", b(randn(4, 6)))])
    # torch has no bfloat16 CPU kernel for these: loss4j refuses them too
    generate.seed_for("MultiMarginLoss_bf16_error")
    yield Case("MultiMarginLoss_bf16_error", "MultiMarginLoss", {}, [("input", b(randn(5, 4))), ("target", randint(4, 5))],
               error=("IllegalArgumentException", ["bfloat16"]))
    generate.seed_for("MultiLabelMarginLoss_bf16_error")
    yield Case("MultiLabelMarginLoss_bf16_error", "MultiLabelMarginLoss", {},
               [("input", b(randn(3, 4))), ("target", torch.tensor([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 0, 0]]))],
               error=("IllegalArgumentException", ["bfloat16"]))
    generate.seed_for("CTCLoss_bf16_error")
    yield Case("CTCLoss_bf16_error", "CTCLoss", {},
               [("log_probs", b(torch.log_softmax(randn(5, 2, 4), 2))), ("targets", torch.tensor([[1, 2], [1, 3]])),
                ("input_lengths", torch.tensor([5, 5])), ("target_lengths", torch.tensor([2, 2]))],
               error=("IllegalArgumentException", ["bfloat16"]))
    # loss4j is stricter than torch: no promotion of bfloat16 with float32, and no weight tensors with bfloat16 yet
    generate.seed_for("MSELoss_bf16_error_mixed")
    yield Case("MSELoss_bf16_error_mixed", "MSELoss", {}, [("input", b(randn(3))), ("target", randn(3, dtype=torch.float32))],
               error=("IllegalArgumentException", ["target", "float32", "bfloat16"],
                      "torch promotes bfloat16 with float32; loss4j never converts silently"))
    generate.seed_for("CrossEntropyLoss_bf16_error_weight")
    yield Case("CrossEntropyLoss_bf16_error_weight", "CrossEntropyLoss", {"weight": b(uniform(7, lo=0.5, hi=2))},
               [("input", b(randn(6, 7))), ("target", randint(7, 6))],
               error=("IllegalArgumentException", ["weight", "bfloat16"],
                      "loss4j does not take weight tensors with bfloat16 arguments yet"))
