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

// ---- class-index targets (NLLLoss, CrossEntropyLoss): the gather and the scatter around cuDNN's log-softmax ----------
// logp is viewed as [outer, n, inner]; a position p = o * inner + i; target[p] is a class in [0, n) or ignoreIndex
// (validated on the host before any launch). weight is null or n values of T. Mirrors
// JavaSoftmaxOps.classTargetForward / classTargetBackward.

// positions = outer * inner. Writes loss_p to lossOut (if not null) and, per block, the sums of nll_p, smooth_p and
// w_t over non-ignored positions to partials[blockIdx.x], partials[MAX + blockIdx.x], partials[2 MAX + blockIdx.x]
// (MAX = maxBlocks, the partial buffer's stride).
template <typename T, typename I>
__device__ void class_forward(long long positions, long long n, long long inner, const T* logp, const I* target,
                              const T* weight, long long ignoreIndex, double eps, T* lossOut, double* partials,
                              long long maxBlocks) {
    double nllSum = 0, smoothSum = 0, weightSum = 0;
    long long stride = (long long) gridDim.x * blockDim.x;
    for (long long p = (long long) blockIdx.x * blockDim.x + threadIdx.x; p < positions; p += stride) {
        long long t = (long long) target[p];
        if (t == ignoreIndex) {
            if (lossOut != nullptr) lossOut[p] = (T) 0;
            continue;
        }
        long long o = p / inner, i = p - o * inner;
        long long base = o * n * inner + i;
        double wt = weight == nullptr ? 1.0 : (double) weight[t];
        double nll = -wt * (double) logp[base + t * inner];
        if (IsF32<T>::value) nll = (double) (float) nll;  // PyTorch's float product
        nllSum += nll;
        weightSum += wt;
        double v = nll;
        if (eps > 0) {
            double s = 0;
            for (long long c = 0; c < n; c++) {
                double wc = weight == nullptr ? 1.0 : (double) weight[c];
                s -= wc * (double) logp[base + c * inner];
            }
            smoothSum += s;
            v = (1 - eps) * nll + eps / (double) n * s;
        }
        if (lossOut != nullptr) lossOut[p] = (T) v;
    }
    double a = block_sum(nllSum);
    if (threadIdx.x == 0) partials[blockIdx.x] = a;
    __syncthreads();
    double b = block_sum(smoothSum);
    if (threadIdx.x == 0) partials[maxBlocks + blockIdx.x] = b;
    __syncthreads();
    double c = block_sum(weightSum);
    if (threadIdx.x == 0) partials[2 * maxBlocks + blockIdx.x] = c;
}

// total = outer * n * inner elements of gradLogp, every one written:
// -s_p * (eps / n * w_c + (c == t ? (1 - eps) * w_t : 0)) with s_p = gradScale * (gradOut ? gradOut[p] : 1); 0 for
// every class of an ignored position; without smoothing only the target class is non-zero (w_t * -s_p).
template <typename T, typename I>
__device__ void class_backward(long long total, long long n, long long inner, const I* target, const T* weight,
                               long long ignoreIndex, double eps, const T* gradOut, double gradScale, T* gradLogp) {
    long long stride = (long long) gridDim.x * blockDim.x;
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        long long i = e % inner;
        long long oc = e / inner;
        long long c = oc % n;
        long long o = oc / n;
        long long p = o * inner + i;
        long long t = (long long) target[p];
        if (t == ignoreIndex) {
            gradLogp[e] = (T) 0;
            continue;
        }
        double s = gradOut == nullptr ? gradScale : gradScale * (double) gradOut[p];
        double wt = weight == nullptr ? 1.0 : (double) weight[t];
        double g;
        if (eps > 0) {
            double wc = weight == nullptr ? 1.0 : (double) weight[c];
            g = -s * (eps / (double) n) * wc;
            if (c == t) g += -s * (1 - eps) * wt;
        } else {
            g = c == t ? wt * -s : 0.0;
        }
        gradLogp[e] = (T) g;
    }
}

#define LOSS4J_CLASS(T, I, SUFFIX)                                                                                     \
    extern "C" __global__ void __launch_bounds__(LOSS4J_BLOCK) loss4j_class_forward_##SUFFIX(                          \
            long long positions, long long n, long long inner, const T* logp, const I* target, const T* weight,        \
            long long ignoreIndex, double eps, T* lossOut, double* partials, long long maxBlocks) {                     \
        class_forward<T, I>(positions, n, inner, logp, target, weight, ignoreIndex, eps, lossOut, partials, maxBlocks); \
    }                                                                                                                  \
    extern "C" __global__ void __launch_bounds__(LOSS4J_BLOCK) loss4j_class_backward_##SUFFIX(                         \
            long long total, long long n, long long inner, const I* target, const T* weight, long long ignoreIndex,    \
            double eps, const T* gradOut, double gradScale, T* gradLogp) {                                             \
        class_backward<T, I>(total, n, inner, target, weight, ignoreIndex, eps, gradOut, gradScale, gradLogp);       \
    }

