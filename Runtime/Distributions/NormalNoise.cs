using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// Standard normal noise ε ~ N(0, I) for the reparameterised draws. On the CPU, float32 noise is generated here
/// instead of by libtorch: libtorch's <c>randn</c> runs its Mersenne Twister serially, 1.1 ms for the 478k weights
/// of the Fashion-MNIST MLP, more than half a MAP training step; this generator takes 0.33–0.47 ms for the same
/// (<c>bnndsl-bench --kernels</c>): eight xoshiro128+ streams side by side in 256-bit vectors, turned into normals by
/// the Box–Muller transform with a vectorised logarithm and a short sine/cosine polynomial. On other devices and
/// dtypes, without 256-bit vectors in hardware, or with <see cref="CpuKernels.Enabled"/> off, the noise is libtorch's.
/// <para>
/// Reproducibility: every call takes its key from libtorch's default generator (63 random bits), so
/// <c>torch.random.manual_seed</c> fixes this noise as it fixes libtorch's, and the stream of one call depends only on
/// its key and the tensor's size — not on threads or timing. The vectorised logarithm may round differently on a
/// processor without fused multiply-add, so runs repeat bit for bit on one kind of machine.
/// </para>
/// </summary>
public static class NormalNoise
{
    /// <summary>A tensor of independent N(0, 1) draws with the shape, dtype and device of <paramref name="reference"/>.</summary>
    public static Tensor Like(Tensor reference)
    {
        if (!CpuKernels.Enabled || !Vector256.IsHardwareAccelerated
            || reference.device_type != TorchSharp.DeviceType.CPU || reference.dtype != ScalarType.Float32)
            return randn_like(reference);
        var noise = empty(reference.shape, ScalarType.Float32, reference.device);
        Fill(MemoryMarshal.Cast<byte, float>(noise.bytes), NextKey());
        return noise;
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with N(0, 1) draws determined by <paramref name="key"/> alone. Lane j of
    /// eight xoshiro128+ generators (seeded from the key by SplitMix64) gives, per block of 16 values, the uniforms
    /// u₁ (its first output) and u₂ (its second); the block holds r cos θ at j and r sin θ at 8 + j, with
    /// r = √(−2 ln u₁), u₁ ∈ (0, 1], and θ = 2π u₂. With 24-bit uniforms |ε| stays below √(48 ln 2) ≈ 5.77 (a
    /// standard normal exceeds that with probability 8e-9) and the far tail is coarsely spaced; neither shows in the
    /// moments or the distribution function at the sample sizes of training (tests).
    /// </summary>
    // Optimised from the first call: tiered compilation would run the first calls of a training job unvectorised.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fill(Span<float> destination, ulong key)
    {
        Span<uint> state = stackalloc uint[32];
        var seeder = key;
        for (var i = 0; i < 16; i++)
        {
            var word = SplitMix64(ref seeder);
            state[2 * i] = (uint)word;
            state[2 * i + 1] = (uint)(word >> 32);
        }
        var s0 = Vector256.Create<uint>(state[..8]);
        var s1 = Vector256.Create<uint>(state[8..16]);
        var s2 = Vector256.Create<uint>(state[16..24]);
        var s3 = Vector256.Create<uint>(state[24..]);

        Span<float> lastBlock = stackalloc float[16];
        for (var start = 0; start < destination.Length; start += 16)
        {
            var first = NextUniformBits(ref s0, ref s1, ref s2, ref s3);
            var second = NextUniformBits(ref s0, ref s1, ref s2, ref s3);
            // The top 24 bits of each output make a float exactly; xoshiro128+'s weak low bits are dropped.
            var u1 = Vector256.ConvertToSingle((first >> 8) + Vector256<uint>.One) * Vector256.Create(1f / (1 << 24));
            var u2 = Vector256.ConvertToSingle(second >> 8) * Vector256.Create(1f / (1 << 24));
            var radius = Vector256.Sqrt(Vector256.Create(-2f) * Vector256.Log(u1));
            var (sin, cos) = SinCosOfTurns(u2);
            var block = destination.Length - start >= 16 ? destination.Slice(start, 16) : lastBlock;
            (radius * cos).CopyTo(block);
            (radius * sin).CopyTo(block[8..]);
            if (block == lastBlock)
                lastBlock[..(destination.Length - start)].CopyTo(destination[start..]);
        }
    }

    /// <summary>
    /// sin and cos of 2π·turns for turns in [0, 1): reduced to an angle a in [−π/4, π/4] and a quadrant k = round(4·turns)
    /// (k = 4, for turns ≥ 7/8, is a full turn: its rotation is that of k = 0), then
    /// Cephes' single-precision polynomials (error below 1e-7 on that interval) and a rotation by k quarter turns.
    /// About three times faster than <see cref="Vector256.SinCos(Vector256{float})"/>, which must handle any argument.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector256<float> Sin, Vector256<float> Cos) SinCosOfTurns(Vector256<float> turns)
    {
        var quadrant = Vector256.ConvertToInt32(turns * Vector256.Create(4f) + Vector256.Create(0.5f)); // round(4·turns), turns ≥ 0
        var angle = (turns - Vector256.ConvertToSingle(quadrant) * Vector256.Create(0.25f)) * Vector256.Create(2f * MathF.PI);
        var z = angle * angle;
        var sin = angle + angle * z * (Vector256.Create(-1.6666654611e-1f)
            + z * (Vector256.Create(8.3321608736e-3f) + z * Vector256.Create(-1.9515295891e-4f)));
        var cos = Vector256.Create(1f) - Vector256.Create(0.5f) * z + z * z * (Vector256.Create(4.166664568298827e-2f)
            + z * (Vector256.Create(-1.388731625493765e-3f) + z * Vector256.Create(2.443315711809948e-5f)));
        // Rotating by k quarter turns: odd k swaps sine and cosine; the sine is negative for k = 2, 3 and the cosine
        // for k = 1, 2 — sign bits set by XOR.
        var odd = Vector256.Equals(quadrant & Vector256<int>.One, Vector256<int>.One).AsSingle();
        var rotatedSin = Vector256.ConditionalSelect(odd, cos, sin);
        var rotatedCos = Vector256.ConditionalSelect(odd, sin, cos);
        var sinSign = ((quadrant >> 1) & Vector256<int>.One) << 31;
        var cosSign = ((quadrant ^ (quadrant >> 1)) & Vector256<int>.One) << 31;
        return ((rotatedSin.AsInt32() ^ sinSign).AsSingle(), (rotatedCos.AsInt32() ^ cosSign).AsSingle());
    }

    /// <summary>One output of each of the eight xoshiro128+ lanes, advancing their state (Blackman and Vigna).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<uint> NextUniformBits(ref Vector256<uint> s0, ref Vector256<uint> s1, ref Vector256<uint> s2, ref Vector256<uint> s3)
    {
        var result = s0 + s3;
        var shifted = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= shifted;
        s3 = (s3 << 11) | (s3 >> 21);
        return result;
    }

    static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A key from libtorch's default generator (63 random bits), so that its seed fixes this noise too.</summary>
    static ulong NextKey()
    {
        using var draw = randint(long.MaxValue, new long[] { 1 }, dtype: ScalarType.Int64);
        return (ulong)draw.item<long>();
    }
}
