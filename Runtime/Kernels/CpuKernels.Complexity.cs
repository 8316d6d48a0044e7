using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>The sums behind the complexity terms of <see cref="Kl"/>, fused (METHODS.md §2–3); <see cref="Kl"/> assembles the values.</summary>
public static partial class CpuKernels
{
    /// <summary>
    /// For KL(N(μ, σ²) ‖ N(m0, s0²)): Σ(μ − m0)², Σσ² and Σ log σ, and, when asked, ∂/∂μ = (μ − m0)/s0² and
    /// ∂/∂σ = σ/s0² − 1/σ.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (double CentredSquares, double SigmaSquares, double LogSigmas, Tensor? MuGradient, Tensor? SigmaGradient) NormalKl(
        Tensor mu, Tensor sigma, double priorMean, double priorStd, bool withGradient)
    {
        var (muGradient, sigmaGradient) = withGradient ? (empty_like(mu), empty_like(sigma)) : (null, null);
        var means = Floats(mu);
        var sigmas = Floats(sigma);
        var gMu = withGradient ? Floats(muGradient!) : default;
        var gSigma = withGradient ? Floats(sigmaGradient!) : default;
        var m = Vector256.Create((float)priorMean);
        var precision = Vector256.Create((float)(1 / (priorStd * priorStd)));
        Vector256<double> centredSquares = default, sigmaSquares = default, logSigmas = default;
        for (int i = 0; i < means.Length; i += 8)
        {
            int lanes = Lanes(means.Length, i);
            var c = Load(means, i, lanes) - m;
            var s = Load(sigmas, i, lanes, padding: 1);
            Accumulate(ref centredSquares, c * c, lanes);
            Accumulate(ref sigmaSquares, s * s, lanes);
            Accumulate(ref logSigmas, Vector256.Log(s), lanes);
            if (!withGradient) continue;
            Store(c * precision, gMu, i, lanes);
            Store(s * precision - Vector256<float>.One / s, gSigma, i, lanes);
        }
        return (Vector256.Sum(centredSquares), Vector256.Sum(sigmaSquares), Vector256.Sum(logSigmas), muGradient, sigmaGradient);
    }

    /// <summary>
    /// For one draw's Monte Carlo KL against a scale mixture (<see cref="ScaleMixturePrior"/>): Σε², Σ log σ, Σw² and
    /// Σ softplus(z) with z = log(b/a) − w² (1/2σ2² − 1/2σ1²) clamped at −80, and, when asked, the prior's gradient
    /// g = −d log p/dw = 2w (1/2σ1² + gap · sigmoid(z)) and the σ gradient of log q − log p: −1/σ, plus g ε when the
    /// draw is not part of the graph (<see cref="Kl.MonteCarlo"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (double NoiseSquares, double LogSigmas, double Squares, double Softpluses, Tensor? PriorGradient, Tensor? SigmaGradient)
        ScaleMixtureMonteCarloKl(GaussianDraw draw, ScaleMixturePrior prior, bool withGradient, bool noiseReachesSigma)
    {
        var (priorGradient, sigmaGradient) = withGradient ? (empty_like(draw.Sample), empty_like(draw.Sigma)) : (null, null);
        var samples = Floats(draw.Sample);
        var noises = Floats(draw.Noise);
        var sigmas = Floats(draw.Sigma);
        var gPrior = withGradient ? Floats(priorGradient!) : default;
        var gSigma = withGradient ? Floats(sigmaGradient!) : default;
        var logRatio = Vector256.Create((float)prior.LogRatio);
        var gap = Vector256.Create((float)prior.Gap);
        var twiceGap = Vector256.Create((float)(2 * prior.Gap));
        var twiceWide = Vector256.Create((float)(2 * prior.Wide));
        Vector256<double> noiseSquares = default, logSigmas = default, squares = default, softpluses = default;
        for (int i = 0; i < samples.Length; i += 8)
        {
            int lanes = Lanes(samples.Length, i);
            var e = Load(noises, i, lanes);
            var s = Load(sigmas, i, lanes, padding: 1);
            var w = Load(samples, i, lanes);
            var r = w * w;
            var z = Vector256.Max(logRatio - r * gap, Vector256.Create(-80f));
            // softplus(z) = max(z, 0) + log(1 + e^−|z|); sigmoid(z) from the same exponential.
            var expNegAbs = Vector256.Exp(-Vector256.Abs(z));
            var onePlus = Vector256<float>.One + expNegAbs;
            Accumulate(ref noiseSquares, e * e, lanes);
            Accumulate(ref logSigmas, Vector256.Log(s), lanes);
            Accumulate(ref squares, r, lanes);
            Accumulate(ref softpluses, Vector256.Max(z, Vector256<float>.Zero) + Vector256.Log(onePlus), lanes);
            if (!withGradient) continue;
            var sigmoid = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(z, Vector256<float>.Zero), Vector256<float>.One, expNegAbs) / onePlus;
            var g = w * (sigmoid * twiceGap + twiceWide);
            Store(g, gPrior, i, lanes);
            var logQGradient = -(Vector256<float>.One / s);
            Store(noiseReachesSigma ? logQGradient + g * e : logQGradient, gSigma, i, lanes);
        }
        return (Vector256.Sum(noiseSquares), Vector256.Sum(logSigmas), Vector256.Sum(squares), Vector256.Sum(softpluses), priorGradient, sigmaGradient);
    }
}
