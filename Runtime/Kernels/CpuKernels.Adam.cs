using System;
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
        int count = p.Length;
        var oneMinusBeta1 = Vector256.Create(1 - beta1);
        var oneMinusBeta2 = Vector256.Create(1 - beta2);
        var b2 = Vector256.Create(beta2);
        var step = Vector256.Create(stepSize);
        var eps = Vector256.Create(epsilon);
        var decay = Vector256.Create(weightDecay);
        int i = 0;
        for (; i <= count - 8; i += 8)
        {
            var pi = Vector256.Create<float>(p.Slice(i, 8));
            var gi = Vector256.Create<float>(g.Slice(i, 8)) + decay * pi;
            var mi = Vector256.Create<float>(m.Slice(i, 8));
            mi = Vector256.FusedMultiplyAdd(oneMinusBeta1, gi - mi, mi); // as libtorch's lerp
            var vi = b2 * Vector256.Create<float>(v.Slice(i, 8)) + oneMinusBeta2 * gi * gi;
            mi.CopyTo(m[i..]);
            vi.CopyTo(v[i..]);
            (pi - step * mi / (Vector256.Sqrt(vi) + eps)).CopyTo(p[i..]);
        }
        for (; i < count; i++) // the same formula for the last, partial block (see the class remarks)
        {
            float gi = g[i] + weightDecay * p[i];
            m[i] = MathF.FusedMultiplyAdd(1 - beta1, gi - m[i], m[i]);
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
            p[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) + epsilon);
        }
    }
}
