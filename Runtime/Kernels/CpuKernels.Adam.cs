using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>The update of <see cref="Adam"/>, fused.</summary>
public static partial class CpuKernels
{
    /// <summary>
    /// One Adam update of a parameter in a single pass: g ← g + λθ (L2 weight decay, when λ ≠ 0),
    /// m ← m + (1 − β1)(g − m), v ← β2 v + (1 − β2) g², θ ← θ − stepSize · m / (√v + ε̂), with the bias corrections
    /// already folded into stepSize and ε̂ by the caller. The gradient tensor is read, not changed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AdamStep(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment,
        float beta1, float beta2, float stepSize, float epsilon, float weightDecay)
    {
        var p = Floats(parameter);
        var g = Floats(gradient);
        var m = Floats(firstMoment);
        var v = Floats(secondMoment);
        var oneMinusBeta1 = Vector256.Create(1 - beta1);
        var oneMinusBeta2 = Vector256.Create(1 - beta2);
        var b2 = Vector256.Create(beta2);
        var step = Vector256.Create(stepSize);
        var eps = Vector256.Create(epsilon);
        var decay = Vector256.Create(weightDecay);
        for (int i = 0; i < p.Length; i += 8)
        {
            int lanes = Lanes(p.Length, i);
            var pi = Load(p, i, lanes);
            var gi = Load(g, i, lanes) + decay * pi;
            var previous = Load(m, i, lanes);
            var mi = Vector256.FusedMultiplyAdd(oneMinusBeta1, gi - previous, previous); // as libtorch's lerp
            var vi = b2 * Load(v, i, lanes) + oneMinusBeta2 * gi * gi;
            Store(mi, m, i, lanes);
            Store(vi, v, i, lanes);
            Store(pi - step * mi / (Vector256.Sqrt(vi) + eps), p, i, lanes);
        }
    }
}
