using System;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>The fast CPU normal generator against the normal distribution itself.</summary>
public class GaussianNoiseTests
{
    const int N = 1 << 20;

    static double[] Draw(long seed, int n = N)
    {
        random.manual_seed(seed);
        using var noise = GaussianNoise.Like(empty(n));
        return noise.data<float>().ToArray().Select(v => (double)v).ToArray();
    }

    [Fact]
    public void MomentsAreThoseOfAStandardNormal()
    {
        var z = Draw(1);
        double mean = z.Average();
        double variance = z.Select(v => (v - mean) * (v - mean)).Sum() / (N - 1);
        double kurtosis = z.Select(v => Math.Pow(v - mean, 4)).Average() / (variance * variance);
        // Standard errors for n draws: mean 1/√n, variance √(2/n), kurtosis √(24/n); 4 SE each.
        Assert.True(Math.Abs(mean) < 4 / Math.Sqrt(N), $"mean {mean}");
        Assert.True(Math.Abs(variance - 1) < 4 * Math.Sqrt(2.0 / N), $"variance {variance}");
        Assert.True(Math.Abs(kurtosis - 3) < 4 * Math.Sqrt(24.0 / N), $"kurtosis {kurtosis}");
    }

    [Fact]
    public void TheDistributionPassesAKolmogorovSmirnovTest()
    {
        var z = Draw(2, 200_000).OrderBy(v => v).ToArray();
        double d = 0;
        for (int i = 0; i < z.Length; i++)
        {
            double cdf = 0.5 * (1 + Erf(z[i] / Math.Sqrt(2)));
            d = Math.Max(d, Math.Max(Math.Abs(cdf - (double)i / z.Length), Math.Abs(cdf - (double)(i + 1) / z.Length)));
        }
        // Critical value at the 0.1% level: 1.95 / √n.
        Assert.True(d < 1.95 / Math.Sqrt(z.Length), $"KS statistic {d}");
    }

    [Fact]
    public void NeighbouringDrawsAndChunksAreUncorrelated()
    {
        var z = Draw(3);
        foreach (int lag in new[] { 1, 2, 4096, 8192 }) // within a pair, between the cos and sin halves, between chunks
        {
            double correlation = Enumerable.Range(0, N - lag).Sum(i => z[i] * z[i + lag]) / (N - lag);
            Assert.True(Math.Abs(correlation) < 4 / Math.Sqrt(N - lag), $"lag {lag}: {correlation}");
        }
    }

    [Fact]
    public void TheTorchSeedFixesTheDrawsAndSuccessiveCallsDiffer()
    {
        Assert.Equal(Draw(7, 10_000), Draw(7, 10_000));
        random.manual_seed(7);
        using var first = GaussianNoise.Like(empty(10_000));
        using var second = GaussianNoise.Like(empty(10_000));
        Assert.False(first.eq(second).all().item<bool>());
    }

    [Fact]
    public void OtherDtypesFallBackToLibtorch()
    {
        using var doubles = GaussianNoise.Like(empty(5000, dtype: ScalarType.Float64));
        Assert.Equal(ScalarType.Float64, doubles.dtype);
        Assert.InRange(doubles.std().item<double>(), 0.9, 1.1);
    }

    // Abramowitz and Stegun 7.1.26 is too coarse for a KS test on 200k draws; use the series/continued fraction.
    static double Erf(double x)
    {
        double t = Math.Abs(x);
        double result;
        if (t < 3)
        {
            double sum = t, term = t;
            for (int n = 1; n < 200; n++)
            {
                term *= -t * t / n;
                sum += term / (2 * n + 1);
                if (Math.Abs(term) < 1e-17) break;
            }
            result = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            double fraction = 0;
            for (int n = 60; n >= 1; n--) fraction = n / 2.0 / (t + fraction);
            result = 1 - Math.Exp(-t * t) / Math.Sqrt(Math.PI) / (t + fraction);
        }
        return Math.Sign(x) * result;
    }
}
