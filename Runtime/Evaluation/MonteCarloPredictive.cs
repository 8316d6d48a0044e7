using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// How a network's posterior predictive is computed: Monte Carlo over q for variational families and point estimates,
/// and, for the methods that need one, over stored samples or through a linearised model. Every implementation
/// returns the same <see cref="Predictive"/>. <see cref="BayesianModule.Predict"/> validates the arguments and calls it.
/// </summary>
public interface IPredictiveMethod
{
    /// <summary>The predictive of <paramref name="model"/> at <paramref name="inputs"/>, in batches, without gradients.</summary>
    Predictive Predict(BayesianModule model, Tensor inputs, int samples, int batchSize);
}

/// <summary>
/// A fit that runs on the training data after training, before prediction: a curvature pass and a marginal-likelihood
/// fit of the prior precision for Laplace. Variational families and point estimates have none.
/// </summary>
public interface IPosteriorFit
{
    /// <summary>Fits what the method needs beyond the trained parameters of <paramref name="model"/>.</summary>
    void Fit(BayesianModule model, LabelledData data, FitOptions options);
}

/// <summary>
/// The posterior predictive by Monte Carlo over q: the average of S forward passes in <see cref="SampleMode.Sample"/>
/// (probabilities, never logits), or one pass at the posterior mean for a network that does not sample (MAP). For
/// regression the predictive is the mixture of the draws' Gaussians: mean E[f], variance E[f²] − E[f]² + E[s²].
/// </summary>
public sealed class MonteCarloPredictive : IPredictiveMethod
{
    public static MonteCarloPredictive Instance { get; } = new();

    public Predictive Predict(BayesianModule model, Tensor inputs, int samples, int batchSize)
    {
        bool stochastic = model.IsStochastic;
        int draws = stochastic ? samples : 1;
        var previous = model.Mode;
        model.Mode = stochastic ? SampleMode.Sample : SampleMode.Mean;
        try
        {
            using var noGrad = no_grad();
            using var repeatedInputs = RepeatedInputMoments.Open(); // the first layer's moments once per batch
            long n = inputs.shape[0];
            var first = new List<Tensor>();
            var second = new List<Tensor>();
            bool categorical = model.Likelihood == Likelihood.Categorical;
            for (long start = 0; start < n; start += batchSize)
            {
                using var scope = NewDisposeScope();
                // Shaped once: every draw then gives the first layer the same tensor, whose moments it reuses.
                var batch = model.AsInputShape(inputs.narrow(0, start, Math.Min(batchSize, n - start)));
                Tensor? sum = null, sumSquares = null, sumNoise = null;
                for (int s = 0; s < draws; s++)
                {
                    // Each draw's activations are freed before the next, so memory does not grow with the samples.
                    using var drawScope = NewDisposeScope();
                    var output = model.forward(batch);
                    if (categorical)
                    {
                        Accumulate(ref sum, nn.functional.softmax(output, 1));
                        continue;
                    }
                    var (value, noise) = model.Heteroscedastic ? BayesianModule.SplitHeteroscedastic(output) : (output, null);
                    Accumulate(ref sum, value);
                    Accumulate(ref sumSquares, value.square());
                    if (noise is not null) Accumulate(ref sumNoise, noise);
                }
                var mean = sum! / draws;
                first.Add(mean.MoveToOuterDisposeScope());
                if (!categorical)
                {
                    var noise = sumNoise is null ? model.NoiseStd().square() : sumNoise / draws;
                    var variance = (sumSquares! / draws - mean.square()).clamp_min(0) + noise;
                    second.Add(variance.MoveToOuterDisposeScope());
                }
            }
            var firstAll = cat(first.ToArray(), 0);
            foreach (var t in first) t.Dispose();
            if (categorical) return Predictive.Categorical(firstAll, draws);
            var secondAll = cat(second.ToArray(), 0);
            foreach (var t in second) t.Dispose();
            return Predictive.Gaussian(firstAll, secondAll, draws);
        }
        finally { model.Mode = previous; }
    }

    // A running sum over draws that outlives the draw's dispose scope: a copy of the first term (a hand-written forward
    // may return a tensor it does not own), then each later term added in place.
    static void Accumulate(ref Tensor? sum, Tensor term)
    {
        if (sum is null) sum = term.clone().MoveToOuterDisposeScope();
        else sum.add_(term);
    }
}
