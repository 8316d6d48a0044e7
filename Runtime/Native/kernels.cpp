// The runtime's fused CPU kernels (CpuKernels in C#), compiled at build time with OpenMP twice: for x86-64-v3 (AVX2,
// FMA) and for x86-64-v4 with 512-bit vectors (AVX-512), which the runtime loads where the processor has it.
//
// Why native: libtorch runs its operations on an OpenMP thread pool whose workers spin between operations, so a
// kernel written in C# runs on one core while the other spins idle; a second .NET thread only competes with the
// spinner. Compiled against OpenMP, these kernels run on that same pool (libtorch's libgomp, which the loader
// supplies for this library's libgomp.so.1 since libtorch is loaded first) and use both cores.
//
// Reproducibility: loops are split statically over the threads, and sums are kept in double precision per block of
// 4096 values (NoiseChunk) and added in block order, so no result depends on timing or on the thread count.
#include <cmath>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <vector>
#include <immintrin.h>
#include <omp.h>

namespace {

constexpr unsigned FlushToZero = 1u << 15, DenormalsAreZero = 1u << 6;

// Sets flush-to-zero and denormals-are-zero on the calling thread for its lifetime when asked (see SubnormalFlush in
// C#): each OpenMP thread has its own MXCSR, so every thread of a parallel region sets its own.
struct SubnormalScope {
    unsigned saved;
    bool active;
    explicit SubnormalScope(bool flush) : saved(_mm_getcsr()), active(flush) {
        if (active) _mm_setcsr(saved | FlushToZero | DenormalsAreZero);
    }
    ~SubnormalScope() { if (active) _mm_setcsr(saved); }
};

inline float as_float(int32_t bits) { float f; std::memcpy(&f, &bits, 4); return f; }
inline int32_t as_int(float f) { int32_t i; std::memcpy(&i, &f, 4); return i; }

// e^x for x in [-87.3, 0] (all the kernels need): Cephes' expf, x = n ln 2 + r, |r| <= ln 2 / 2, a degree-7
// polynomial for e^r, 2^n built in the exponent bits. Branch-free, so loops calling it vectorise.
inline float exp_nonpositive(float x) {
    x = x < -87.3f ? -87.3f : x;
    float n = std::nearbyint(x * 1.44269504088896341f);
    float r = std::fma(n, -0.693359375f, x);
    r = std::fma(n, 2.12194440e-4f, r);
    float p = 1.9875691500e-4f;
    p = std::fma(p, r, 1.3981999507e-3f);
    p = std::fma(p, r, 8.3334519073e-3f);
    p = std::fma(p, r, 4.1665795894e-2f);
    p = std::fma(p, r, 1.6666665459e-1f);
    p = std::fma(p, r, 5.0000001201e-1f);
    p = std::fma(p, r * r, r) + 1.0f;
    return p * as_float((static_cast<int32_t>(n) + 127) << 23);
}

// ln x for normal positive x: Cephes' logf, x = 2^e m with m in [sqrt(1/2), sqrt(2)), a degree-9 polynomial in m - 1.
inline float log_positive(float x) {
    int32_t bits = as_int(x);
    float e = static_cast<float>((bits >> 23) - 126);
    float m = as_float((bits & 0x007FFFFF) | 0x3F000000); // in [1/2, 1)
    bool low = m < 0.707106781186547524f;
    e = low ? e - 1.0f : e;
    m = low ? m + m - 1.0f : m - 1.0f;
    float z = m * m;
    float p = 7.0376836292e-2f;
    p = std::fma(p, m, -1.1514610310e-1f);
    p = std::fma(p, m, 1.1676998740e-1f);
    p = std::fma(p, m, -1.2420140846e-1f);
    p = std::fma(p, m, 1.4249322787e-1f);
    p = std::fma(p, m, -1.6668057665e-1f);
    p = std::fma(p, m, 2.0000714765e-1f);
    p = std::fma(p, m, -2.4999993993e-1f);
    p = std::fma(p, m, 3.3333331174e-1f);
    float y = p * m * z;
    y = std::fma(e, -2.12194440e-4f, y);
    y = std::fma(z, -0.5f, y);
    return std::fma(e, 0.693359375f, m + y);
}


// log(1 + t) for t in [0, 1], as 2 atanh(u) with u = t / (2 + t) in [0, 1/3]: the series 2u (1 + u^2/3 + ... + u^14/15)
// leaves out less than 1.4e-9 of the value.
inline float log1p_unit(float t) {
    float u = t / (2.0f + t), z = u * u;
    float p = 1.0f / 15;
    p = std::fma(p, z, 1.0f / 13);
    p = std::fma(p, z, 1.0f / 11);
    p = std::fma(p, z, 1.0f / 9);
    p = std::fma(p, z, 1.0f / 7);
    p = std::fma(p, z, 1.0f / 5);
    p = std::fma(p, z, 1.0f / 3);
    return 2.0f * std::fma(u * z, p, u);
}

// sigmoid(r) = d softplus(r)/dr, the derivative of sigma = softplus(rho), from t = e^-|r|.
inline float sigmoid(float r, float t) { return (r >= 0.0f ? 1.0f : t) / (1.0f + t); }

// sin and cos of 2 pi turns for turns in [0, 1) (see NormalNoise in C#): a quadrant k = round(4 turns), an angle in
// [-pi/4, pi/4], Cephes' single-precision polynomials, and a rotation by k quarter turns (k = 4 is a full turn).
inline void sincos_of_turns(float turns, float& sine, float& cosine) {
    int32_t quadrant = static_cast<int32_t>(turns * 4.0f + 0.5f);
    float angle = (turns - static_cast<float>(quadrant) * 0.25f) * 6.28318530717958648f;
    float z = angle * angle;
    float s = angle + angle * z * (-1.6666654611e-1f + z * (8.3321608736e-3f + z * -1.9515295891e-4f));
    float c = 1.0f - 0.5f * z + z * z * (4.166664568298827e-2f + z * (-1.388731625493765e-3f + z * 2.443315711809948e-5f));
    bool odd = (quadrant & 1) != 0;
    float rotated_sin = odd ? c : s, rotated_cos = odd ? s : c;
    int32_t sin_sign = ((quadrant >> 1) & 1) << 31, cos_sign = ((quadrant ^ (quadrant >> 1)) & 1) << 31;
    sine = as_float(as_int(rotated_sin) ^ sin_sign);
    cosine = as_float(as_int(rotated_cos) ^ cos_sign);
}

inline uint64_t split_mix64(uint64_t& state) {
    uint64_t z = state += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// A stream of standard normal draws, 32 at a time: sixteen xoshiro128+ lanes seeded by SplitMix64 from seed; per block,
// lane j's two outputs give u1 (top 24 bits, plus one, so in (0, 1]) and u2 (in [0, 1)), and the block holds
// r cos(2 pi u2) at j and r sin(2 pi u2) at 16 + j with r = sqrt(-2 ln u1). Sixteen lanes fill a 512-bit vector; the
// AVX2 build runs them as two 256-bit halves and gives the same values.
struct NormalStream {
    static constexpr int Lanes = 16;
    typedef uint32_t lanes __attribute__((vector_size(4 * Lanes))); // the generators side by side
    lanes s0, s1, s2, s3;

    explicit NormalStream(uint64_t seed) {
        uint32_t words[4 * Lanes];
        for (int i = 0; i < 2 * Lanes; i++) {
            uint64_t word = split_mix64(seed);
            words[2 * i] = static_cast<uint32_t>(word);
            words[2 * i + 1] = static_cast<uint32_t>(word >> 32);
        }
        std::memcpy(&s0, words, sizeof s0); std::memcpy(&s1, words + Lanes, sizeof s1);
        std::memcpy(&s2, words + 2 * Lanes, sizeof s2); std::memcpy(&s3, words + 3 * Lanes, sizeof s3);
    }

    // The next output of every lane (through a reference: a 512-bit vector returned by value would change the
    // calling convention of the AVX2 build, which g++ warns about).
    void next(lanes& result) {
        lanes shifted = s1 << 9;
        result = s0 + s3;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= shifted;
        s3 = (s3 << 11) | (s3 >> 21);
    }

    // Writes the next 2 * Lanes values to out.
    void block(float* out) {
        uint32_t bits[2][Lanes];
        lanes first, second;
        next(first);
        next(second);
        std::memcpy(bits[0], &first, sizeof first);
        std::memcpy(bits[1], &second, sizeof second);
        for (int j = 0; j < Lanes; j++) {
            float u1 = static_cast<float>((bits[0][j] >> 8) + 1) * (1.0f / (1 << 24));
            float u2 = static_cast<float>(bits[1][j] >> 8) * (1.0f / (1 << 24));
            float radius = std::sqrt(-2.0f * log_positive(u1));
            float sine, cosine;
            sincos_of_turns(u2, sine, cosine);
            out[j] = radius * cosine;
            out[Lanes + j] = radius * sine;
        }
    }
};

// The seed of stream c of a call with this key (see NormalNoise.Fill): stream 0 is seeded with the key itself.
inline uint64_t stream_seed(uint64_t key, int64_t c) { return key ^ (static_cast<uint64_t>(c) * 0xD1B54A32D192ED03ULL); }

constexpr int64_t NoiseChunk = 4096; // values per independent stream: the unit of work split over threads

// Runs body(block, begin, end) over the blocks of NoiseChunk values of [0, n), shared among the threads. A pass of one
// block (the biases, the output layer) runs on the calling thread without entering a parallel region: one thread
// would have nothing to do, and a parallel region limited to one thread (an OpenMP if clause) cost some 30 us per pass
// here, against 2 us for the pass itself. No result depends on which threads run which blocks.
template <class Body>
void for_blocks(int64_t n, Body body) {
    int64_t blocks = (n + NoiseChunk - 1) / NoiseChunk;
    if (blocks <= 1) {
        if (n > 0) body(int64_t{0}, int64_t{0}, n);
        return;
    }
    #pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < blocks; b++) body(b, b * NoiseChunk, std::min(n, (b + 1) * NoiseChunk));
}

// Runs body(begin, end) for an elementwise pass over [0, n): one contiguous range per thread, or, for a pass of at most
// one block, on the calling thread alone (see for_blocks).
template <class Body>
void over_ranges(int64_t n, Body body) {
    if (n <= NoiseChunk) {
        if (n > 0) body(int64_t{0}, n);
        return;
    }
    #pragma omp parallel
    {
        int64_t threads = omp_get_num_threads(), thread = omp_get_thread_num();
        int64_t share = (n + threads - 1) / threads;
        int64_t begin = std::min(n, thread * share), end = std::min(n, begin + share);
        if (begin < end) body(begin, end);
    }
}

// Runs body(block, begin, end, partial) over the blocks of [0, n) (for_blocks), each block writing its Count partial
// sums to partial, then adds the partial sums in block order into sums: no result depends on the thread count.
template <int Count, class Body>
void over_blocks(int64_t n, double* sums, Body body) {
    int64_t blocks = (n + NoiseChunk - 1) / NoiseChunk;
    std::vector<double> partial(static_cast<size_t>(blocks) * Count);
    for_blocks(n, [&](int64_t b, int64_t begin, int64_t end) { body(b, begin, end, &partial[b * Count]); });
    for (int k = 0; k < Count; k++) sums[k] = 0;
    for (int64_t b = 0; b < blocks; b++)
        for (int k = 0; k < Count; k++) sums[k] += partial[b * Count + k];
}

// One element's terms of the Monte Carlo KL against a scale mixture (see bnndsl_scale_mixture_kl), added to the sums;
// with WithGradient, the prior's gradient g and the sigma gradient are returned through the references.
template <bool WithGradient, bool NoiseReachesSigma>
inline void scale_mixture_terms(float w, float e, float s, float log_ratio, float gap, float wide,
                                double& ee, double& ls, double& rr, double& sp, float& prior_gradient, float& sigma_gradient) {
    float r = w * w;
    float z = log_ratio - r * gap;
    z = z < -80.0f ? -80.0f : z;
    // softplus(z) = max(z, 0) + log(1 + e^-|z|); sigmoid(z) from the same exponential.
    float exp_neg_abs = exp_nonpositive(-std::fabs(z));
    float one_plus = 1.0f + exp_neg_abs;
    ee += e * e;
    ls += log_positive(s);
    rr += r;
    sp += (z > 0.0f ? z : 0.0f) + log1p_unit(exp_neg_abs);
    if (WithGradient) {
        float sigmoid = (z >= 0.0f ? 1.0f : exp_neg_abs) / one_plus;
        float g = w * (sigmoid * (2 * gap) + 2 * wide);
        prior_gradient = g;
        sigma_gradient = NoiseReachesSigma ? g * e - 1.0f / s : -1.0f / s;
    }
}

// One block's part of bnndsl_scale_mixture_kl, the gradient branches resolved at compile time.
template <bool WithGradient, bool NoiseReachesSigma>
void scale_mixture_kl(const float* sample, const float* noise, const float* sigma, int64_t begin, int64_t end,
                      float log_ratio, float gap, float wide, float* prior_gradient, float* sigma_gradient,
                      double* sums) {
    double ee = 0, ls = 0, rr = 0, sp = 0;
    #pragma omp simd reduction(+ : ee, ls, rr, sp)
    for (int64_t i = begin; i < end; i++) {
        float g = 0, gs = 0;
        scale_mixture_terms<WithGradient, NoiseReachesSigma>(sample[i], noise[i], sigma[i], log_ratio, gap, wide, ee, ls, rr, sp, g, gs);
        if (WithGradient) { prior_gradient[i] = g; sigma_gradient[i] = gs; }
    }
    sums[0] = ee; sums[1] = ls; sums[2] = rr; sums[3] = sp;
}

// One stream's part of bnndsl_scale_mixture_kl_drawn: the stream's noise made into a buffer that stays in the
// first-level cache, then w = mean + sigma e and the terms in one vectorised loop.
template <bool WithGradient>
void scale_mixture_kl_drawn(const float* mean, const float* sigma, int64_t begin, int64_t end, uint64_t seed,
                            float log_ratio, float gap, float wide, float* mean_gradient, float* sigma_gradient, double* sums) {
    alignas(32) float noise[NoiseChunk];
    NormalStream stream(seed);
    int64_t count = end - begin;
    for (int64_t start = 0; start < count; start += 2 * NormalStream::Lanes) stream.block(noise + start); // NoiseChunk is a multiple of the block
    double ee = 0, ls = 0, rr = 0, sp = 0;
    #pragma omp simd reduction(+ : ee, ls, rr, sp)
    for (int64_t k = 0; k < count; k++) {
        int64_t i = begin + k;
        float g = 0, gs = 0;
        scale_mixture_terms<WithGradient, true>(mean[i] + sigma[i] * noise[k], noise[k], sigma[i], log_ratio, gap, wide, ee, ls, rr, sp, g, gs);
        if (WithGradient) { mean_gradient[i] = g; sigma_gradient[i] = gs; }
    }
    sums[0] = ee; sums[1] = ls; sums[2] = rr; sums[3] = sp;
}

// One block's part of bnndsl_gaussian_kl, with or without gradients.
template <bool WithGradient>
void gaussian_kl(const float* mu, const float* sigma, int64_t begin, int64_t end, float prior_mean, float precision,
                 float* mu_gradient, float* sigma_gradient, double* sums) {
    double centred = 0, squares = 0, logs = 0;
    #pragma omp simd reduction(+ : centred, squares, logs)
    for (int64_t i = begin; i < end; i++) {
        float c = mu[i] - prior_mean, s = sigma[i];
        centred += c * c;
        squares += s * s;
        logs += log_positive(s);
        if (WithGradient) {
            mu_gradient[i] = c * precision;
            sigma_gradient[i] = s * precision - 1.0f / s;
        }
    }
    sums[0] = centred; sums[1] = squares; sums[2] = logs;
}

// One block's part of bnndsl_rho_gradient, with or without a sigma gradient (resolved at compile time, so that the
// loop vectorises either way).
template <bool WithSigmaGradient>
void rho_gradient(float* square_gradient, const float* sigma, const float* sigma_gradient, const float* rho, int64_t begin, int64_t end) {
    #pragma omp simd
    for (int64_t i = begin; i < end; i++) {
        float r = rho[i];
        float chain = 2.0f * sigma[i] * square_gradient[i] + (WithSigmaGradient ? sigma_gradient[i] : 0.0f);
        square_gradient[i] = chain * sigmoid(r, exp_nonpositive(-std::fabs(r)));
    }
}

// One block's part of bnndsl_kl_add_gradient: the element's KL gradient against a Normal (Family 0) or a scale
// mixture (Family 1, at w = mu + sigma e), times scale, added to the gradients; returns 1 if any value it added was not
// finite, else 0. With OwnNoise the block's e is its stream of key, made into a buffer that stays in the first-level
// cache.
template <int Family, bool OwnNoise>
int64_t kl_add_gradient(const float* mu, const float* rho, const float* sigma, const float* noise, int64_t begin, int64_t end,
                      uint64_t seed, float a, float b, float c, float scale, float* mu_gradient, float* rho_gradient) {
    alignas(32) float own[OwnNoise ? NoiseChunk : 1];
    const float* e = noise + begin;
    int64_t count = end - begin;
    if (OwnNoise) {
        NormalStream stream(seed);
        for (int64_t start = 0; start < count; start += 2 * NormalStream::Lanes) stream.block(own + start); // NoiseChunk is a multiple of the block
        e = own;
    }
    float zero_if_finite = 0;
    #pragma omp simd reduction(+ : zero_if_finite)
    for (int64_t k = 0; k < count; k++) {
        int64_t i = begin + k;
        float r = rho[i], s = sigma[i];
        float mu_term, sigma_term;
        if (Family == 0) { // a = prior mean, b = precision
            mu_term = (mu[i] - a) * b;
            sigma_term = s * b - 1.0f / s;
        } else { // a, b, c = log_ratio, gap, wide (see bnndsl_scale_mixture_kl)
            double unused[4] = {0, 0, 0, 0}; // the value's sums, not wanted here: the compiler drops their logarithms
            scale_mixture_terms<true, true>(mu[i] + s * e[k], e[k], s, a, b, c, unused[0], unused[1], unused[2], unused[3],
                                            mu_term, sigma_term);
        }
        float to_mu = scale * mu_term, to_rho = scale * sigma_term * sigmoid(r, exp_nonpositive(-std::fabs(r)));
        mu_gradient[i] += to_mu;
        rho_gradient[i] += to_rho;
        // x * 0 is 0 for every finite x and NaN for infinities and NaN, so the sum is exactly 0 in any order unless
        // some value added was not finite.
        zero_if_finite += to_mu * 0.0f + to_rho * 0.0f;
    }
    return zero_if_finite == 0.0f ? 0 : 1;
}

// One range of bnndsl_adam_step. Not inlined: the copy GCC inlined into the single-thread branch of over_ranges was
// left scalar (seven times slower than this).
__attribute__((noinline)) void adam_step(float* parameter, const float* gradient, float* first, float* second, int64_t begin,
                                         int64_t end, float beta1, float beta2, float step, float epsilon, float decay) {
    #pragma omp simd
    for (int64_t i = begin; i < end; i++) {
        float g = gradient[i] + decay * parameter[i];
        float m = std::fma(1 - beta1, g - first[i], first[i]);
        float v = beta2 * second[i] + (1 - beta2) * g * g;
        first[i] = m;
        second[i] = v;
        parameter[i] -= step * m / (std::sqrt(v) + epsilon);
    }
}

} // namespace

extern "C" {

// One Adam update in place (see CpuKernels.AdamStep): g += decay p; m += (1 - beta1)(g - m);
// v = beta2 v + (1 - beta2) g^2; p -= step m / (sqrt(v) + eps).
void bnndsl_adam_step(float* parameter, const float* gradient, float* first, float* second, int64_t n,
                      float beta1, float beta2, float step, float epsilon, float decay, int flush) {
    over_ranges(n, [=](int64_t begin, int64_t end) {
        SubnormalScope scope(flush != 0);
        adam_step(parameter, gradient, first, second, begin, end, beta1, beta2, step, epsilon, decay);
    });
}

// The sums of one draw's Monte Carlo KL against a scale mixture and, when gradients are given, its gradients (see
// CpuKernels.ScaleMixtureMonteCarloKl): sums[0..3] = sum e^2, sum log s, sum w^2, sum softplus(z) with
// z = max(log_ratio - w^2 gap, -80); prior_gradient = 2w (wide + gap sigmoid(z)); sigma_gradient = -1/s, plus
// prior_gradient * e when noise_reaches_sigma.
void bnndsl_scale_mixture_kl(const float* sample, const float* noise, const float* sigma, int64_t n,
                             float log_ratio, float gap, float wide, float* prior_gradient, float* sigma_gradient,
                             int noise_reaches_sigma, double* sums) {
    over_blocks<4>(n, sums, [&](int64_t, int64_t begin, int64_t end, double* partial) {
        if (prior_gradient == nullptr)
            scale_mixture_kl<false, false>(sample, noise, sigma, begin, end, log_ratio, gap, wide, nullptr, nullptr, partial);
        else if (noise_reaches_sigma)
            scale_mixture_kl<true, true>(sample, noise, sigma, begin, end, log_ratio, gap, wide, prior_gradient, sigma_gradient, partial);
        else
            scale_mixture_kl<true, false>(sample, noise, sigma, begin, end, log_ratio, gap, wide, prior_gradient, sigma_gradient, partial);
    });
}

// n standard normal draws determined by key alone (see NormalNoise.Fill): chunk c of 4096 values is the NormalStream
// of stream_seed(key, c), so the values do not depend on how the chunks are shared among threads.
void bnndsl_normal_fill(float* destination, int64_t n, uint64_t key) {
    for_blocks(n, [&](int64_t c, int64_t begin, int64_t end) {
        NormalStream stream(stream_seed(key, c));
        for (int64_t start = begin; start < end; start += 2 * NormalStream::Lanes) {
            float block[2 * NormalStream::Lanes];
            stream.block(block);
            std::memcpy(destination + start, block, std::min<int64_t>(2 * NormalStream::Lanes, end - start) * sizeof(float));
        }
    });
}

// bnndsl_scale_mixture_kl for a draw w = mean + sigma e that exists only here: e is the noise bnndsl_normal_fill
// would write for this key, made stream by stream and never stored. The gradients are those of a draw outside the
// graph: mean_gradient = g, sigma_gradient = g e - 1/s. Sums are kept per stream and added in stream order, so they
// do not depend on the thread count either.
void bnndsl_scale_mixture_kl_drawn(const float* mean, const float* sigma, int64_t n, uint64_t key,
                                   float log_ratio, float gap, float wide, float* mean_gradient, float* sigma_gradient,
                                   double* sums) {
    over_blocks<4>(n, sums, [&](int64_t c, int64_t begin, int64_t end, double* partial) {
        if (mean_gradient)
            scale_mixture_kl_drawn<true>(mean, sigma, begin, end, stream_seed(key, c), log_ratio, gap, wide, mean_gradient, sigma_gradient, partial);
        else
            scale_mixture_kl_drawn<false>(mean, sigma, begin, end, stream_seed(key, c), log_ratio, gap, wide, nullptr, nullptr, partial);
    });
}

// The sums of the closed-form KL of N(mu, sigma^2) against Normal(prior_mean, 1/sqrt(precision)) (see Kl.GaussianVsNormal):
// sums[0..2] = sum (mu - m)^2, sum sigma^2, sum log sigma; when gradients are given, mu_gradient = (mu - m) precision
// and sigma_gradient = sigma precision - 1/sigma. Sums are kept per block of 4096 and added in block order, so they do
// not depend on the thread count.
void bnndsl_gaussian_kl(const float* mu, const float* sigma, int64_t n, float prior_mean, float precision,
                        float* mu_gradient, float* sigma_gradient, double* sums) {
    over_blocks<3>(n, sums, [&](int64_t, int64_t begin, int64_t end, double* partial) {
        if (mu_gradient) gaussian_kl<true>(mu, sigma, begin, end, prior_mean, precision, mu_gradient, sigma_gradient, partial);
        else gaussian_kl<false>(mu, sigma, begin, end, prior_mean, precision, nullptr, nullptr, partial);
    });
}

// sigma = softplus(rho) and its square, for a locally reparameterised layer (see LocalLinearFunction):
// softplus(rho) = max(rho, 0) + log1p(e^-|rho|), within 3 units in the last place.
void bnndsl_softplus_square(const float* rho, float* sigma, float* square, int64_t n) {
    over_ranges(n, [=](int64_t begin, int64_t end) {
        #pragma omp simd
        for (int64_t i = begin; i < end; i++) {
            float r = rho[i];
            float t = exp_nonpositive(-std::fabs(r));
            float s = (r > 0.0f ? r : 0.0f) + log1p_unit(t);
            sigma[i] = s;
            square[i] = s * s;
        }
    });
}

// The local draw from its moments, in place: mean becomes mean + sqrt(variance) noise, variance becomes
// noise / (2 sqrt(variance)), the draw's derivative with respect to its variance.
void bnndsl_sample_from_moments(float* mean, float* variance, const float* noise, int64_t n) {
    over_ranges(n, [=](int64_t begin, int64_t end) {
        #pragma omp simd
        for (int64_t i = begin; i < end; i++) {
            float std_dev = std::sqrt(variance[i]);
            mean[i] += std_dev * noise[i];
            variance[i] = noise[i] / (std_dev + std_dev);
        }
    });
}

// A local draw from moments kept for several draws (one input, many posterior samples), into noise: noise becomes
// mean + sqrt(variance) noise, the arithmetic of bnndsl_sample_from_moments, leaving the moments as they were.
void bnndsl_sample_given_moments(const float* mean, const float* variance, float* noise, int64_t n) {
    over_ranges(n, [=](int64_t begin, int64_t end) {
        #pragma omp simd
        for (int64_t i = begin; i < end; i++) {
            float std_dev = std::sqrt(variance[i]);
            noise[i] = mean[i] + std_dev * noise[i];
        }
    });
}

// d/drho from d/d(sigma^2) and d/dsigma, in place of d/d(sigma^2): (2 sigma g2 + g1) sigmoid(rho), since
// d softplus(rho)/drho = sigmoid(rho). sigma_gradient may be null (sigma reached no loss).
void bnndsl_rho_gradient(float* square_gradient, const float* sigma, const float* sigma_gradient, const float* rho, int64_t n) {
    for_blocks(n, [&](int64_t, int64_t begin, int64_t end) {
        if (sigma_gradient) rho_gradient<true>(square_gradient, sigma, sigma_gradient, rho, begin, end);
        else rho_gradient<false>(square_gradient, sigma, nullptr, rho, begin, end);
    });
}

// One tensor's KL gradient for q = N(mu, sigma^2), sigma = softplus(rho), applied directly (see Kl.AddGradient): scale
// times d/dmu and d/drho = d/dsigma sigmoid(rho) added to mu_gradient and rho_gradient in place, against a Normal
// (family 0, a = prior mean, b = precision) or by one Monte Carlo draw against a scale mixture (family 1, a, b, c =
// log_ratio, gap, wide; the draw's noise read from noise, or when it is null made from key as bnndsl_normal_fill would).
// Returns how many blocks of 4096 values added a value that was not finite.
int64_t bnndsl_kl_add_gradient(const float* mu, const float* rho, const float* sigma, int64_t n, int family, float a, float b,
                             float c, const float* noise, uint64_t key, float scale, float* mu_gradient, float* rho_gradient) {
    std::vector<int64_t> not_finite(static_cast<size_t>((n + NoiseChunk - 1) / NoiseChunk));
    for_blocks(n, [&](int64_t block, int64_t begin, int64_t end) {
        uint64_t seed = stream_seed(key, block);
        if (family == 0)
            not_finite[block] = kl_add_gradient<0, false>(mu, rho, sigma, nullptr, begin, end, seed, a, b, c, scale, mu_gradient, rho_gradient);
        else if (noise)
            not_finite[block] = kl_add_gradient<1, false>(mu, rho, sigma, noise, begin, end, seed, a, b, c, scale, mu_gradient, rho_gradient);
        else
            not_finite[block] = kl_add_gradient<1, true>(mu, rho, sigma, nullptr, begin, end, seed, a, b, c, scale, mu_gradient, rho_gradient);
    });
    int64_t total = 0;
    for (int64_t flag : not_finite) total += flag;
    return total;
}

// MKL, which libtorch carries inside libtorch_cpu.so for its matrix products, takes its fast code paths (AVX-512,
// AVX2) only when this check of the processor's vendor says Intel; on other processors with the same instruction
// sets it falls back to a slower path (about half the speed of its AVX-512 path at the MLP's shapes on an AMD
// processor with AVX-512). libtorch calls the check through the dynamic linker, so once this library is in the
// process's global scope (CpuKernels puts it there before the first matrix product) this definition answers, and MKL
// chooses its path by the instruction sets the processor reports, as it does on Intel processors.
int mkl_serv_intel_cpu_true() { return 1; }

} // extern "C"
