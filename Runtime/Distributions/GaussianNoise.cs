using System;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// Standard normal noise for reparameterised draws. libtorch draws CPU normals one at a time from a single
/// Mersenne Twister (about 5 ns each here), which made the 478k draws of a mean-field step cost more than its
/// matrix products. For float32 CPU tensors this fills the tensor in place instead: uniforms from xoshiro256++,
/// turned into normals by the Box–Muller transform with vectorised log, sqrt and sin/cos, in fixed-size chunks that
/// run in parallel. Each call takes its seed from libtorch's generator, so <c>torch.random.manual_seed</c> still
/// makes a run repeat bit for bit, whatever the thread count. Other devices and dtypes use <c>randn_like</c>.
/// </summary>
/// <remarks>
/// Uniforms have 24 bits, so |z| ≤ √(2 ln 2²⁴) ≈ 5.77: the lost tail has probability 8e-9, as with libtorch's own
/// vectorised normal_fill.
/// </remarks>
public static class GaussianNoise
{
    const int Chunk = 8192;               // elements per independent stream: fits in L1/L2 with its scratch
    const int SmallestWorthFilling = 2048; // below this, libtorch's per-call overhead is lower

    /// <summary>A tensor of independent N(0, 1) draws with the shape, dtype and device of <paramref name="like"/>.</summary>
    public static Tensor Like(Tensor like)
    {
        if (like.device_type != TorchSharp.DeviceType.CPU || like.dtype != ScalarType.Float32 || like.numel() < SmallestWorthFilling)
            return randn_like(like);
        var noise = empty_like(like);
        Fill(MemoryMarshal.Cast<byte, float>(noise.bytes), NextSeed());
        return noise;
    }

    /// <summary>Fills <paramref name="target"/> with N(0, 1) draws determined by <paramref name="seed"/> alone.</summary>
    public static void Fill(Span<float> target, ulong seed)
    {
        int chunks = (target.Length + Chunk - 1) / Chunk;
        unsafe
        {
            fixed (float* start = target)
            {
                var address = (IntPtr)start;
                int length = target.Length;
                Parallel.For(0, chunks, chunk =>
                {
                    int offset = chunk * Chunk;
                    var span = new Span<float>((float*)address + offset, Math.Min(Chunk, length - offset));
                    FillChunk(span, seed, (ulong)chunk);
                });
            }
        }
    }

    static ulong NextSeed()
    {
        using var words = randint(0, 1L << 31, new long[] { 2 }, dtype: ScalarType.Int64);
        var pair = words.data<long>();
        return (ulong)pair[0] << 31 ^ (ulong)pair[1];
    }

    static void FillChunk(Span<float> target, ulong seed, ulong stream)
    {
        var random = new Xoshiro256(seed, stream);
        int half = (target.Length + 1) / 2;
        Span<float> radius = stackalloc float[Chunk / 2];
        Span<float> angle = stackalloc float[Chunk / 2];
        radius = radius[..half];
        angle = angle[..half];
        random.FillUnitInterval(radius);   // (0, 1]: log is finite
        random.FillUnitInterval(angle);
        // r = sqrt(−2 ln u1), θ = 2π u2; z1 = r cos θ, z2 = r sin θ.
        TensorPrimitives.Log(radius, radius);
        TensorPrimitives.Multiply(radius, -2f, radius);
        TensorPrimitives.Sqrt(radius, radius);
        TensorPrimitives.Multiply(angle, 2f * MathF.PI, angle);
        Span<float> sine = stackalloc float[half];
        Span<float> cosine = stackalloc float[half];
        TensorPrimitives.SinCos(angle, sine, cosine);
        TensorPrimitives.Multiply(radius, cosine, target[..half]);
        TensorPrimitives.Multiply(radius[..(target.Length - half)], sine[..(target.Length - half)], target[half..]);
    }

    /// <summary>xoshiro256++ (Blackman and Vigna), its state from SplitMix64 of (seed, stream).</summary>
    struct Xoshiro256
    {
        ulong s0, s1, s2, s3;

        public Xoshiro256(ulong seed, ulong stream)
        {
            ulong x = seed ^ (stream * 0x9E3779B97F4A7C15UL + 0xD1B54A32D192ED03UL);
            s0 = SplitMix(ref x); s1 = SplitMix(ref x); s2 = SplitMix(ref x); s3 = SplitMix(ref x);
        }

        static ulong SplitMix(ref ulong x)
        {
            ulong z = x += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        ulong Next()
        {
            ulong result = RotateLeft(s0 + s3, 23) + s0;
            ulong t = s1 << 17;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
            s2 ^= t;
            s3 = RotateLeft(s3, 45);
            return result;
        }

        static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

        /// <summary>Two uniforms in (0, 1] per 64-bit draw: (k + 1) / 2²⁴ for 24-bit k.</summary>
        public void FillUnitInterval(Span<float> values)
        {
            const float Scale = 1f / (1 << 24);
            int i = 0;
            for (; i + 1 < values.Length; i += 2)
            {
                ulong bits = Next();
                values[i] = ((uint)(bits >> 40) + 1) * Scale;
                values[i + 1] = ((uint)(bits >> 8 & 0xFFFFFF) + 1) * Scale;
            }
            if (i < values.Length) values[i] = ((uint)(Next() >> 40) + 1) * Scale;
        }
    }
}
