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
    /// One-sample Monte Carlo estimate log q(w) − log p(w) at reparameterised draws, summed over all of them (unbiased
    /// for the KL; used when the prior has no closed form, Blundell et al. 2015). Since w = μ + σ ε,
    /// log q(w) = Σ(−ε²/2 − log σ) − (n/2) log 2π.
    /// </summary>
    public static Tensor MonteCarlo(Prior prior, params GaussianDraw[] draws)
    {
        if (draws.Length == 0) throw new ArgumentException("At least one draw is needed.", nameof(draws));
        Tensor? sumSquaredNoise = null, sumLogSigma = null;
        long count = 0;
        var samples = new Tensor[draws.Length];
        for (int i = 0; i < draws.Length; i++)
        {
            var squaredNoise = draws[i].Noise.square().sum();
            var logSigma = draws[i].Sigma.log().sum();
            sumSquaredNoise = sumSquaredNoise is null ? squaredNoise : sumSquaredNoise + squaredNoise;
            sumLogSigma = sumLogSigma is null ? logSigma : sumLogSigma + logSigma;
            count += draws[i].Noise.numel();
            samples[i] = draws[i].Sample;
        }
        var logQ = sumSquaredNoise! * -0.5 - sumLogSigma! - 0.5 * Math.Log(2 * Math.PI) * count;
        return logQ + prior.NegativeLogProb(samples);
    }
}
