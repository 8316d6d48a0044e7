using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// The sums behind the Monte Carlo KL of <see cref="Kl"/> against a scale mixture, fused (METHODS.md §2–3); <see cref="Kl"/>
/// assembles the value. The closed-form Normal KL has no fused kernel: it is four passes in libtorch over both cores.
/// </summary>
public static partial class CpuKernels
{
    /// <summary>
    /// For one draw's Monte Carlo KL against a scale mixture (<see cref="ScaleMixturePrior"/>): Σε², Σ log σ, Σw² and
    /// Σ softplus(z) with z = log(b/a) − w² (1/2σ2² − 1/2σ1²) clamped at −80, and, when asked, the prior's gradient
    /// g = −d log p/dw = 2w (1/2σ1² + gap · sigmoid(z)) and the σ gradient of log q − log p: −1/σ, plus g ε when the
    /// draw is not part of the graph (<see cref="Kl.MonteCarlo"/>). The kernel's exponential and logarithm are
    /// Cephes' single-precision polynomials, within 2 units in the last place (tests hold them to libtorch's).
    /// </summary>
    internal static (double NoiseSquares, double LogSigmas, double Squares, double Softpluses, Tensor? PriorGradient, Tensor? SigmaGradient)
        ScaleMixtureMonteCarloKl(GaussianDraw draw, ScaleMixturePrior prior, bool withGradient, bool noiseReachesSigma)
    {
        var (priorGradient, sigmaGradient) = withGradient ? (empty_like(draw.Sample), empty_like(draw.Sigma)) : (null, null);
        var sums = new double[4];
        NativeScaleMixtureKl(ref First(draw.Sample), ref First(draw.Noise), ref First(draw.Sigma), draw.Sample.numel(),
            (float)prior.LogRatio, (float)prior.Gap, (float)prior.Wide, ref First(priorGradient), ref First(sigmaGradient),
            noiseReachesSigma ? 1 : 0, sums);
        return (sums[0], sums[1], sums[2], sums[3], priorGradient, sigmaGradient);
    }

    [DllImport(Library, EntryPoint = "bnndsl_scale_mixture_kl")]
    static extern void NativeScaleMixtureKl(ref float sample, ref float noise, ref float sigma, long count,
        float logRatio, float gap, float wide, ref float priorGradient, ref float sigmaGradient, int noiseReachesSigma, double[] sums);
}
