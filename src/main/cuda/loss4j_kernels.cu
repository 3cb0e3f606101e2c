// loss4j's CUDA kernels: the element-wise loss terms cuDNN lacks, fused with their gradients and a deterministic
// reduction. Built at build time by src/main/cuda/build.sh (nvcc) into a fatbin resource
// (org/loss4j/cuda/loss4j_kernels.fatbin) that org.loss4j.internal.cuda.CudaKernels loads with cudaLibraryLoadData
// and launches with cudaLaunchKernel. Every entry point is extern "C" (its PTX .entry name is its C name) and takes
// only 8-byte arguments (long long, double, pointers), which is what the Java launcher passes.
//
// Numerics mirror the Java backend (org.loss4j.internal.java.JavaPointwiseOps and each loss's PointwiseFn):
// terms and gradients are computed in double; for float32 tensors the value, and the side of every kink, is decided
// in float arithmetic as PyTorch's float32 kernels do (PointwiseFn.valueF32 / gradF32). Sums are accumulated in
// double: each block reduces its grid-stride share in shared memory in a fixed order and writes one partial; one
// block then adds the partials in a fixed order (loss4j_sum_partials). With the grid size fixed by n (the launcher
// does so), results are bitwise reproducible run to run.

#include <cstdint>

#define LOSS4J_BLOCK 256

// ---- the terms ----------------------------------------------------------------------------------------------------
// Each term: value(a, b, c, p) and grad(a, b, c, p, g, &ga, &gb, &gc) in double, and F32 variants.

struct SquaredError {
    static __device__ double value(double a, double b, double, double) { double d = a - b; return d * d; }
    static __device__ double valueF(double a, double b, double, double) {
        float d = (float) a - (float) b; return (double) (d * d);
    }
    static __device__ void grad(double a, double b, double, double, double g, double& ga, double& gb, double&) {
        double t = 2 * (a - b) * g; ga = t; gb = -t;
    }
    static __device__ void gradF(double a, double b, double c, double p, double g, double& ga, double& gb, double& gc) {
        grad(a, b, c, p, g, ga, gb, gc);
    }
};

struct AbsoluteError {
    static __device__ double value(double a, double b, double, double) { return fabs(a - b); }
    static __device__ double valueF(double a, double b, double, double) { return (double) fabsf((float) a - (float) b); }
    static __device__ void grad(double a, double b, double, double, double g, double& ga, double& gb, double&) {
        double d = a - b;
        double t = (d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0) * g;  // PyTorch's sgn: 0 at a == b and for nan
        ga = t; gb = -t;
    }
    static __device__ void gradF(double a, double b, double c, double p, double g, double& ga, double& gb, double& gc) {
        grad(a, b, c, p, g, ga, gb, gc);
    }
};

struct SmoothL1 {  // p = beta > 0 (beta == 0 is served as AbsoluteError by the Java side)
    static __device__ double value(double a, double b, double, double beta) {
        double z = fabs(a - b); return z < beta ? 0.5 * z * z / beta : z - 0.5 * beta;
    }
    static __device__ double valueF(double a, double b, double, double beta) {
        float bf = (float) beta; float z = fabsf((float) a - (float) b);
        return (double) (z < bf ? 0.5f * z * z / bf : z - 0.5f * bf);
    }
    static __device__ void grad(double a, double b, double, double beta, double g, double& ga, double& gb, double&) {
        double x = a - b; double t = x <= -beta ? -g : x >= beta ? g : x * g / beta; ga = t; gb = -t;
    }
    static __device__ void gradF(double a, double b, double, double beta, double g, double& ga, double& gb, double&) {
        float bf = (float) beta; float x = (float) a - (float) b;
        double t = x <= -bf ? -g : x >= bf ? g : (double) x * g / (double) bf; ga = t; gb = -t;
    }
};

struct Huber {  // p = delta
    static __device__ double value(double a, double b, double, double delta) {
        double z = fabs(a - b); return z < delta ? 0.5 * z * z : delta * (z - 0.5 * delta);
    }
    static __device__ double valueF(double a, double b, double, double delta) {
        float df = (float) delta; float z = fabsf((float) a - (float) b);
        return (double) (z < df ? 0.5f * z * z : df * (z - 0.5f * df));
    }
    static __device__ void grad(double a, double b, double, double delta, double g, double& ga, double& gb, double&) {
        double x = a - b; double t = x <= -delta ? -delta * g : x >= delta ? delta * g : x * g; ga = t; gb = -t;
    }
    static __device__ void gradF(double a, double b, double, double delta, double g, double& ga, double& gb, double&) {
        float df = (float) delta; float x = (float) a - (float) b;
        double t = x <= -df ? -(double) df * g : x >= df ? (double) df * g : (double) x * g; ga = t; gb = -t;
    }
};

