using System;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>KL divergences between a mean-field Gaussian q = N(μ, σ²) and a prior, summed over weights.</summary>
public static class Kl
{
    /// <summary>
    /// Closed form against Normal(m0, s0), per weight: log(s0/σ) + (σ² + (μ − m0)²) / (2 s0²) − ½ (METHODS.md §3).
    /// </summary>
    public static Tensor GaussianVsNormal(Tensor mu, Tensor sigma, double priorMean, double priorStd)
    {
        double inverseTwoVariance = 0.5 / (priorStd * priorStd);
        var centred = priorMean == 0 ? mu : mu - priorMean;
        var perWeight = (sigma.square() + centred.square()) * inverseTwoVariance - sigma.log();
        return perWeight.sum() + (Math.Log(priorStd) - 0.5) * mu.numel();
    }

    /// <summary>
    /// One-sample Monte Carlo estimate log q(w) − log p(w) at a reparameterised draw (unbiased for the KL; used when
    /// the prior has no closed form, Blundell et al. 2015). Since w = μ + σ ε, log q(w) = Σ(−ε²/2 − log σ) − (n/2) log 2π.
    /// </summary>
    public static Tensor MonteCarlo(GaussianDraw draw, Prior prior)
    {
        var logQ = draw.Noise.square().sum() * -0.5 - draw.Sigma.log().sum() - 0.5 * Math.Log(2 * Math.PI) * draw.Noise.numel();
        return logQ - prior.LogProb(draw.Sample);
    }

    /// <summary>Σ log N(x; μ, σ²).</summary>
    public static Tensor GaussianLogProb(Tensor x, Tensor mu, Tensor sigma)
    {
        var standardised = (x - mu) / sigma;
        return (standardised.square() * -0.5 - sigma.log()).sum() - 0.5 * Math.Log(2 * Math.PI) * x.numel();
    }
}
