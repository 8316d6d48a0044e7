using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// Elementwise formulas fused into one pass over memory for float32 tensors on the CPU. libtorch runs each elementwise
/// operation as its own pass: the Monte Carlo KL against a scale mixture is some fifteen passes over every weight, the
/// closed-form Normal KL eight, an Adam step six, and on a small network those passes cost as much as the matrix
/// products. Each kernel here reads its inputs once, accumulates sums in double precision and writes its results
/// once. The libtorch formulations (<see cref="Kl"/>, <see cref="ScaleMixturePrior"/>, <see cref="Adam"/>) stay the
/// reference, and what runs on other devices and dtypes; tests hold the two to each other.
/// <para>
/// The kernels run on the calling thread. libtorch's OpenMP workers keep spinning between operations, so a second .NET
/// thread competes with them for the other core: splitting these kernels over two threads made the default
/// declaration's step slower, 7.3 → 8.8 ms (<c>bnndsl-bench --profile</c>).
/// </para>
/// </summary>
public static partial class CpuKernels
{
    /// <summary>
    /// Whether the fused kernels are used where they apply (default true). Turning them off runs the same terms as
    /// separate libtorch operations, which benchmarks use to measure the difference.
    /// </summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>True when every tensor is a contiguous float32 CPU tensor and the kernels are enabled.</summary>
    internal static bool Apply(params Tensor[] tensors)
    {
        if (!Enabled) return false;
        foreach (var t in tensors)
            if (t.device_type != TorchSharp.DeviceType.CPU || t.dtype != ScalarType.Float32 || !t.is_contiguous()) return false;
        return true;
    }

    /// <summary>Up to four sums a kernel accumulates, in double.</summary>
    readonly record struct Sums(double A, double B, double C, double D)
    {
        public static Sums operator +(Sums x, Sums y) => new(x.A + y.A, x.B + y.B, x.C + y.C, x.D + y.D);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Accumulate(ref Vector256<double> sum, Vector256<float> values)
    {
        var (lower, upper) = Vector256.Widen(values);
        sum += lower + upper;
    }

    static Span<float> Floats(Tensor t) => MemoryMarshal.Cast<byte, float>(t.bytes);
}
