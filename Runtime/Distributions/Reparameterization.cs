using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// One reparameterised draw w = μ + σ ⊙ ε from a mean-field Gaussian, with the μ, σ and ε it was made from, so that
/// log q(w) = Σ(−ε²/2 − log σ) − (n/2) log 2π needs no division. The sample is either part of the autograd graph
/// (it feeds the likelihood) or detached (it serves a Monte Carlo KL only, which then gives μ and σ their gradients
/// in closed form).
/// </summary>
public readonly record struct GaussianDraw(Tensor Sample, Tensor Mean, Tensor Sigma, Tensor Noise)
{
    /// <summary>
    /// A draw from N(μ, σ²) for a Monte Carlo KL alone, not made yet: <see cref="Kl.MonteCarlo"/> makes it where it is
    /// used, which on the CPU means inside the fused kernel, without storing the noise or the sample. Its
    /// <see cref="Sample"/> and <see cref="Noise"/> are null until <see cref="Realize"/>.
    /// </summary>
    public static GaussianDraw Deferred(Tensor mean, Tensor sigma) => new(null!, mean, sigma, null!);

    /// <summary>True for a <see cref="Deferred"/> draw.</summary>
    public bool IsDeferred => Sample is null;

    /// <summary>This draw, or for a deferred one a draw w = μ + σ ⊙ ε made now, outside the autograd graph.</summary>
    public GaussianDraw Realize() => IsDeferred ? Reparameterization.DrawWithSigma(Mean, Sigma, differentiable: false) : this;

    /// <summary>True when every tensor is still alive (not disposed with the scope of an earlier step).</summary>
    public bool IsAlive => !Mean.IsInvalid && !Sigma.IsInvalid && (IsDeferred || (!Sample.IsInvalid && !Noise.IsInvalid));
}

/// <summary>Reparameterised draws from mean-field Gaussians, σ = softplus(ρ).</summary>
public static class Reparameterization
{
    /// <summary>Draws w = μ + softplus(ρ) ⊙ ε, ε ~ N(0, I), keeping σ and ε.</summary>
    public static GaussianDraw Draw(Tensor mu, Tensor rho) => DrawWithSigma(mu, Sigma(rho));

    /// <summary>
    /// Draws w = μ + σ ⊙ ε, ε ~ N(0, I), for a σ already computed; with <paramref name="differentiable"/> false the
    /// sample is computed outside the autograd graph.
    /// </summary>
    public static GaussianDraw DrawWithSigma(Tensor mu, Tensor sigma, bool differentiable = true)
    {
        var noise = NormalNoise.Like(mu);
        using (differentiable ? null : no_grad())
            return new GaussianDraw(mu + sigma * noise, mu, sigma, noise);
    }

    /// <summary>σ = softplus(ρ) = log(1 + e^ρ), positive and smooth.</summary>
    public static Tensor Sigma(Tensor rho) => nn.functional.softplus(rho);

    /// <summary>
    /// The pre-activation of a dense layer with W ~ N(μ_W, σ_W²), b ~ N(μ_b, σ_b²), σ = softplus(ρ), given input x:
    /// N(x μ_Wᵀ + μ_b, x² σ_Wᵀ² + σ_b²), sampled with one ε per example and output unit (Kingma et al. 2015); also
    /// σ_W and σ_b, part of the graph, for the KL. One autograd node for a minibatch x [batch, in]
    /// (<see cref="LocalLinearFunction"/>); recorded operation by operation for other shapes and when
    /// <see cref="CpuKernels.Enabled"/> is off, the reference the node is tested against.
    /// </summary>
    public static (Tensor Output, Tensor WeightSigma, Tensor BiasSigma) LocalLinear(Tensor input, Tensor weightMu, Tensor weightRho, Tensor biasMu, Tensor biasRho)
    {
        if (RunsAsOneNode(input, weightMu, biasMu))
            return LocalLinearFunction.Apply(input, weightMu, weightRho, biasMu, biasRho);
        var weightSigma = Sigma(weightRho);
        var biasSigma = Sigma(biasRho);
        var mean = nn.functional.linear(input, weightMu, biasMu);
        var variance = nn.functional.linear(input.square(), weightSigma.square(), biasSigma.square());
        return (mean + variance.sqrt() * NormalNoise.Like(mean), weightSigma, biasSigma);
    }

    /// <summary>
    /// The mean and variance of <see cref="LocalLinear"/>'s pre-activation for <paramref name="input"/>, by the same
    /// route and arithmetic, for draws that share them (<see cref="RepeatedInputMoments"/>). Records no graph.
    /// </summary>
    internal static (Tensor Mean, Tensor Variance) LocalLinearMoments(Tensor input, Tensor weightMu, Tensor weightRho, Tensor biasMu, Tensor biasRho)
    {
        using var noGrad = no_grad();
        if (RunsAsOneNode(input, weightMu, biasMu))
        {
            var moments = LocalLinearFunction.Moments(input, weightMu, weightRho, biasMu, biasRho);
            return (moments.Mean, moments.Variance);
        }
        var mean = nn.functional.linear(input, weightMu, biasMu);
        var variance = nn.functional.linear(input.square(), Sigma(weightRho).square(), Sigma(biasRho).square());
        return (mean, variance);
    }

    // The route LocalLinear takes: its autograd node for a minibatch, else operation by operation (the reference).
    static bool RunsAsOneNode(Tensor input, Tensor weightMu, Tensor biasMu) =>
        CpuKernels.Enabled && input.dim() == 2 && weightMu.dim() == 2 && biasMu.dim() == 1;

    /// <summary>A draw mean + √variance ⊙ ε with fresh noise ε, as <see cref="LocalLinear"/> makes it; the moments are kept.</summary>
    internal static Tensor SampleGivenMoments(Tensor mean, Tensor variance)
    {
        var noise = NormalNoise.Like(mean);
        // The arithmetic of the route LocalLinear takes: recorded operations, its node's libtorch fallback, or the kernel.
        if (!CpuKernels.Enabled) return mean + variance.sqrt() * noise;
        if (!CpuKernels.CanRun(mean.numel(), mean, variance, noise)) return mean.addcmul(variance.sqrt(), noise, 1);
        CpuKernels.SampleGivenMoments(mean, variance, noise);
        return noise;
    }
}
