using System;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// A factorised prior over weights (METHODS.md §2). Every prior exposes the summed log density; a closed-form KL
/// against a Gaussian and a Hessian exist only for some families, and generated code calls them only there.
/// </summary>
public abstract class Prior
{
    /// <summary>Σ_i log p(w_i), in nats, as a scalar tensor that carries gradients.</summary>
    public abstract Tensor LogProb(Tensor weights);

    /// <summary>−Σ_i log p(w_i): the penalty a MAP fit adds to the summed negative log likelihood.</summary>
    public Tensor NegativeLogProb(Tensor weights) => LogProb(weights).neg();

    /// <summary>Normal(mean, std): log p(w) = −½ log(2π s²) − (w − m)² / (2 s²).</summary>
    public static NormalPrior Normal(double mean, double std) => new(mean, std);

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
    public double Std { get; }

    public override Tensor LogProb(Tensor weights)
    {
        double logNormaliser = -0.5 * Math.Log(2 * Math.PI * Std * Std);
        var centred = Mean == 0 ? weights : weights - Mean; // a zero-mean prior needs no subtraction
        return centred.square().sum() * (-0.5 / (Std * Std)) + logNormaliser * weights.numel();
    }
}

/// <summary>The scale-mixture prior π N(0, σ1²) + (1 − π) N(0, σ2²), evaluated with logsumexp.</summary>
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

    public override Tensor LogProb(Tensor weights)
    {
        var squared = weights.square();
        var wide = squared * (-0.5 / (Sigma1 * Sigma1)) + (Math.Log(Pi) - Math.Log(Sigma1) - 0.5 * Math.Log(2 * Math.PI));
        var narrow = squared * (-0.5 / (Sigma2 * Sigma2)) + (Math.Log(1 - Pi) - Math.Log(Sigma2) - 0.5 * Math.Log(2 * Math.PI));
        return logaddexp(wide, narrow).sum();
    }
}
