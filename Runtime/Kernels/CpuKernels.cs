using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// Elementwise formulas fused into one pass over memory for float32 tensors on the CPU. libtorch runs each elementwise
/// operation as its own pass: the Monte Carlo KL against a scale mixture is some fifteen passes over every weight, an
/// Adam step six, and on a small network those passes cost as much as the matrix products. Each kernel here reads its
/// inputs once, accumulates sums in double precision and writes its results once. The libtorch formulations (<see cref="Kl"/>, <see cref="ScaleMixturePrior"/>, <see cref="Adam"/>) stay the
/// reference, and what runs on other devices and dtypes; tests hold the two to each other.
/// <para>
/// The kernels run on the calling thread. libtorch's OpenMP workers keep spinning between operations, so a second .NET
/// thread competes with them for the other core: splitting these kernels over two threads made the default
/// declaration's step slower, 7.3 → 8.8 ms (<c>bnndsl-bench --profile</c>).
/// </para>
/// <para>
/// They write through the tensors' memory, past autograd's version counters: a graph that saved a parameter and is
/// run backward again after <see cref="Adam.Step"/> sees the new values without libtorch's "modified by an inplace
/// operation" error. Training builds a new graph every step, so this never arises there.
/// </para>
/// <para>
/// Each kernel is a loop over blocks of eight written out with its formula, then the same formula once more in scalar
/// code for the last, partial block. Routing the partial block through the vector loop instead (padded loads, masked
/// sums) or the formula through a helper returning several vectors made the kernels 1.5–3× slower (measured): the
/// JIT then keeps the vectors in memory.
/// </para>
/// </summary>
public static partial class CpuKernels
{
    /// <summary>
    /// Whether the fused kernels and <see cref="NormalNoise"/>'s generator are used where they apply (default true).
    /// Turned off, everything runs as separate libtorch operations with libtorch's <c>randn</c>, as on other devices:
    /// benchmarks use this as the baseline, and a user can rule the kernels out when results look wrong.
    /// </summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>
    /// True when the kernels are enabled and accelerated here (256-bit vectors in hardware; elsewhere the libtorch
    /// formulations are faster) and every tensor is a contiguous float32 CPU tensor of <paramref name="length"/>
    /// elements, addressable as one span.
    /// </summary>
    internal static bool CanRun(long length, params Tensor[] tensors)
    {
        if (!Enabled || !Vector256.IsHardwareAccelerated || length > int.MaxValue / sizeof(float)) return false;
        foreach (var t in tensors)
            if (t.device_type != TorchSharp.DeviceType.CPU || t.dtype != ScalarType.Float32 || !t.is_contiguous() || t.numel() != length)
                return false;
        return true;
    }

    /// <summary>Adds eight float lanes to a double-precision sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Accumulate(ref Vector256<double> sum, Vector256<float> values)
    {
        var (lower, upper) = Vector256.Widen(values);
        sum += lower + upper;
    }

    static Span<float> Floats(Tensor t) => MemoryMarshal.Cast<byte, float>(t.bytes);
}
