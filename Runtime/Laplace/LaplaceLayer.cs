using System;
using TorchSharp;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// One point-estimate layer as the Laplace approximation sees it: its weights and bias as a matrix θ [O, J] (row o is
/// output o's weights with the bias last, J = fan-in + 1), and its inputs as patches U [n, T, J] with a constant-1
/// column, so that the pre-activation at position t is θ U[n, t]ᵀ. A dense layer has one position; a convolution has one
/// per output pixel (its unfolded input). The per-example Jacobian of anything with respect to θ is then
/// Σ_t g[n, ·, t] U[n, t]ᵀ, g the gradient with respect to the pre-activation — every curvature and predictive form
/// is built from U and g.
/// </summary>
internal sealed class LaplaceLayer
{
    readonly PointConv2d? convolution;

    public LaplaceLayer(PointLayer layer, int index)
    {
        Layer = layer ?? throw new ArgumentNullException(nameof(layer));
        if (layer.Prior is not NormalPrior normal)
            throw new ArgumentException("Laplace needs a Normal prior on every layer it covers (the prior's Hessian).", nameof(layer));
        Prior = normal;
        Index = index;
        convolution = layer as PointConv2d;
        Outputs = layer.Weight.shape[0];
        Width = layer.Weight.numel() / Outputs + 1;
    }

    public PointLayer Layer { get; }
    public NormalPrior Prior { get; }

    /// <summary>The layer's index in forward order, as its generated body records it in the trace.</summary>
    public int Index { get; }

    /// <summary>O: output features or channels.</summary>
    public long Outputs { get; }

    /// <summary>J: fan-in + 1 (the bias as a constant-1 input).</summary>
    public long Width { get; }

    public long ParameterCount => Outputs * Width;

    /// <summary>The layer's input as patches with a constant-1 column, [n, T, J] in <paramref name="dtype"/>.</summary>
    public Tensor Patches(Tensor input, ScalarType dtype)
    {
        long n = input.shape[0];
        var columns = convolution is null
            ? input.flatten(1).unsqueeze(1)
            : nn.functional.unfold(input, convolution.KernelSize, padding: convolution.Padding, stride: convolution.Stride).transpose(1, 2);
        return cat(new[] { columns.to(dtype), ones(n, columns.shape[1], 1, dtype, input.device) }, 2);
    }

    /// <summary>A gradient with respect to the pre-activation, [n, O] or [n, O, H, W], as [n, O, T].</summary>
    public Tensor Positions(Tensor preActivationGradient) => preActivationGradient.reshape(preActivationGradient.shape[0], Outputs, -1);

    /// <summary>θ = [W | b] as [O, J] in float64.</summary>
    public Tensor Parameters()
    {
        using var noGrad = no_grad();
        return cat(new[] { Layer.Weight.reshape(Outputs, -1), Layer.Bias.unsqueeze(1) }, 1).to(ScalarType.Float64);
    }

    /// <summary>θ += <paramref name="offset"/> [O, J] (the sampling predictive moves the weights and moves them back).</summary>
    public void Shift(Tensor offset)
    {
        using var noGrad = no_grad();
        Layer.Weight.add_(offset.narrow(1, 0, Width - 1).reshape(Layer.Weight.shape).to(Layer.Weight.dtype));
        Layer.Bias.add_(offset.select(1, Width - 1).to(Layer.Bias.dtype));
    }
}
