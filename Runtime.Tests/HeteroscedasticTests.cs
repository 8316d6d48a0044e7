using System;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>The heteroscedastic Gaussian likelihood of docs/METHODS.md §1: s² = softplus(v) + 1e-6, per example.</summary>
public class HeteroscedasticTests
{
    [Fact]
    public void LogLikelihoodIsTheGaussianDensityWithTheOutputVariance()
    {
        using var model = new HeteroscedasticRegression();
        // Rows (mean, raw variance) and targets, against log N(y; m, softplus(v) + 1e-6) computed in double.
        double[,] rows = { { 0.3, -1.2 }, { -2.0, 0.0 }, { 1.5, 3.0 } };
        double[] targets = { 0.1, -1.0, 4.0 };
        using var output = tensor(new[] { 0.3f, -1.2f, -2.0f, 0.0f, 1.5f, 3.0f }).view(3, 2);
        using var y = tensor(targets.Select(t => (float)t).ToArray()).view(3, 1);
        using var logLikelihood = model.LogLikelihood(output, y);
        var actual = logLikelihood.data<float>().ToArray();
        for (int i = 0; i < 3; i++)
        {
            double variance = Math.Log(1 + Math.Exp(rows[i, 1])) + 1e-6;
            double expected = -0.5 * (Math.Log(2 * Math.PI * variance) + Math.Pow(targets[i] - rows[i, 0], 2) / variance);
            Assert.Equal(expected, actual[i], 1e-4); // float32 arithmetic on values of order 1
        }
    }

    [Fact]
    public void NoiseStdIsNotALevelButAnOutput()
    {
        using var model = new HeteroscedasticRegression();
        Assert.True(model.Heteroscedastic);
        Assert.Equal(1, model.TargetSize);
        var error = Assert.Throws<InvalidOperationException>(() => model.NoiseStd());
        Assert.Contains("heteroscedastic", error.Message);
    }

    /// <summary>
    /// y = x + s(x) ε with s = 0.05 for x &lt; 0 and 0.3 for x &gt; 0. With 2,000 points the maximum-likelihood noise
    /// level of each half has a relative standard error of 1/√(2 · 1000) ≈ 2.2%; the network must also fit the
    /// mean and the jump, so the predicted s away from the jump must be within 20% of the truth (about 9 standard
    /// errors), and the predictive variance of the MAP network must be exactly its predicted s².
    /// </summary>
    [Fact]
    public void LearnsANoiseLevelThatChangesWithTheInput()
    {
        manual_seed(3);
        const int n = 2000;
        using var x = rand(n, 1) * 2 - 1;
        using var noise = where(x.lt(0), 0.05f, 0.3f);
        using var y = x + noise * randn(n, 1);
        using var data = new LabelledData(x.clone(), y.clone(), "heteroscedastic line");
        using var model = new HeteroscedasticRegression();
        Trainer.Fit(model, data, new FitOptions { Epochs = 60, BatchSize = 64, LearningRate = 1e-2, Seed = 3 });

        using var probe = tensor(new[] { -0.6f, -0.4f, 0.4f, 0.6f }).view(4, 1);
        using var predictive = model.Predict(probe, samples: 1);
        var std = predictive.Variance.sqrt().data<float>().ToArray();
        Assert.All(std.Take(2), s => Assert.InRange(s, 0.05 * 0.8, 0.05 * 1.2));
        Assert.All(std.Skip(2), s => Assert.InRange(s, 0.3 * 0.8, 0.3 * 1.2));

        model.Mode = SampleMode.Mean;
        using var output = model.forward(probe);
        var (_, variance) = BayesianModule.SplitHeteroscedastic(output);
        Assert.Equal(variance.data<float>().ToArray(), predictive.Variance.data<float>().ToArray());
    }
}
