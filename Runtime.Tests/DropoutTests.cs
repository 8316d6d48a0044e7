using System;
using System.Linq;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>MC dropout (Gal &amp; Ghahramani 2016) against its definitions: the predictive as the average over masks, the penalty.</summary>
public class DropoutTests(ITestOutputHelper output)
{
    const double Rate = 0.3; // as declared on TinyDropoutLogistic

    /// <summary>
    /// With four inputs there are 16 masks: the exact predictive is Σ_m P(m) softmax(W (x ⊙ m)/(1 − p) + b). The Monte
    /// Carlo predictive of 20,000 samples must agree within its error (a probability's standard error ≤ 0.5/√20000);
    /// the posterior-mean pass drops nothing.
    /// </summary>
    [Fact]
    public void ThePredictiveAveragesTheMasksAndTheMeanPassDropsNone()
    {
        random.manual_seed(40);
        using var model = new TinyDropoutLogistic();
        var layer = (PointDense)model.Layers[0];
        Assert.True(model.IsStochastic);
        var x = randn(6, 4);
        Tensor exact = zeros(6, 3);
        using (no_grad())
        {
            for (int bits = 0; bits < 16; bits++)
            {
                var mask = tensor(Enumerable.Range(0, 4).Select(i => (bits >> i & 1) == 1 ? 1f : 0f).ToArray());
                int kept = Enumerable.Range(0, 4).Count(i => (bits >> i & 1) == 1);
                double probability = Math.Pow(1 - Rate, kept) * Math.Pow(Rate, 4 - kept);
                exact = exact + nn.functional.softmax(layer.Linear(x * mask / (1 - Rate)), 1) * probability;
            }
            model.Mode = SampleMode.Mean;
            Assert.True(model.forward(x).allclose(layer.Linear(x)), "the posterior mean dropped inputs");
        }
        const int Samples = 20000;
        using var predictive = model.Predict(x, Samples, batchSize: 6);
        double difference = (predictive.Probabilities - exact).abs().max().item<float>();
        output.WriteLine($"largest difference from the exact average over masks: {difference:E2}");
        Assert.True(difference < 4.5 * 0.5 / Math.Sqrt(Samples), $"{difference}");
    }

    /// <summary>The penalty (1 − p)(−log p(W)) − log p(b), and as weight decay (1 − p)/s² on the weights, 1/s² on the bias.</summary>
    [Fact]
    public void ThePenaltyScalesTheWeightsPriorByTheKeepProbability()
    {
        random.manual_seed(41);
        using var model = new TinyDropoutLogistic();
        var layer = (PointDense)model.Layers[0];
        var prior = Prior.Normal(0, 1);
        double expected = (1 - Rate) * prior.NegativeLogProb(layer.Weight).item<float>() + prior.NegativeLogProb(layer.Bias).item<float>();
        Assert.Equal(expected, layer.Complexity().item<float>(), 4);
        var decay = layer.WeightDecay.ToDictionary(d => d.Parameter.shape.Length, d => d.Precision);
        Assert.Equal(1 - Rate, decay[2], 12);
        Assert.Equal(1.0, decay[1], 12);
    }
}
