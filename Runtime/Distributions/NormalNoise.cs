using System;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// Standard normal noise ε ~ N(0, I) for the reparameterised draws. On the CPU, float32 noise comes from the runtime's
/// compiled kernels (<see cref="CpuKernels"/>) instead of libtorch: libtorch's <c>randn</c> runs its Mersenne Twister
/// serially, 1.1 ms for the 478k weights of the Fashion-MNIST MLP, more than half a MAP training step; the kernel
/// (<c>bnndsl-bench --kernels</c> times both) runs sixteen xoshiro128+ generators side by side (one 512-bit vector; two
/// 256-bit ones in the AVX2 build, with the same values) on both cores, turned into normals by the Box–Muller transform
/// with a polynomial logarithm and sine/cosine. On other devices and dtypes, without the compiled kernels, or with
/// <see cref="CpuKernels.Enabled"/> off, the noise is libtorch's.
/// <para>
/// Reproducibility: every call takes its key from libtorch's default generator (63 random bits), so
/// <c>torch.random.manual_seed</c> fixes this noise as it fixes libtorch's, and the values of one call depend only
/// on its key and the tensor's size — not on threads or timing. They repeat bit for bit with one build of the
/// compiled kernels (another g++ may round a fused multiply-add differently).
/// </para>
/// </summary>
public static class NormalNoise
{
    /// <summary>Values per independent stream (<see cref="Fill"/>).</summary>
    public const int StreamLength = 4096;

    /// <summary>A tensor of independent N(0, 1) draws with the shape, dtype and device of <paramref name="reference"/>.</summary>
    public static Tensor Like(Tensor reference)
    {
        if (!CpuKernels.Enabled || !CpuKernels.IsNative
            || reference.device_type != TorchSharp.DeviceType.CPU || reference.dtype != ScalarType.Float32)
            return randn_like(reference);
        var noise = empty(reference.shape, ScalarType.Float32, reference.device);
        Fill(MemoryMarshal.Cast<byte, float>(noise.bytes), NextKey());
        return noise;
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with N(0, 1) draws determined by <paramref name="key"/> alone, with the
    /// compiled kernels (<see cref="CpuKernels.IsNative"/>). Stream c covers the values from c · <see cref="StreamLength"/>
    /// on: sixteen xoshiro128+ generators seeded by SplitMix64 from key XOR c · 0xD1B54A32D192ED03 (stream 0 from the key
    /// itself), whose lane j gives, per block of 32 values, the uniforms u₁ (its first output) and u₂ (its second); the
    /// block holds r cos θ at j and r sin θ at 16 + j, with r = √(−2 ln u₁), u₁ ∈ (0, 1], and θ = 2π u₂. Streams are
    /// the unit the threads share, so the values do not depend on the thread count. With 24-bit uniforms |ε| stays
    /// below √(48 ln 2) ≈ 5.77 (a standard normal exceeds that with probability 8e-9) and the far tail is coarsely
    /// spaced; neither shows in the moments or the distribution function at the sample sizes of training (tests).
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The compiled kernels are not loaded here.</exception>
    public static void Fill(Span<float> destination, ulong key)
    {
        if (!CpuKernels.IsNative) throw new PlatformNotSupportedException("NormalNoise.Fill needs the runtime's compiled kernels (CpuKernels.IsNative).");
        CpuKernels.NormalFill(destination, key);
    }

    /// <summary>A key from libtorch's default generator (63 random bits), so that its seed fixes this noise too.</summary>
    internal static ulong NextKey()
    {
        using var draw = randint(long.MaxValue, new long[] { 1 }, dtype: ScalarType.Int64);
        return (ulong)draw.item<long>();
    }
}