struct RankingHinge {  // max(0, -c (a - b) + margin), p = margin
    static __device__ double value(double a, double b, double c, double m) { return fmax(0.0, -c * (a - b) + m); }
    static __device__ double valueF(double a, double b, double c, double m) {
        float d = (float) a - (float) b; return (double) fmaxf(0.0f, -(float) c * d + (float) m);
    }
    static __device__ void write(double gm, double c, double d, double& ga, double& gb, double& gc) {
        double gd = gm * -c; ga = gd; gb = -gd; gc = -(gm * d);
    }
    static __device__ void grad(double a, double b, double c, double m, double g, double& ga, double& gb, double& gc) {
        double d = a - b; double gm = -c * d + m >= 0 ? g : 0.0; write(gm, c, d, ga, gb, gc);
    }
    static __device__ void gradF(double a, double b, double c, double m, double g, double& ga, double& gb, double& gc) {
        float d = (float) a - (float) b; double gm = -(float) c * d + (float) m >= 0 ? g : 0.0;
        write(gm, c, (double) d, ga, gb, gc);
    }
};

struct EmbeddingHinge {  // (b != 1 ? max(0, margin - a) : 0) + (b != -1 ? a : 0), p = margin
    static __device__ double value(double a, double b, double, double m) {
        return (b != 1 ? fmax(0.0, m - a) : 0.0) + (b != -1 ? a : 0.0);
    }
    static __device__ double valueF(double a, double b, double, double m) {
        float hinge = b != 1 ? fmaxf(0.0f, (float) m - (float) a) : 0.0f; float self = b != -1 ? (float) a : 0.0f;
        return (double) (hinge + self);
    }
    static __device__ void grad(double a, double b, double, double m, double g, double& ga, double&, double&) {
        ga = (b != 1 && m - a >= 0 ? -g : 0.0) + (b != -1 ? g : 0.0);
    }
    static __device__ void gradF(double a, double b, double, double m, double g, double& ga, double&, double&) {
        ga = (b != 1 && (float) m - (float) a >= 0 ? -g : 0.0) + (b != -1 ? g : 0.0);
    }
};

__device__ inline double log_sigmoid(double x) { return fmin(x, 0.0) - log1p(exp(-fabs(x))); }
__device__ inline double sigmoid(double x) {
    if (x >= 0) return 1 / (1 + exp(-x));
    double e = exp(x); return e / (1 + e);
}

struct LogitsBce {  // (1 - b) a - log(sigmoid(a)), no weight or pos_weight
    static __device__ double value(double x, double y, double, double) { return (1 - y) * x - log_sigmoid(x); }
    static __device__ double valueF(double a, double b, double, double) {
        float x = (float) a, y = (float) b;
        float ls = fminf(x, 0.0f) - (float) log1p((double) (float) exp(-(double) fabsf(x)));
        return (double) ((1.0f - y) * x - ls);
    }
    static __device__ void grad(double x, double y, double, double, double g, double& ga, double& gb, double&) {
        ga = (sigmoid(x) - y) * g; gb = -x * g;
    }
    static __device__ void gradF(double a, double b, double c, double p, double g, double& ga, double& gb, double& gc) {
        grad(a, b, c, p, g, ga, gb, gc);
    }
};

struct KlDiv {  // xlogy(b, b) - b a (log_target false)
    static __device__ double value(double a, double b, double, double) { return (b == 0 ? 0.0 : b * log(b)) - b * a; }
    static __device__ double valueF(double a, double b, double, double) {
        float x = (float) a, y = (float) b; float xl = y == 0 ? 0.0f : y * (float) log((double) y);
        return (double) (xl - y * x);
    }
    static __device__ void grad(double a, double b, double, double, double g, double& ga, double& gb, double&) {
        ga = -b * g;
        double logB = b == 0 ? 0.0 : log(b);
        gb = g * logB + g * b / b - g * a;  // nan at b == 0, as the Java backend and PyTorch
    }
    static __device__ void gradF(double a, double b, double c, double p, double g, double& ga, double& gb, double& gc) {
        grad(a, b, c, p, g, ga, gb, gc);
    }
};

