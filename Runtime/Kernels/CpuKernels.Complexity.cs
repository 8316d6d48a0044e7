using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>The complexity terms of <see cref="Kl"/>, fused (METHODS.md §2–3).</summary>
public static partial class CpuKernels
{
    /// <summary>
    /// KL(N(μ, σ²) ‖ N(m0, s0²)) summed: ½ s0⁻² (Σ(μ − m0)² + Σσ²) − Σ log σ + n (log s0 − ½), and, when asked,
    /// ∂/∂μ = (μ − m0)/s0² and ∂/∂σ = σ/s0² − 1/σ.
    /// </summary>
    internal static (double Value, Tensor? MuGradient, Tensor? SigmaGradient) NormalKl(Tensor mu, Tensor sigma, double priorMean, double priorStd, bool withGradient)
    {
        var (muGradient, sigmaGradient) = withGradient ? (empty_like(mu), empty_like(sigma)) : (null, null);
        var sums = NormalKlPass(mu, sigma, muGradient, sigmaGradient, (float)priorMean, (float)(1 / (priorStd * priorStd)));
        // sums: Σ(μ − m0)², Σσ², Σ log σ
        double value = 0.5 / (priorStd * priorStd) * (sums.A + sums.B) - sums.C + (Math.Log(priorStd) - 0.5) * mu.numel();
        return (value, muGradient, sigmaGradient);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static Sums NormalKlPass(Tensor mu, Tensor sigma, Tensor? muGradient, Tensor? sigmaGradient, float priorMean, float precision)
    {
        var means = Floats(mu);
        var sigmas = Floats(sigma);
        bool withGradient = muGradient is not null;
        var gMu = withGradient ? Floats(muGradient!) : default;
        var gSigma = withGradient ? Floats(sigmaGradient!) : default;
        int count = means.Length;
        var m = Vector256.Create(priorMean);
        var p = Vector256.Create(precision);
        Vector256<double> centredSquares = default, sigmaSquares = default, logSigmas = default;
        int i = 0;
        for (; i <= count - 8; i += 8)
        {
            var c = Vector256.Create<float>(means.Slice(i, 8)) - m;
            var s = Vector256.Create<float>(sigmas.Slice(i, 8));
            Accumulate(ref centredSquares, c * c);
            Accumulate(ref sigmaSquares, s * s);
            Accumulate(ref logSigmas, Vector256.Log(s));
            if (!withGradient) continue;
            (c * p).CopyTo(gMu[i..]);
            (s * p - Vector256<float>.One / s).CopyTo(gSigma[i..]);
        }
        var sums = new Sums(Vector256.Sum(centredSquares), Vector256.Sum(sigmaSquares), Vector256.Sum(logSigmas), 0);
        for (; i < count; i++)
        {
            float c = means[i] - priorMean, s = sigmas[i];
            sums += new Sums(c * c, s * s, MathF.Log(s), 0);
            if (!withGradient) continue;
            gMu[i] = c * precision;
            gSigma[i] = s * precision - 1 / s;
        }
        return sums;
    }

    /// <summary>
    /// One draw's Monte Carlo KL against a scale mixture, log q(w) − log p(w) summed: Σ(−ε²/2 − log σ) − (n/2) log 2π
    /// for q, and for p Σ(w²/2σ1² − softplus(z)) − n log a with z = log(b/a) − w² (1/2σ2² − 1/2σ1²), clamped at −80
    /// (<see cref="ScaleMixturePrior"/>). When asked, g = −d log p/dw = 2w (1/2σ1² + gap · sigmoid(z)) and the σ
    /// gradient −1/σ, plus g ε when the draw is not part of the graph (<see cref="Kl.MonteCarlo"/>).
    /// </summary>
    internal static (double Value, Tensor? PriorGradient, Tensor? SigmaGradient) ScaleMixtureMonteCarloKl(
        GaussianDraw draw, ScaleMixturePrior prior, bool withGradient, bool noiseReachesSigma)
    {
        var (priorGradient, sigmaGradient) = withGradient ? (empty_like(draw.Sample), empty_like(draw.Sigma)) : (null, null);
        var sums = ScaleMixtureMonteCarloKlPass(draw, priorGradient, sigmaGradient, (float)prior.LogRatio, (float)prior.Gap, (float)prior.Wide, noiseReachesSigma);
        // sums: Σε², Σ log σ, Σw², Σ softplus(z)
        long n = draw.Sample.numel();
        double logQ = -0.5 * sums.A - sums.B - 0.5 * Math.Log(2 * Math.PI) * n;
        double negativeLogP = prior.Wide * sums.C - sums.D - prior.LogA * n;
        return (logQ + negativeLogP, priorGradient, sigmaGradient);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static Sums ScaleMixtureMonteCarloKlPass(GaussianDraw draw, Tensor? priorGradient, Tensor? sigmaGradient,
        float logRatio, float gap, float wide, bool noiseReachesSigma)
    {
        var samples = Floats(draw.Sample);
        var noises = Floats(draw.Noise);
        var sigmas = Floats(draw.Sigma);
        bool withGradient = priorGradient is not null;
        var gPrior = withGradient ? Floats(priorGradient!) : default;
        var gSigma = withGradient ? Floats(sigmaGradient!) : default;
        int count = samples.Length;
        Vector256<double> noiseSquares = default, logSigmas = default, squares = default, softpluses = default;
        int i = 0;
        for (; i <= count - 8; i += 8)
        {
            var e = Vector256.Create<float>(noises.Slice(i, 8));
            var s = Vector256.Create<float>(sigmas.Slice(i, 8));
            var w = Vector256.Create<float>(samples.Slice(i, 8));
            var r = w * w;
            var z = Vector256.Max(Vector256.Create(logRatio) - r * Vector256.Create(gap), Vector256.Create(-80f));
            // softplus(z) = max(z, 0) + log(1 + e^−|z|); sigmoid(z) from the same exponential.
            var expNegAbs = Vector256.Exp(-Vector256.Abs(z));
            var onePlus = Vector256<float>.One + expNegAbs;
            Accumulate(ref noiseSquares, e * e);
            Accumulate(ref logSigmas, Vector256.Log(s));
            Accumulate(ref squares, r);
            Accumulate(ref softpluses, Vector256.Max(z, Vector256<float>.Zero) + Vector256.Log(onePlus));
            if (!withGradient) continue;
            var sigmoid = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(z, Vector256<float>.Zero),
                Vector256<float>.One, expNegAbs) / onePlus;
            var g = w * (sigmoid * Vector256.Create(2 * gap) + Vector256.Create(2 * wide));
            g.CopyTo(gPrior[i..]);
            var gs = -(Vector256<float>.One / s);
            (noiseReachesSigma ? gs + g * e : gs).CopyTo(gSigma[i..]);
        }
        var sums = new Sums(Vector256.Sum(noiseSquares), Vector256.Sum(logSigmas), Vector256.Sum(squares), Vector256.Sum(softpluses));
        for (; i < count; i++)
        {
            float e = noises[i], s = sigmas[i], w = samples[i], r = w * w;
            float z = MathF.Max(logRatio - r * gap, -80f);
            float expNegAbs = MathF.Exp(-MathF.Abs(z)), onePlus = 1 + expNegAbs;
            sums += new Sums(e * e, MathF.Log(s), r, MathF.Max(z, 0) + MathF.Log(onePlus));
            if (!withGradient) continue;
            float g = w * ((z >= 0 ? 1 : expNegAbs) / onePlus * 2 * gap + 2 * wide);
            gPrior[i] = g;
            gSigma[i] = noiseReachesSigma ? g * e - 1 / s : -1 / s;
        }
        return sums;
    }
}
