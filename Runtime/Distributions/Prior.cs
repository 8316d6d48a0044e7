using System;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// A factorised prior over weights (docs/METHODS.md §2). Every prior exposes the summed log density; a closed-form KL
/// against a Gaussian and a Hessian exist only for some families, and generated code calls them only there.
/// Densities take several tensors at once (a layer's weights and bias, or every layer under one prior) and return one
/// scalar whose gradient is given in closed form (<see cref="ExplicitGradient"/>) rather than recorded by autograd.
/// </summary>
public abstract class Prior
{
    /// <summary>Σ log p(w) over every element of <paramref name="tensors"/>, in nats, as a scalar that carries gradients.</summary>
    public Tensor LogProb(params Tensor[] tensors) => NegativeLogProb(tensors).neg();

    /// <summary>−Σ log p(w): the penalty a MAP fit adds to the summed negative log likelihood, and the prior's part of a Monte Carlo KL.</summary>
    public Tensor NegativeLogProb(params Tensor[] tensors)
    {
        if (tensors.Length == 0) throw new ArgumentException("At least one tensor is needed.", nameof(tensors));
        var gradient = new ExplicitGradient();
        Tensor? sum = null;
        long count = 0;
        bool differentiate = is_grad_enabled();
        using (no_grad())
        {
            foreach (var tensor in tensors)
            {
                var (term, perElementGradient) = NegativeLogDensity(tensor, withGradient: differentiate && tensor.requires_grad);
                sum = sum is null ? term : sum + term;
                if (perElementGradient is not null) gradient.Add(tensor, perElementGradient);
                count += tensor.numel();
            }
        }
        return gradient.Attach(sum! + NegativeLogNormaliser * count);
    }

    /// <summary>−Σ log p(w) over the elements of <paramref name="w"/> without graph, and, when asked, −d log p/dw elementwise.</summary>
    internal (Tensor Value, Tensor? Gradient) NegativeLogProbAndGradient(Tensor w, bool withGradient)
    {
        var (sum, gradient) = NegativeLogDensity(w, withGradient);
        return (sum + NegativeLogNormaliser * w.numel(), gradient);
    }

    /// <summary>
    /// Σ over the elements of w of −log p(w) without its constant (<see cref="NegativeLogNormaliser"/> per element), as a
    /// scalar without graph, and, when asked, its elementwise derivative −d log p/dw.
    /// </summary>
    protected abstract (Tensor Sum, Tensor? Gradient) NegativeLogDensity(Tensor w, bool withGradient);

    /// <summary>The part of −log p(w) that does not depend on w, per element.</summary>
    protected abstract double NegativeLogNormaliser { get; }

    /// <summary>Normal(mean, std): log p(w) = −½ log(2π s²) − (w − m)² / (2 s²).</summary>
    public static NormalPrior Normal(double mean, double std) => new(mean, std);

    /// <summary>The log-uniform prior p(w) ∝ 1/|w| (improper), for mean-field layers (Kingma et al. 2015; Molchanov et al. 2017).</summary>
    public static LogUniformPrior LogUniform() => new();

    /// <summary>π N(0, σ1²) + (1 − π) N(0, σ2²) with σ1 &gt; σ2 (Blundell et al. 2015).</summary>
    public static ScaleMixturePrior ScaleMixture(double pi, double sigma1, double sigma2) => new(pi, sigma1, sigma2);
}

/// <summary>The Normal prior N(mean, std²) on every weight.</summary>
public sealed class NormalPrior : Prior
{
    public NormalPrior(double mean, double std)
    {
        if (!(std > 0) || double.IsInfinity(std)) throw new ArgumentOutOfRangeException(nameof(std), std, "The prior's std must be positive and finite.");
        Mean = mean;
        Std = std;
    }

    public double Mean { get; }

    /// <summary>
    /// The standard deviation s: state, not a constant, so that a fit after training (a marginal-likelihood fit of the
    /// prior precision) can tune it. A step rule reads it as weight decay when a fit starts.
    /// </summary>
    public double Std
    {
        get => std;
        set => std = value > 0 && !double.IsInfinity(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "The prior's std must be positive and finite.");
    }
    double std;

