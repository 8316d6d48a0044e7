using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// While open (<see cref="BayesianModule.Predict"/> opens one), a locally reparameterised layer given the same input
/// tensor as on its previous draw reuses that input's pre-activation mean and variance and draws only new noise.
/// Every draw of a prediction feeds the first layer the same batch, so its two matrix products run once per batch
/// instead of once per draw: for the Fashion-MNIST MLP, two thirds of a draw's arithmetic; for a network that starts
/// with a convolution, its mean and variance convolutions. (Later layers see a new input each draw and gain nothing.) The draws are those the layer makes otherwise: the same noise, and the same
/// values on the same route (fused kernels, or libtorch operations). The input is recognised by identity, so it must
/// not change in place between draws, as Predict's batches do not. Without gradients only; one thread's scope.
/// </summary>
internal sealed class RepeatedInputMoments : IDisposable
{
    [ThreadStatic] static RepeatedInputMoments? current;

    readonly RepeatedInputMoments? enclosing;
    // Per layer, the last input and its moments, owned here (outside every dispose scope) until replaced or closed.
    readonly Dictionary<MeanFieldDense, (Tensor Input, Tensor Mean, Tensor Variance)> lastByLayer = new();
    // The same for convolutions, which keep the standard deviation (the square root is then taken once a batch too).
    readonly Dictionary<MeanFieldConv2d, (Tensor Input, Tensor Mean, Tensor Std)> lastByConvolution = new();

    RepeatedInputMoments(RepeatedInputMoments? enclosing) => this.enclosing = enclosing;

    /// <summary>Opens a scope on this thread; disposing it frees the moments kept and restores the enclosing scope.</summary>
    internal static RepeatedInputMoments Open() => current = new RepeatedInputMoments(current);

    /// <summary>The scope open on this thread while no gradients are recorded, else null.</summary>
    internal static RepeatedInputMoments? Active => current is not null && !is_grad_enabled() ? current : null;

    /// <summary>A draw of <paramref name="layer"/>'s locally reparameterised pre-activation for <paramref name="input"/>.</summary>
    internal Tensor Draw(MeanFieldDense layer, Tensor input)
    {
        if (!lastByLayer.TryGetValue(layer, out var last) || !ReferenceEquals(last.Input, input))
        {
            if (lastByLayer.Remove(layer)) { last.Mean.Dispose(); last.Variance.Dispose(); }
            var (mean, variance) = Reparameterization.LocalLinearMoments(input, layer.WeightMu, layer.WeightRho, layer.BiasMu, layer.BiasRho);
            last = (input, mean.DetachFromDisposeScope(), variance.DetachFromDisposeScope());
            lastByLayer[layer] = last;
        }
        return Reparameterization.SampleGivenMoments(last.Mean, last.Variance);
    }

    /// <summary>A draw of a locally reparameterised convolution's outputs for <paramref name="input"/>.</summary>
    internal Tensor Draw(MeanFieldConv2d layer, Tensor input)
    {
        if (!lastByConvolution.TryGetValue(layer, out var last) || !ReferenceEquals(last.Input, input))
        {
            if (lastByConvolution.Remove(layer)) { last.Mean.Dispose(); last.Std.Dispose(); }
            var (mean, std) = layer.OutputMoments(input);
            last = (input, mean.DetachFromDisposeScope(), std.DetachFromDisposeScope());
            lastByConvolution[layer] = last;
        }
        return MeanFieldConv2d.DrawGivenMoments(last.Mean, last.Std);
    }

    public void Dispose()
    {
        System.Diagnostics.Debug.Assert(current == this, "scopes close in the order they opened");
        foreach (var (_, mean, variance) in lastByLayer.Values) { mean.Dispose(); variance.Dispose(); }
        lastByLayer.Clear();
        foreach (var (_, mean, std) in lastByConvolution.Values) { mean.Dispose(); std.Dispose(); }
        lastByConvolution.Clear();
        current = enclosing;
    }
}
