using System;
using TorchSharp.Modules;
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
    /// Closed form against Normal(m0, s0), per weight: log(s0/σ) + (σ² + (μ − m0)²) / (2 s0²) − ½ (docs/METHODS.md §3).
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

    /// <summary>Molchanov et al.'s (2017) fit: k1 = 0.63576, k2 = 1.87320, k3 = 1.48695.</summary>
    public const double K1 = 0.63576, K2 = 1.87320, K3 = 1.48695;

    /// <summary>
    /// Against the log-uniform prior, per weight, Molchanov et al.'s (2017) approximation in t = log α, α = σ²/μ²:
    /// KL ≈ k1 − k1 s(k2 + k3 t) + ½ log(1 + e^(−t)), s the logistic function (zero as α → ∞). With
    /// dKL/dt = −k1 k3 s(1 − s) − ½ s(−t), ∂t/∂σ = 2/σ and ∂t/∂μ = −2/μ give the gradients.
    /// </summary>
    public static Tensor GaussianVsLogUniform(Tensor mu, Tensor sigma)
    {
        bool differentiate = is_grad_enabled() && (mu.requires_grad || sigma.requires_grad);
        var gradient = new ExplicitGradient();
        Tensor value;
        using (no_grad())
        {
            var (terms, muGradient, sigmaGradient) = LogUniformTerms(mu, sigma, differentiate);
            if (differentiate)
            {
                gradient.Add(mu, muGradient!);
                gradient.Add(sigma, sigmaGradient!);
            }
            value = terms.sum().to(mu.dtype);
        }
        return gradient.Attach(value);
    }

    /// <summary>The per-weight KL of <see cref="GaussianVsLogUniform"/> and, when asked, its derivatives in μ and σ.</summary>
    internal static (Tensor Terms, Tensor? MuGradient, Tensor? SigmaGradient) LogUniformTerms(Tensor mu, Tensor sigma, bool withGradient)
    {
        var logAlpha = 2 * (sigma.log() - mu.abs().clamp_min(1e-16).log());
        var s = (K2 + K3 * logAlpha).sigmoid();
        var terms = K1 - K1 * s + 0.5 * nn.functional.softplus(-logAlpha);
        if (!withGradient) return (terms, null, null);
        var slope = -K1 * K3 * s * (1 - s) - 0.5 * (-logAlpha).sigmoid(); // dKL/d log α
        var safeMu = where(mu.ge(0), mu.abs().clamp_min(1e-16), -mu.abs().clamp_min(1e-16)); // ∂t/∂μ = −2/μ, finite at μ = 0
        return (terms, slope * -2 / safeMu, slope * 2 / sigma);
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

    /// <summary>
    /// One tensor's KL gradient applied directly rather than through autograd: for q = N(μ, σ²), σ = softplus(ρ),
    /// against <paramref name="prior"/> — in closed form against a Normal, by one Monte Carlo draw against a scale
    /// mixture — adds <paramref name="scale"/> × ∂KL/∂μ to μ's gradient and <paramref name="scale"/> × ∂KL/∂ρ to ρ's
    /// (each created as zeros if backward left none): the gradient <see cref="GaussianVsNormal"/> and
    /// <see cref="MonteCarlo"/> give through autograd, with ∂σ/∂ρ = sigmoid(ρ). The trainer uses it to differentiate the
    /// likelihood alone and apply the KL the way it applies a MAP prior as weight decay: on the CPU in float32 one fused
    /// pass per tensor (<see cref="CpuKernels"/>), without the value's logarithms, the gradient tensors, the surrogate
    /// and the accumulation of the autograd route. Returns whether everything added was finite (off the CPU: true, unread).
    /// </summary>
    /// <remarks>
    /// <paramref name="sigma"/> is softplus(ρ) as this step's forward pass computed it. <paramref name="draw"/>, for a
    /// scale mixture, is the draw to evaluate at as the layer hands it over (<see cref="MeanFieldLayer.TakeWeightDraw"/>):
    /// the forward pass's own (its noise is used) or a <see cref="GaussianDraw.Deferred"/> one, made here from a fresh
    /// key. Unused for a Normal prior.
    /// </remarks>
    public static bool AddGradient(Parameter mu, Parameter rho, Tensor sigma, Prior prior, GaussianDraw? draw, double scale)
    {
        if (prior is not (NormalPrior or ScaleMixturePrior or LogUniformPrior))
            throw new ArgumentException($"No KL against {prior.GetType().Name}: priors are Normal, ScaleMixture or LogUniform.", nameof(prior));
        if (prior is ScaleMixturePrior && draw is null) throw new ArgumentNullException(nameof(draw), "A Monte Carlo KL needs the layer's draw.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var muGradient = mu.grad ?? (mu.grad = zeros_like(mu)); // the parameter holds its own reference to a new gradient
        var rhoGradient = rho.grad ?? (rho.grad = zeros_like(rho));
        var noise = draw is { IsDeferred: false } realised ? realised.Noise : null;
        if (prior is not LogUniformPrior && CpuKernels.CanRun(mu.numel(), mu, rho, sigma, muGradient, rhoGradient) && (noise is null || CpuKernels.CanRun(mu.numel(), noise)))
            return CpuKernels.KlAddGradient(mu, rho, sigma, prior, noise, scale, muGradient, rhoGradient);
        // The libtorch formulation: the gradients of GaussianVsNormal and MonteCarlo, the chain rule through softplus spelled out.
        Tensor muTerm, sigmaTerm;
        if (prior is NormalPrior normal)
        {
            double precision = 1 / (normal.Std * normal.Std);
            (muTerm, sigmaTerm) = ((mu - normal.Mean) * precision, sigma * precision - sigma.reciprocal());
        }
        else if (prior is LogUniformPrior)
        {
            var (_, muPart, sigmaPart) = LogUniformTerms(mu, sigma, withGradient: true);
            (muTerm, sigmaTerm) = (muPart!, sigmaPart!);
        }
        else
        {
            var sample = draw!.Value.IsDeferred ? Reparameterization.DrawWithSigma(mu, sigma, differentiable: false) : draw.Value;
            var (_, priorGradient) = prior.NegativeLogProbAndGradient(sample.Sample, withGradient: true);
            (muTerm, sigmaTerm) = (priorGradient!, priorGradient!.mul(sample.Noise).sub_(sigma.reciprocal()));
        }
        muTerm.mul_(scale);
        sigmaTerm.mul_(rho.sigmoid()).mul_(scale);
        muGradient.add_(muTerm);
        rhoGradient.add_(sigmaTerm);
        // Off the CPU a read would make the step wait for the device: the caller checks the gradients there (the
        // trainer folds every gradient into its once-an-epoch flag).
        if (mu.device_type != TorchSharp.DeviceType.CPU) return true;
        return muTerm.isfinite().all().item<bool>() && sigmaTerm.isfinite().all().item<bool>();
    }
}