    /// <summary>The precision 1/s².</summary>
    public double Precision => 1 / (Std * Std);

    protected override double NegativeLogNormaliser => 0.5 * Math.Log(2 * Math.PI * Std * Std);

    protected override (Tensor Sum, Tensor? Gradient) NegativeLogDensity(Tensor w, bool withGradient)
    {
        // (w − m)² / (2 s²) summed is one dot product; its derivative is (w − m) / s².
        double precision = 1 / (Std * Std);
        var centred = (Mean == 0 ? w : w - Mean).reshape(-1);
        return (centred.dot(centred) * (0.5 * precision), withGradient ? centred.view(w.shape) * precision : null);
    }
}

/// <summary>The scale-mixture prior π N(0, σ1²) + (1 − π) N(0, σ2²).</summary>
public sealed class ScaleMixturePrior : Prior
{
    public ScaleMixturePrior(double pi, double sigma1, double sigma2)
    {
        if (!(pi > 0 && pi < 1)) throw new ArgumentOutOfRangeException(nameof(pi), pi, "The mixture weight must lie in (0, 1).");
        if (!(sigma2 > 0) || !(sigma1 > sigma2) || double.IsInfinity(sigma1))
            throw new ArgumentOutOfRangeException(nameof(sigma1), sigma1, "The scale mixture needs sigma1 > sigma2 > 0.");
        Pi = pi;
        Sigma1 = sigma1;
        Sigma2 = sigma2;
    }

    public double Pi { get; }
    public double Sigma1 { get; }
    public double Sigma2 { get; }

    // log(a e^{−r/2σ1²} + b e^{−r/2σ2²}) with r = w², a = π/(σ1√2π), b = (1 − π)/(σ2√2π), written as
    // log a − r/2σ1² + softplus(z), z = log(b/a) − r (1/2σ2² − 1/2σ1²): a stable softplus instead of logaddexp.
    internal double LogA => Math.Log(Pi) - Math.Log(Sigma1) - 0.5 * Math.Log(2 * Math.PI);
    double LogB => Math.Log(1 - Pi) - Math.Log(Sigma2) - 0.5 * Math.Log(2 * Math.PI);
    internal double LogRatio => LogB - LogA;
    internal double Wide => 0.5 / (Sigma1 * Sigma1);
    internal double Gap => 0.5 / (Sigma2 * Sigma2) - Wide;

    protected override double NegativeLogNormaliser => -LogA;

    protected override (Tensor Sum, Tensor? Gradient) NegativeLogDensity(Tensor w, bool withGradient)
    {
        var squared = w.square();
        // z runs to −10⁴ and below for weights away from 0; clamped at −80, exp(z) stays out of float32's subnormal
        // range, where x86 computes several times slower, and softplus(z) < 2·10⁻³⁵ changes no sum.
        var z = (squared * -Gap + LogRatio).clamp_min_(-80);
        var sum = squared.sum() * Wide - nn.functional.softplus(z).sum();
        // −d log p/dw = 2w (1/2σ1² + gap · sigmoid(z)): the narrow component's pull, weighted by its responsibility.
        return (sum, withGradient ? w * (z.sigmoid_() * (2 * Gap) + 2 * Wide) : null);
    }
}

/// <summary>
/// The log-uniform prior p(w) ∝ 1/|w| (improper: −log p(w) = log |w| up to a constant). A mean-field layer's KL against it
/// depends on α = σ²/μ² alone; <see cref="Kl.GaussianVsLogUniform"/> computes Molchanov et al.'s approximation.
/// </summary>
public sealed class LogUniformPrior : Prior
{
    protected override double NegativeLogNormaliser => 0;

    protected override (Tensor Sum, Tensor? Gradient) NegativeLogDensity(Tensor w, bool withGradient) =>
        (w.abs().log().sum(), withGradient ? w.reciprocal() : null);
}
