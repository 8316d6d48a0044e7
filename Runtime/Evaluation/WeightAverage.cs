using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// The predictive of a posterior given as weight settings — Laplace's weight draws, a sampler's kept samples: for each
/// setting the network runs its posterior-mean pass over every batch; classification averages the softmax,
/// regression takes the mixture's mean and variance plus the noise's. Sums run in float64; the result is in the
/// network's dtype.
/// </summary>
internal static class WeightAverage
{
    /// <param name="model">The network whose weights <paramref name="apply"/> sets.</param>
    /// <param name="inputs">The inputs, moved batch by batch to <paramref name="device"/>.</param>
    /// <param name="device">Where the network's weights live.</param>
    /// <param name="batchSize">Inputs per forward pass.</param>
    /// <param name="count">How many weight settings to average over.</param>
    /// <param name="apply">Sets the weights to setting k and returns what undoes it (run once that setting's passes are done).</param>
    /// <param name="noiseVariance">The likelihood's noise variance, read for regression only.</param>
    public static Predictive Predict(BayesianModule model, Tensor inputs, Device device, int batchSize, int count, Func<int, Action> apply,
        Func<double> noiseVariance)
    {
        var previousMode = model.Mode;
        model.Mode = SampleMode.Mean;
        using var noGrad = no_grad();
        bool categorical = model.Likelihood == Likelihood.Categorical;
        Tensor? sum = null, sumOfSquares = null;
        var dtype = ScalarType.Float32;
        try
        {
            for (int k = 0; k < count; k++)
            {
                using var scope = NewDisposeScope();
                var undo = apply(k);
                try
                {
                    var outputs = new List<Tensor>();
                    for (long start = 0; start < inputs.shape[0]; start += batchSize)
                        outputs.Add(model.forward(inputs.narrow(0, start, Math.Min(batchSize, inputs.shape[0] - start)).to(device)));
                    var output = cat(outputs.ToArray(), 0);
                    dtype = output.dtype;
                    var wide = output.to(ScalarType.Float64);
                    var value = categorical ? nn.functional.softmax(wide, 1) : wide;
                    if (sum is null) sum = zeros_like(value).MoveToOuterDisposeScope();
                    sum.add_(value);
                    if (categorical) continue;
                    if (sumOfSquares is null) sumOfSquares = zeros_like(value).MoveToOuterDisposeScope();
                    sumOfSquares.add_(wide.square());
                }
                finally { undo(); }
            }
        }
        finally { model.Mode = previousMode; }
        using var totals = sum!;
        if (categorical) return Predictive.Categorical((totals / count).to(dtype), count);
        using var squares = sumOfSquares!;
        using var mean = totals / count;
        using var variance = (squares / count - mean.square()).clamp_min_(0) + noiseVariance();
        return Predictive.Gaussian(mean.to(dtype), variance.to(dtype), count);
    }
}
