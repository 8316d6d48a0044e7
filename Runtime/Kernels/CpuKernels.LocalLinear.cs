using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>The elementwise passes of <see cref="LocalLinearFunction"/>, fused.</summary>
public static partial class CpuKernels
{
    /// <summary>σ = softplus(ρ) and σ² in one pass.</summary>
    internal static (Tensor Sigma, Tensor SigmaSquared) SoftplusAndSquare(Tensor rho)
    {
        var (sigma, squared) = (empty_like(rho), empty_like(rho));
        NativeSoftplusSquare(ref First(rho), ref First(sigma), ref First(squared), rho.numel());
        return (sigma, squared);
    }

    /// <summary>
    /// The local draw from its moments, in place: <paramref name="mean"/> becomes mean + √variance · ε and
    /// <paramref name="variance"/> becomes ε / (2√variance), the draw's derivative with respect to its variance.
    /// </summary>
    internal static void SampleFromMoments(Tensor mean, Tensor variance, Tensor noise) =>
        NativeSampleFromMoments(ref First(mean), ref First(variance), ref First(noise), mean.numel());

    /// <summary>
    /// A local draw from moments kept for several draws, in place of its noise: <paramref name="noise"/> becomes
    /// mean + √variance · ε, the arithmetic of <see cref="SampleFromMoments"/>, and the moments stay as they were.
    /// </summary>
    internal static void SampleGivenMoments(Tensor mean, Tensor variance, Tensor noise) =>
        NativeSampleGivenMoments(ref First(mean), ref First(variance), ref First(noise), mean.numel());

    /// <summary>
    /// ∂/∂ρ = (2σ ∂/∂σ² + ∂/∂σ) · sigmoid(ρ) in place of ∂/∂σ²; <paramref name="sigmaGradient"/> is null when σ reached
    /// no loss.
    /// </summary>
    internal static void RhoGradient(Tensor squareGradient, Tensor sigma, Tensor? sigmaGradient, Tensor rho) =>
        NativeRhoGradient(ref First(squareGradient), ref First(sigma), ref First(sigmaGradient), ref First(rho), rho.numel());

    [DllImport(Library, EntryPoint = "bnndsl_softplus_square")]
    static extern void NativeSoftplusSquare(ref float rho, ref float sigma, ref float square, long count);

    [DllImport(Library, EntryPoint = "bnndsl_sample_from_moments")]
    static extern void NativeSampleFromMoments(ref float mean, ref float variance, ref float noise, long count);

    [DllImport(Library, EntryPoint = "bnndsl_sample_given_moments")]
    static extern void NativeSampleGivenMoments(ref float mean, ref float variance, ref float noise, long count);

    [DllImport(Library, EntryPoint = "bnndsl_rho_gradient")]
    static extern void NativeRhoGradient(ref float squareGradient, ref float sigma, ref float sigmaGradient, ref float rho, long count);
}
