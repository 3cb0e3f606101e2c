"""MSELoss: the worked example of a case module (shapes, reductions, dtypes, broadcasting, edges, errors)."""
import torch
from _util import Case, F32, F64, DTYPE_NAMES, REDUCTIONS, randn, uniform

SHAPES = {"1d": (7,), "2d": (4, 5), "4d": (2, 3, 4, 5), "scalar": (), "empty": (0, 3)}


def cases():
    import generate
    for dt in (F32, F64):
        d = DTYPE_NAMES[dt]
        for sname, shape in SHAPES.items():
            for red in REDUCTIONS:
                name = f"MSELoss_{sname}_{red}_{d}"
                generate.seed_for(name)
                yield Case(name, "MSELoss", {"reduction": red},
                           [("input", randn(*shape, dtype=dt)), ("target", randn(*shape, dtype=dt))])
        for red in REDUCTIONS:
            name = f"MSELoss_broadcast_{red}_{d}"
            generate.seed_for(name)
            yield Case(name, "MSELoss", {"reduction": red},
                       [("input", randn(3, 4, dtype=dt)), ("target", randn(4, dtype=dt))])
        name = f"MSELoss_large_values_{d}"
        generate.seed_for(name)
        yield Case(name, "MSELoss", {}, [("input", randn(16, dtype=dt, scale=1e3)), ("target", randn(16, dtype=dt))])
    yield Case("MSELoss_error_shape", "MSELoss", {}, [("input", randn(3, 4)), ("target", randn(3, 5))],
               error=("IllegalArgumentException", ["input", "target"]))
    yield Case("MSELoss_error_dtype", "MSELoss", {}, [("input", randn(3, dtype=F32)), ("target", randn(3, dtype=F64))],
               error=("IllegalArgumentException", ["target", "float"],
                      "torch promotes float32 with float64; loss4j never converts silently"))
