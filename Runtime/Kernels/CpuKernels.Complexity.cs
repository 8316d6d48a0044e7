using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// The sums behind the KL terms of <see cref="Kl"/> and their gradients, fused (docs/METHODS.md §2–3); <see cref="Kl"/>
/// assembles the values.
/// </summary>
public static partial class CpuKernels
{
    /// <summary>
    /// For the closed-form KL against Normal(m0, s0) with precision 1/s0²: Σ(μ − m0)², Σσ², Σ log σ, and, when asked,
    /// ∂/∂μ = (μ − m0)/s0² and ∂/∂σ = σ/s0² − 1/σ, in one pass instead of libtorch's seven.
    /// </summary>
    /// <remarks>The sums come back as float64 scalar tensors, as the libtorch formulation's do in its dtype.</remarks>
    internal static (Tensor CentredSquares, Tensor SigmaSquares, Tensor LogSigmas, Tensor? MuGradient, Tensor? SigmaGradient)
        GaussianKl(Tensor mu, Tensor sigma, double priorMean, double precision, bool withGradient)
    {
        var (muGradient, sigmaGradient) = withGradient ? (empty_like(mu), empty_like(sigma)) : (null, null);
        var sums = new double[3];
        NativeGaussianKl(ref First(mu), ref First(sigma), mu.numel(), (float)priorMean, (float)precision,
            ref First(muGradient), ref First(sigmaGradient), sums);
        return (tensor(sums[0]), tensor(sums[1]), tensor(sums[2]), muGradient, sigmaGradient);
    }

    [DllImport(Library, EntryPoint = "bnndsl_gaussian_kl")]
    static extern void NativeGaussianKl(ref float mu, ref float sigma, long count, float priorMean, float precision,
        ref float muGradient, ref float sigmaGradient, double[] sums);

    /// <summary>
    /// For one draw's Monte Carlo KL against a scale mixture (<see cref="ScaleMixturePrior"/>): Σε², Σ log σ, Σw² and
    /// Σ softplus(z) with z = log(b/a) − w² (1/2σ2² − 1/2σ1²) clamped at −80, and, when asked, the prior's gradient
    /// g = −d log p/dw = 2w (1/2σ1² + gap · sigmoid(z)) and the σ gradient of log q − log p: −1/σ, plus g ε when the
    /// draw is not part of the graph (<see cref="Kl.MonteCarlo"/>). A <see cref="GaussianDraw.Deferred"/> draw is made
    /// in the same pass from a fresh key of <see cref="NormalNoise"/>. The kernel's exponential and logarithm are
    /// Cephes' single-precision polynomials, within 2 units in the last place (tests hold them to libtorch's).
    /// </summary>
    internal static (double NoiseSquares, double LogSigmas, double Squares, double Softpluses, Tensor? PriorGradient, Tensor? SigmaGradient)
        ScaleMixtureMonteCarloKl(GaussianDraw draw, ScaleMixturePrior prior, bool withGradient, bool noiseReachesSigma)
    {
        var (priorGradient, sigmaGradient) = withGradient ? (empty_like(draw.Mean), empty_like(draw.Sigma)) : (null, null);
        var sums = new double[4];
        if (draw.IsDeferred)
        {
            // The draw is made here: the noise NormalNoise.Fill writes for a fresh key, stream by stream, never stored.
            NativeScaleMixtureKlDrawn(ref First(draw.Mean), ref First(draw.Sigma), draw.Mean.numel(), NormalNoise.NextKey(),
                (float)prior.LogRatio, (float)prior.Gap, (float)prior.Wide, ref First(priorGradient), ref First(sigmaGradient), sums);
            return (sums[0], sums[1], sums[2], sums[3], priorGradient, sigmaGradient);
        }
        NativeScaleMixtureKl(ref First(draw.Sample), ref First(draw.Noise), ref First(draw.Sigma), draw.Sample.numel(),
            (float)prior.LogRatio, (float)prior.Gap, (float)prior.Wide, ref First(priorGradient), ref First(sigmaGradient),
            noiseReachesSigma ? 1 : 0, sums);
        return (sums[0], sums[1], sums[2], sums[3], priorGradient, sigmaGradient);
    }

    [DllImport(Library, EntryPoint = "bnndsl_scale_mixture_kl_drawn")]
    static extern void NativeScaleMixtureKlDrawn(ref float mean, ref float sigma, long count, ulong key,
        float logRatio, float gap, float wide, ref float meanGradient, ref float sigmaGradient, double[] sums);

    [DllImport(Library, EntryPoint = "bnndsl_scale_mixture_kl")]
    static extern void NativeScaleMixtureKl(ref float sample, ref float noise, ref float sigma, long count,
        float logRatio, float gap, float wide, ref float priorGradient, ref float sigmaGradient, int noiseReachesSigma, double[] sums);
    /// <summary>
    /// One tensor's KL gradient applied without autograd (<see cref="Kl.AddGradient"/>), in one pass:
    /// <paramref name="scale"/> times ∂/∂μ and ∂/∂ρ = ∂/∂σ · sigmoid(ρ) of the closed-form KL (Normal prior) or of the
    /// Monte Carlo KL of <see cref="ScaleMixtureMonteCarloKl"/> (scale mixture, at w = μ + σ ε with ε read from
    /// <paramref name="noise"/>, or made from a fresh key of <see cref="NormalNoise"/> when it is null), added to the two
    /// gradients in place. Returns whether everything added was finite.
    /// </summary>
    internal static bool KlAddGradient(Tensor mu, Tensor rho, Tensor sigma, Prior prior, Tensor? noise, double scale, Tensor muGradient, Tensor rhoGradient)
    {
        var (family, a, b, c) = prior switch
        {
            NormalPrior normal => (0, normal.Mean, 1 / (normal.Std * normal.Std), 0.0),
            ScaleMixturePrior mixture => (1, mixture.LogRatio, mixture.Gap, mixture.Wide),
            _ => throw new ArgumentException($"No fused KL for {prior.GetType().Name}.", nameof(prior)),
        };
        ulong key = family == 1 && noise is null ? NormalNoise.NextKey() : 0;
        long blocksNotFinite = NativeKlAddGradient(ref First(mu), ref First(rho), ref First(sigma), mu.numel(), family, (float)a, (float)b, (float)c,
            ref First(noise), key, (float)scale, ref First(muGradient), ref First(rhoGradient));
        return blocksNotFinite == 0;
    }

    [DllImport(Library, EntryPoint = "bnndsl_kl_add_gradient")]
    static extern long NativeKlAddGradient(ref float mu, ref float rho, ref float sigma, long count, int family, float a, float b, float c,
        ref float noise, ulong key, float scale, ref float muGradient, ref float rhoGradient);
}