// ---- the fused kernel -------------------------------------------------------------------------------------------

template <typename T> struct IsF32 { static const bool value = false; };
template <> struct IsF32<float> { static const bool value = true; };

// Sums v over the block in a fixed order; thread 0 gets the block's total.
__device__ double block_sum(double v) {
    __shared__ double s[LOSS4J_BLOCK];
    s[threadIdx.x] = v;
    __syncthreads();
    for (unsigned int w = LOSS4J_BLOCK / 2; w > 0; w >>= 1) {
        if (threadIdx.x < w) s[threadIdx.x] += s[threadIdx.x + w];
        __syncthreads();
    }
    return s[0];
}

// n elements of same-shape contiguous operands a, b, c (null where the term has fewer). Writes the per-element terms
// to out (if not null), the gradients to ga/gb/gc (each if not null; upstream gradient gradOut[i] if gradOut is not
// null, else gradScale), and this block's sum of the terms (as stored: rounded to T) to partials[blockIdx.x] (if not
// null). Launched with LOSS4J_BLOCK threads per block.
template <typename Term, typename T>
__device__ void pointwise(long long n, const T* a, const T* b, const T* c, double p, T* out, const T* gradOut,
                          double gradScale, T* ga, T* gb, T* gc, double* partials) {
    const bool wantGrad = ga != nullptr || gb != nullptr || gc != nullptr;
    double acc = 0;
    long long stride = (long long) gridDim.x * blockDim.x;
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        double x = (double) a[i];
        double y = b != nullptr ? (double) b[i] : 0.0;
        double z = c != nullptr ? (double) c[i] : 0.0;
        T v = (T) (IsF32<T>::value ? Term::valueF(x, y, z, p) : Term::value(x, y, z, p));
        acc += (double) v;
        if (out != nullptr) out[i] = v;
        if (wantGrad) {
            double g = gradOut != nullptr ? (double) gradOut[i] : gradScale;
            double d0 = 0, d1 = 0, d2 = 0;
            if (IsF32<T>::value) Term::gradF(x, y, z, p, g, d0, d1, d2);
            else Term::grad(x, y, z, p, g, d0, d1, d2);
            if (ga != nullptr) ga[i] = (T) d0;
            if (gb != nullptr) gb[i] = (T) d1;
            if (gc != nullptr) gc[i] = (T) d2;
        }
    }
    if (partials != nullptr) {
        double total = block_sum(acc);
        if (threadIdx.x == 0) partials[blockIdx.x] = total;
    }
}

#define LOSS4J_POINTWISE(NAME, TERM, T, SUFFIX)                                                                      \
    extern "C" __global__ void __launch_bounds__(LOSS4J_BLOCK) loss4j_pw_##NAME##_##SUFFIX(                          \
            long long n, const T* a, const T* b, const T* c, double p, T* out, const T* gradOut, double gradScale,     \
            T* ga, T* gb, T* gc, double* partials) {                                                                   \
        pointwise<TERM, T>(n, a, b, c, p, out, gradOut, gradScale, ga, gb, gc, partials);                            \
    }
#define LOSS4J_POINTWISE_BOTH(NAME, TERM) LOSS4J_POINTWISE(NAME, TERM, float, f32) LOSS4J_POINTWISE(NAME, TERM, double, f64)

LOSS4J_POINTWISE_BOTH(squared_error, SquaredError)
LOSS4J_POINTWISE_BOTH(absolute_error, AbsoluteError)
LOSS4J_POINTWISE_BOTH(smooth_l1, SmoothL1)
LOSS4J_POINTWISE_BOTH(huber, Huber)
LOSS4J_POINTWISE_BOTH(ranking_hinge, RankingHinge)
LOSS4J_POINTWISE_BOTH(embedding_hinge, EmbeddingHinge)
LOSS4J_POINTWISE_BOTH(logits_bce, LogitsBce)
LOSS4J_POINTWISE_BOTH(kl_div, KlDiv)

// Adds count partial sums in a fixed order into result[0]. Launched as one block of LOSS4J_BLOCK threads.
extern "C" __global__ void __launch_bounds__(LOSS4J_BLOCK) loss4j_sum_partials(long long count, const double* partials,
                                                                               double* result) {
    double acc = 0;
    for (long long i = threadIdx.x; i < count; i += LOSS4J_BLOCK) acc += partials[i];
    double total = block_sum(acc);
    if (threadIdx.x == 0) result[0] = total;
}
