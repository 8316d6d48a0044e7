using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>Reparameterised draws from mean-field Gaussians, σ = softplus(ρ).</summary>
public static class Reparameterization
{
    /// <summary>σ = softplus(ρ) = log(1 + e^ρ), positive and smooth.</summary>
    public static Tensor Sigma(Tensor rho) => nn.functional.softplus(rho);

    /// <summary>w = μ + softplus(ρ) ⊙ ε, ε ~ N(0, I).</summary>
    public static Tensor Sample(Tensor mu, Tensor rho) => mu + Sigma(rho) * randn_like(mu);

    /// <summary>
    /// The pre-activation of a dense layer with W ~ N(μ_W, σ_W²), b ~ N(μ_b, σ_b²) given input x:
    /// N(x μ_Wᵀ + μ_b, x² σ_Wᵀ² + σ_b²), sampled with one ε per example and output unit.
    /// </summary>
    public static Tensor LocalLinear(Tensor input, Tensor weightMu, Tensor weightRho, Tensor biasMu, Tensor biasRho)
    {
        var mean = nn.functional.linear(input, weightMu, biasMu);
        var weightSigma = Sigma(weightRho);
        var biasSigma = Sigma(biasRho);
        var variance = nn.functional.linear(input.square(), weightSigma.square(), biasSigma.square());
        return mean + variance.sqrt() * randn_like(mean);
    }
}
