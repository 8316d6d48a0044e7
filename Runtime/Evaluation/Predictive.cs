using System;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// A posterior predictive on a set of inputs. Categorical: <see cref="Probabilities"/> [n, classes], the average of
/// the per-sample softmax. Gaussian: <see cref="Mean"/> and <see cref="Variance"/> [n, targets] of the mixture.
/// Owns its tensors.
/// </summary>
public sealed class Predictive : IDisposable
{
    Predictive(Tensor? probabilities, Tensor? mean, Tensor? variance, int samples)
    {
        this.probabilities = probabilities;
        this.mean = mean;
        this.variance = variance;
        Samples = samples;
    }

    readonly Tensor? probabilities, mean, variance;

    public static Predictive Categorical(Tensor probabilities, int samples) => new(probabilities, null, null, samples);
    public static Predictive Gaussian(Tensor mean, Tensor variance, int samples) => new(null, mean, variance, samples);

    /// <summary>How many posterior draws were averaged (1 for MAP).</summary>
    public int Samples { get; }

    public Tensor Probabilities => probabilities ?? throw new InvalidOperationException("A regression predictive has no class probabilities.");
    public Tensor Mean => mean ?? throw new InvalidOperationException("A classification predictive has no mean; use Probabilities.");
    public Tensor Variance => variance ?? throw new InvalidOperationException("A classification predictive has no variance; use Probabilities.");

    public void Dispose()
    {
        probabilities?.Dispose();
        mean?.Dispose();
        variance?.Dispose();
    }
}
