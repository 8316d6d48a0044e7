using System;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// KL divergences between a mean-field Gaussian q = N(μ, σ²) and a prior, summed over weights. Values are computed
/// without an autograd graph and carry their gradients in closed form (<see cref="ExplicitGradient"/>); for float32
/// on the CPU the Monte Carlo KL against a scale mixture runs as one fused pass (<see cref="CpuKernels"/>), the
/// libtorch operations below being the reference everywhere else.
/// </summary>
public static class Kl
{
    /// <summary>
    /// Closed form against Normal(m0, s0), per weight: log(s0/σ) + (σ² + (μ − m0)²) / (2 s0²) − ½ (METHODS.md §3).
    /// Gradients: ∂/∂μ = (μ − m0)/s0², ∂/∂σ = σ/s0² − 1/σ.
    /// </summary>
    public static Tensor GaussianVsNormal(Tensor mu, Tensor sigma, double priorMean, double priorStd)
    {
        double precision = 1 / (priorStd * priorStd);
        bool differentiate = is_grad_enabled() && (mu.requires_grad || sigma.requires_grad);
        var gradient = new ExplicitGradient();
        Tensor value;
        using (no_grad())
        {
            var (centredSquares, sigmaSquares, logSigmas, muGradient, sigmaGradient) = CpuKernels.CanRun(mu.numel(), mu, sigma)
                ? CpuKernels.GaussianKl(mu, sigma, priorMean, precision, differentiate)
                : GaussianKlTerms(mu, sigma, priorMean, precision, differentiate);
            if (differentiate)
            {
                gradient.Add(mu, muGradient!);
                gradient.Add(sigma, sigmaGradient!);
            }
            value = ((centredSquares + sigmaSquares) * (0.5 * precision) - logSigmas + (Math.Log(priorStd) - 0.5) * mu.numel()).to(mu.dtype);
        }
        return gradient.Attach(value);
    }

    /// <summary>The libtorch formulation of <see cref="CpuKernels.GaussianKl"/>: the three sums as scalar tensors, and the gradients.</summary>
    static (Tensor CentredSquares, Tensor SigmaSquares, Tensor LogSigmas, Tensor? MuGradient, Tensor? SigmaGradient)
        GaussianKlTerms(Tensor mu, Tensor sigma, double priorMean, double precision, bool withGradient)
    {
        var centred = (priorMean == 0 ? mu : mu - priorMean).reshape(-1);
        var flatSigma = sigma.reshape(-1);
        return (centred.dot(centred), flatSigma.dot(flatSigma), flatSigma.log().sum(),
            withGradient ? centred.view(mu.shape) * precision : null,
            withGradient ? sigma * precision - sigma.reciprocal() : null);
    }

    /// <summary>
    /// One-sample Monte Carlo estimate log q(w) − log p(w) at reparameterised draws, summed over all of them (unbiased
    /// for the KL; used when the prior has no closed form, Blundell et al. 2015). Since w = μ + σ ε,
    /// log q(w) = Σ(−ε²/2 − log σ) − (n/2) log 2π, whose derivative at fixed ε is −1/σ. The prior's derivative
    /// g = −d log p/dw reaches μ and σ through a sample that is part of the graph (it also fed the likelihood), and is
    /// applied directly otherwise: ∂/∂μ = g, ∂/∂σ = g ε.
    /// </summary>
    public static Tensor MonteCarlo(Prior prior, params GaussianDraw[] draws)
    {
        if (draws.Length == 0) throw new ArgumentException("At least one draw is needed.", nameof(draws));
        bool differentiate = is_grad_enabled();
        var gradient = new ExplicitGradient();
        Tensor? value = null;
        using (no_grad())
        {
            foreach (var candidate in draws)
            {
                if (prior is ScaleMixturePrior mixture && (candidate.IsDeferred
                        ? CpuKernels.CanRun(candidate.Mean.numel(), candidate.Mean, candidate.Sigma)
                        : CpuKernels.CanRun(candidate.Sample.numel(), candidate.Sample, candidate.Mean, candidate.Noise, candidate.Sigma)))
                {
                    var fused = FusedMonteCarloTerm(mixture, candidate, differentiate, gradient);
                    value = value is null ? fused : value + fused;
                    continue;
                }
                var draw = candidate.Realize();
                var noise = draw.Noise.reshape(-1);
                var (negativeLogPrior, priorGradient) = prior.NegativeLogProbAndGradient(draw.Sample, differentiate);
                var term = noise.dot(noise) * -0.5 - draw.Sigma.log().sum() - 0.5 * Math.Log(2 * Math.PI) * noise.numel()
                    + negativeLogPrior;
                value = value is null ? term : value + term;
                if (!differentiate) continue;
                var sigmaGradient = draw.Sigma.reciprocal().neg_();
                if (draw.Sample.requires_grad) gradient.Add(draw.Sample, priorGradient!);
                else
                {
                    gradient.Add(draw.Mean, priorGradient!);
                    sigmaGradient.addcmul_(priorGradient!, draw.Noise, 1);
                }
                gradient.Add(draw.Sigma, sigmaGradient);
            }
        }
        return gradient.Attach(value!);
    }

    /// <summary>
    /// One draw's term of <see cref="MonteCarlo"/> against a scale mixture, from one fused pass (<see cref="CpuKernels"/>),
    /// which for a deferred draw also makes the draw.
    /// </summary>
    static Tensor FusedMonteCarloTerm(ScaleMixturePrior prior, GaussianDraw draw, bool differentiate, ExplicitGradient gradient)
    {
        bool detached = draw.IsDeferred || !draw.Sample.requires_grad;
        bool withGradient = differentiate && (!detached || draw.Mean.requires_grad || draw.Sigma.requires_grad);
        var (noiseSquares, logSigmas, squares, softpluses, priorGradient, sigmaGradient) =
            CpuKernels.ScaleMixtureMonteCarloKl(draw, prior, withGradient, noiseReachesSigma: detached);
        // The libtorch path's formula: log q = −½ Σε² − Σ log σ − (n/2) log 2π, and −log p as ScaleMixturePrior has it.
        long n = draw.Mean.numel();
        double logQ = -0.5 * noiseSquares - logSigmas - 0.5 * Math.Log(2 * Math.PI) * n;
        double negativeLogPrior = prior.Wide * squares - softpluses - prior.LogA * n;
        if (withGradient)
        {
            gradient.Add(detached ? draw.Mean : draw.Sample, priorGradient!);
            gradient.Add(draw.Sigma, sigmaGradient!);
        }
        return tensor(logQ + negativeLogPrior, dtype: draw.Mean.dtype);
    }
}
