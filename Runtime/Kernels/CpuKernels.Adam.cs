using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>The update of <see cref="Adam"/>, fused.</summary>
public static partial class CpuKernels
{
    /// <summary>
    /// One Adam update of a parameter in a single pass: g ← g + λθ (L2 weight decay, when λ ≠ 0),
    /// m ← m + (1 − β1)(g − m), v ← β2 v + (1 − β2) g², θ ← θ − stepSize · m / (√v + ε̂), with the bias corrections
    /// already folded into stepSize and ε̂ by the caller. The gradient tensor is read, not changed. Each thread runs
    /// with subnormals flushed when <paramref name="flushSubnormals"/> (<see cref="SubnormalFlush"/>).
    /// </summary>
    internal static void AdamStep(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment,
        float beta1, float beta2, float stepSize, float epsilon, float weightDecay, bool flushSubnormals) =>
        NativeAdamStep(ref First(parameter), ref First(gradient), ref First(firstMoment), ref First(secondMoment), parameter.numel(),
            beta1, beta2, stepSize, epsilon, weightDecay, flushSubnormals ? 1 : 0);

    [DllImport(Library, EntryPoint = "bnndsl_adam_step")]
    static extern void NativeAdamStep(ref float parameter, ref float gradient, ref float firstMoment, ref float secondMoment, long count,
        float beta1, float beta2, float stepSize, float epsilon, float weightDecay, int flushSubnormals);
}
