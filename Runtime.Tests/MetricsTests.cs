using System;
using Xunit;

namespace BnnDsl.Runtime.Tests;

/// <summary>Uncertainty metrics against values computed by hand.</summary>
public class MetricsTests
{
    static readonly double[][] Probabilities =
    {
        new[] { 0.7, 0.2, 0.1 },   // label 0: right, confidence 0.7
        new[] { 0.1, 0.6, 0.3 },   // label 2: wrong, confidence 0.6
        new[] { 0.05, 0.05, 0.9 }, // label 2: right, confidence 0.9
        new[] { 0.5, 0.25, 0.25 }, // label 1: wrong, confidence 0.5
    };
    static readonly long[] Labels = { 0, 2, 2, 1 };

    [Fact]
    public void ErrorNllBrierAndEntropyMatchHandComputation()
    {
        var m = Metrics.Evaluate(Probabilities, Labels);
        Assert.Equal(0.5, m.Error, 12);
        Assert.Equal(-(Math.Log(0.7) + Math.Log(0.3) + Math.Log(0.9) + Math.Log(0.25)) / 4, m.Nll, 12);
        double brier = ((0.09 + 0.04 + 0.01) + (0.01 + 0.36 + 0.49) + (0.0025 + 0.0025 + 0.01) + (0.25 + 0.5625 + 0.0625)) / 4;
        Assert.Equal(brier, m.Brier, 12);
        static double H(params double[] p) { double h = 0; foreach (var x in p) h -= x * Math.Log(x); return h; }
        Assert.Equal((H(0.7, 0.2, 0.1) + H(0.1, 0.6, 0.3) + H(0.05, 0.05, 0.9) + H(0.5, 0.25, 0.25)) / 4, m.MeanEntropy, 12);
    }

    [Fact]
    public void EceUsesFifteenEqualWidthBins()
    {
        // Confidences 0.7, 0.6, 0.9, 0.5 fall in bins (0.667, 0.733], (0.533, 0.6], (0.867, 0.933], (0.467, 0.533]:
        // one example each, so ECE = mean |correct − confidence| = (0.3 + 0.6 + 0.1 + 0.5) / 4.
        Assert.Equal((0.3 + 0.6 + 0.1 + 0.5) / 4, Metrics.Ece(Probabilities, Labels), 12);
        // Two examples sharing a bin are averaged before the absolute value.
        var shared = new[] { new[] { 0.62, 0.38 }, new[] { 0.64, 0.36 } };
        Assert.Equal(Math.Abs(0.5 - 0.63), Metrics.Ece(shared, new long[] { 0, 1 }), 12);
        var bins = Metrics.Reliability(shared, new long[] { 0, 1 });
        Assert.Equal(15, bins.Length);
        Assert.Equal(2, bins[9].Count); // (0.6, 0.6667]
    }

    [Fact]
    public void AurocIsTheMannWhitneyProbabilityWithTiesCountingHalf()
    {
        Assert.Equal(1.0, Metrics.Auroc(new[] { 0.1, 0.2 }, new[] { 0.3, 0.4 }), 12);
        Assert.Equal(0.0, Metrics.Auroc(new[] { 0.3, 0.4 }, new[] { 0.1, 0.2 }), 12);
        // Pairs (neg, pos): (1,2) win, (1,0.5) loss, (1,1) tie, (3,2) loss, (3,0.5) loss, (3,1) loss → 1.5 / 6.
        Assert.Equal(1.5 / 6, Metrics.Auroc(new[] { 1.0, 3.0 }, new[] { 2.0, 0.5, 1.0 }), 12);
    }

    [Fact]
    public void MedianTakesTheMiddleValueOrTheMeanOfTheTwoMiddleOnes()
    {
        Assert.Equal(2.0, Statistics.Median(new[] { 3.0, 1.0, 2.0 }));
        Assert.Equal(2.5, Statistics.Median(new[] { 4.0, 1.0, 3.0, 2.0 }));
        Assert.Throws<ArgumentException>(() => Statistics.Median(Array.Empty<double>()));
    }
}
