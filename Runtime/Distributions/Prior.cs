using System;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// A factorised prior over weights (METHODS.md §2). Every prior exposes the summed log density; a closed-form KL
/// against a Gaussian and a Hessian exist only for some families, and generated code calls them only there.
/// Densities take several tensors at once (a layer's weights and bias, or every layer under one prior) and return one
/// scalar: every tensor still needs its own elementwise kernels, but the scalar bookkeeping — a few kernel launches
/// each, which cost as much as the arithmetic for a network of this size — happens once.
/// </summary>
public abstract class Prior
{
    /// <summary>Σ log p(w) over every element of <paramref name="tensors"/>, in nats, as a scalar that carries gradients.</summary>
    public Tensor LogProb(params Tensor[] tensors) => SumOverTensors(tensors, negate: false);

    /// <summary>−Σ log p(w): the penalty a MAP fit adds to the summed negative log likelihood.</summary>
    public Tensor NegativeLogProb(params Tensor[] tensors) => SumOverTensors(tensors, negate: true);

    /// <summary>±Σ log p(w) over all tensors; <paramref name="negate"/> folds the sign into the constants.</summary>
    protected abstract Tensor SumOverTensors(Tensor[] tensors, bool negate);

    /// <summary>Normal(mean, std): log p(w) = −½ log(2π s²) − (w − m)² / (2 s²).</summary>
    public static NormalPrior Normal(double mean, double std) => new(mean, std);

    /// <summary>π N(0, σ1²) + (1 − π) N(0, σ2²) with σ1 &gt; σ2 (Blundell et al. 2015).</summary>
    public static ScaleMixturePrior ScaleMixture(double pi, double sigma1, double sigma2) => new(pi, sigma1, sigma2);

    /// <summary>Σ_t Σ f(t): adds per-tensor scalars, and counts the elements.</summary>
    protected static (Tensor Sum, long Count) SumEach(Tensor[] tensors, Func<Tensor, Tensor> perTensorSum)
    {
        if (tensors.Length == 0) throw new ArgumentException("At least one tensor is needed.", nameof(tensors));
        Tensor? sum = null;
        long count = 0;
        foreach (var tensor in tensors)
        {
            var term = perTensorSum(tensor);
            sum = sum is null ? term : sum + term;
            count += tensor.numel();
        }
        return (sum!, count);
    }
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
    public double Std { get; }

    protected override Tensor SumOverTensors(Tensor[] tensors, bool negate)
    {
        // A zero-mean prior needs no subtraction.
        var (squares, count) = SumEach(tensors, t => (Mean == 0 ? t : t - Mean).square().sum());
        double sign = negate ? -1 : 1;
        double logNormaliser = -0.5 * Math.Log(2 * Math.PI * Std * Std);
        return squares * (sign * -0.5 / (Std * Std)) + sign * logNormaliser * count;
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

    protected override Tensor SumOverTensors(Tensor[] tensors, bool negate)
    {
        // log(a e^{−r/2σ1²} + b e^{−r/2σ2²}) with r = w², a = π/(σ1√2π), b = (1 − π)/(σ2√2π), written as
        // log a − r/2σ1² + softplus(log(b/a) − r (1/2σ2² − 1/2σ1²)): a stable softplus instead of logaddexp, which
        // costs several times more here, with the same value and gradient.
        double logA = Math.Log(Pi) - Math.Log(Sigma1) - 0.5 * Math.Log(2 * Math.PI);
        double logB = Math.Log(1 - Pi) - Math.Log(Sigma2) - 0.5 * Math.Log(2 * Math.PI);
        double wide = 0.5 / (Sigma1 * Sigma1), gap = 0.5 / (Sigma2 * Sigma2) - wide;
        var (sum, count) = SumEach(tensors, t =>
        {
            var squared = t.square();
            return nn.functional.softplus(squared * -gap + (logB - logA)).sum() - squared.sum() * wide;
        });
        return negate ? sum.neg() - logA * count : sum + logA * count;
    }
}
