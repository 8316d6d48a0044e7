using System;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// The CPU noise generator against truth: the exact Box–Muller transform of its documented streams, the normal
/// distribution's moments and CDF, independence between neighbours, and reproducibility under libtorch's seed.
/// </summary>
public class NormalNoiseTests
{
    [Fact]
    public void FillIsTheBoxMullerTransformOfItsDocumentedStreams()
    {
        // Reference: the streams of NormalNoise.Fill's documentation computed one lane at a time in 64-bit
        // arithmetic. The vectorised float32 path rounds a logarithm, a square root, a polynomial sine/cosine
        // (error < 1e-7) and two products, each within a few units in the last place (2⁻²⁴ ≈ 6e-8 relative):
        // 1e-6 relative to max(1, |z|) is some 16 ulps, ample for those and far below any wrong formula.
        const ulong key = 0x0123456789ABCDEFUL;
        var length = 2 * NormalNoise.StreamLength + 32 * 20 + 7; // three streams, the last ending in a partial block
        var actual = new float[length];
        NormalNoise.Fill(actual, key);

        var expected = ReferenceStreams(key, length);
        for (var i = 0; i < length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-6 * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: {actual[i]} against {expected[i]}");
    }

    [Fact]
    public void TheValuesDoNotDependOnTheThreadCount()
    {
        // Streams, not elements, are what the threads share: one thread and two must write the same values.
        int threads = get_num_threads();
        try
        {
            var single = new float[5 * NormalNoise.StreamLength + 3];
            var pair = new float[single.Length];
            set_num_threads(1);
            NormalNoise.Fill(single, 42);
            set_num_threads(2);
            NormalNoise.Fill(pair, 42);
            Assert.Equal(single, pair);
        }
        finally { set_num_threads(threads); }
    }

    [Fact]
    public void DrawsHaveTheMomentsAndTheDistributionOfAStandardNormal()
    {
        // n = 2²⁰ draws. Each statistic's standard error under N(0, 1): mean 1/√n, variance √(2/n), third moment
        // √(15/n), fourth moment √(96/n). Five standard errors bound a correct generator's deviation except with
        // probability 6e-7 per statistic. Kolmogorov–Smirnov: √n·D exceeds 1.95 with probability 0.001.
        random.manual_seed(3);
        const int n = 1 << 20;
        using var draws = NormalNoise.Like(empty(n)).to(ScalarType.Float64);
        double Moment(int k) => draws.pow(k).mean().item<double>();
        Assert.InRange(Moment(1), -5 / Math.Sqrt(n), 5 / Math.Sqrt(n));
        Assert.InRange(Moment(2) - 1, -5 * Math.Sqrt(2.0 / n), 5 * Math.Sqrt(2.0 / n));
        Assert.InRange(Moment(3), -5 * Math.Sqrt(15.0 / n), 5 * Math.Sqrt(15.0 / n));
        Assert.InRange(Moment(4) - 3, -5 * Math.Sqrt(96.0 / n), 5 * Math.Sqrt(96.0 / n));

        var sorted = draws.sort().Values;
        var cdf = (special.erf(sorted / Math.Sqrt(2)) + 1) / 2;
        var below = arange(0, n, dtype: ScalarType.Float64) / n;
        var above = arange(1, n + 1, dtype: ScalarType.Float64) / n;
        double d = Math.Max((cdf - below).max().item<double>(), (above - cdf).max().item<double>());
        Assert.True(Math.Sqrt(n) * d < 1.95, $"Kolmogorov–Smirnov √n·D = {Math.Sqrt(n) * d}");
    }

    [Theory]
    [InlineData(1)]  // neighbours within a lane's block
    [InlineData(16)] // r cos θ and r sin θ of the same pair: uncorrelated although dependent through r
    [InlineData(32)] // consecutive outputs of the same lane
    public void DrawsAtAGivenDistanceAreUncorrelated(int lag)
    {
        // The sample correlation of independent pairs has standard error 1/√n; the squares' correlation checks the
        // dependence that a correlation of the values would miss (for lag 16 it is zero for Box–Muller too:
        // r² cos² θ and r² sin² θ are independent χ²₁ variables).
        random.manual_seed(4);
        const int n = 1 << 20;
        using var draws = NormalNoise.Like(empty(n + lag)).to(ScalarType.Float64);
        double Correlation(Tensor a, Tensor b) => corrcoef(stack(new[] { a, b }))[0, 1].item<double>();
        var head = draws[..n];
        var tail = draws[lag..];
        Assert.InRange(Correlation(head, tail), -5 / Math.Sqrt(n), 5 / Math.Sqrt(n));
        Assert.InRange(Correlation(head.square(), tail.square()), -5 / Math.Sqrt(n), 5 / Math.Sqrt(n));
    }

    [Fact]
    public void LibTorchsSeedFixesTheNoiseAndSuccessiveDrawsDiffer()
    {
        random.manual_seed(9);
        var first = NormalNoise.Like(empty(3, 100));
        var second = NormalNoise.Like(empty(3, 100));
        random.manual_seed(9);
        Assert.True(NormalNoise.Like(empty(3, 100)).eq(first).all().item<bool>());
        Assert.True(NormalNoise.Like(empty(3, 100)).eq(second).all().item<bool>());
        Assert.False(first.eq(second).any().item<bool>());
        Assert.Equal(new long[] { 3, 100 }, first.shape);
    }

    [Fact]
    public void OtherDtypesGetLibTorchsNoiseInTheirOwnDtype()
    {
        random.manual_seed(10);
        var noise = NormalNoise.Like(empty(new long[] { 4, 5 }, ScalarType.Float64));
        random.manual_seed(10);
        Assert.True(noise.eq(randn(new long[] { 4, 5 }, ScalarType.Float64)).all().item<bool>());
    }

    [Fact]
    public void TheReferenceSeedsWithSplitMix64()
    {
        // The first outputs of SplitMix64 from state 0, as published with Vigna's reference implementation.
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, SplitMix64(ref state));
        Assert.Equal(0x6E789E6AA1B965F4UL, SplitMix64(ref state));
        Assert.Equal(0x06C45D188009454FUL, SplitMix64(ref state));
    }