LOSS4J_CLASS(float, long long, f32_i64)
LOSS4J_CLASS(float, int, f32_i32)
LOSS4J_CLASS(double, long long, f64_i64)
LOSS4J_CLASS(double, int, f64_i32)

// ---- CTC around cuDNN (float32 only) ---------------------------------------------------------------------------------

// Rows of log_probs (T, N, C) that are not log-normalised: counts, per block, the rows (t, b) with t < inputLengths[b]
// whose |logsumexp_c lp[t, b, c]| exceeds tol, into partials[blockIdx.x]. cuDNN's CTC renormalises its input with a
// softmax; where a row is not already normalised that differs from PyTorch's (and loss4j's) CTC, so the Java side
// then falls back to the host.
extern "C" __global__ void __launch_bounds__(LOSS4J_BLOCK) loss4j_ctc_unnormalised_rows_f32(
        long long rows, long long batch, long long classes, const float* lp, const int* inputLengths, double tol,
        double* partials) {
    double count = 0;
    long long stride = (long long) gridDim.x * blockDim.x;
    for (long long r = (long long) blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += stride) {
        long long t = r / batch, b = r - t * batch;
        if (t >= (long long) inputLengths[b]) continue;
        const float* row = lp + r * classes;
        double m = -INFINITY;
        for (long long c = 0; c < classes; c++) m = fmax(m, (double) row[c]);
        double s = 0;
        for (long long c = 0; c < classes; c++) s += exp((double) row[c] - m);
        double lse = m + log(s);
        if (!(fabs(lse) <= tol)) count += 1;  // nan counts too
    }
    double total = block_sum(count);
    if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

// grad (T, N, C) float32: grad[t, b, c] *= scale[b] (double), the upstream gradient cuDNN does not apply.
extern "C" __global__ void __launch_bounds__(LOSS4J_BLOCK) loss4j_ctc_scale_grad_f32(
        long long total, long long batch, long long classes, float* grad, const double* scale) {
    long long stride = (long long) gridDim.x * blockDim.x;
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        long long b = (e / classes) % batch;
        grad[e] = (float) ((double) grad[e] * scale[b]);
    }
}

// ---- rows for the linear group (AdaptiveLogSoftmaxWithLoss) ----------------------------------------------------------
// out[i, :] = src[rows[i], :] (gather) and dst[rows[i], :] += src[i, :] (scatter-add; rows distinct), r x cols.
template <typename T>
__device__ void gather_rows(long long r, long long cols, const T* src, const long long* rows, T* out) {
    long long stride = (long long) gridDim.x * blockDim.x;
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < r * cols; e += stride) {
        long long i = e / cols, k = e - i * cols;
        out[e] = src[rows[i] * cols + k];
    }
}
template <typename T>
__device__ void scatter_add_rows(long long r, long long cols, const T* src, const long long* rows, T* dst) {
    long long stride = (long long) gridDim.x * blockDim.x;
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < r * cols; e += stride) {
        long long i = e / cols, k = e - i * cols;
        T* d = dst + rows[i] * cols + k;
        *d = *d + src[e];
    }
}
#define LOSS4J_ROWS(T, SUFFIX)                                                                                         \
    extern "C" __global__ void __launch_bounds__(LOSS4J_BLOCK) loss4j_gather_rows_##SUFFIX(                            \
            long long r, long long cols, const T* src, const long long* rows, T* out) {                                \
        gather_rows<T>(r, cols, src, rows, out);                                                                       \
    }                                                                                                                  \
    extern "C" __global__ void __launch_bounds__(LOSS4J_BLOCK) loss4j_scatter_add_rows_##SUFFIX(                       \
            long long r, long long cols, const T* src, const long long* rows, T* dst) {                                \
        scatter_add_rows<T>(r, cols, src, rows, dst);                                                                  \
    }
LOSS4J_ROWS(float, f32)
LOSS4J_ROWS(double, f64)

// out (m, n) row-major += bias[j] per column j (after the cuBLAS product of F.linear).
template <typename T>
__device__ void add_bias(long long m, long long n, const T* bias, T* out) {
    long long stride = (long long) gridDim.x * blockDim.x;
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < m * n; e += stride) {
        out[e] = out[e] + bias[e % n];
    }
}
extern "C" __global__ void __launch_bounds__(LOSS4J_BLOCK) loss4j_add_bias_f32(long long m, long long n, const float* bias, float* out) {
    add_bias<float>(m, n, bias, out);
}
extern "C" __global__ void __launch_bounds__(LOSS4J_BLOCK) loss4j_add_bias_f64(long long m, long long n, const double* bias, double* out) {
    add_bias<double>(m, n, bias, out);
}