    static ulong SplitMix64(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        var z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// Per stream of <see cref="NormalNoise.StreamLength"/> values, sixteen scalar xoshiro128+ generators seeded by
    /// SplitMix64 from the key XOR the stream's multiple of 0xD1B54A32D192ED03, and the Box–Muller transform in doubles.
    /// </summary>
    static double[] ReferenceStreams(ulong key, int length)
    {
        var values = new double[length];
        for (var start = 0; start < length; start += NormalNoise.StreamLength)
        {
            var stream = ReferenceStream(key ^ ((ulong)(start / NormalNoise.StreamLength) * 0xD1B54A32D192ED03UL),
                Math.Min(NormalNoise.StreamLength, length - start));
            stream.CopyTo(values, start);
        }
        return values;
    }

    static double[] ReferenceStream(ulong seed, int length)
    {
        const int lanes = 16;
        var words = new uint[4 * lanes];
        var seeder = seed;
        for (var i = 0; i < 2 * lanes; i++)
        {
            var z = SplitMix64(ref seeder);
            words[2 * i] = (uint)z;
            words[2 * i + 1] = (uint)(z >> 32);
        }
        // Lane j's state is (s0, s1, s2, s3) = words[j], words[16 + j], words[32 + j], words[48 + j].
        var states = Enumerable.Range(0, lanes).Select(j => new[] { words[j], words[lanes + j], words[2 * lanes + j], words[3 * lanes + j] }).ToArray();
        uint Next(uint[] s)
        {
            var result = s[0] + s[3];
            var shifted = s[1] << 9;
            s[2] ^= s[0];
            s[3] ^= s[1];
            s[1] ^= s[2];
            s[0] ^= s[3];
            s[2] ^= shifted;
            s[3] = (s[3] << 11) | (s[3] >> 21);
            return result;
        }

        var values = new double[length + 2 * lanes];
        for (var start = 0; start < length; start += 2 * lanes)
        {
            var u1 = new double[lanes];
            var u2 = new double[lanes];
            for (var j = 0; j < lanes; j++) u1[j] = ((Next(states[j]) >> 8) + 1) / 16777216.0;
            for (var j = 0; j < lanes; j++) u2[j] = (Next(states[j]) >> 8) / 16777216.0;
            for (var j = 0; j < lanes; j++)
            {
                var radius = Math.Sqrt(-2 * Math.Log(u1[j]));
                values[start + j] = radius * Math.Cos(2 * Math.PI * u2[j]);
                values[start + lanes + j] = radius * Math.Sin(2 * Math.PI * u2[j]);
            }
        }
        return values[..length];
    }
}
