using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// While open (<see cref="BayesianModule.Predict"/> opens one), a locally reparameterised layer given the same input
/// tensor as on its previous draw reuses that input's pre-activation mean and variance and draws only new noise (an
/// MNF layer reuses what does not depend on its noise z: a convolution's two convolutions, a dense layer's variance).
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
    // Per layer, the last input and what was computed from it, owned here (outside every dispose scope) until replaced or closed.
    readonly Dictionary<object, (Tensor Input, Tensor First, Tensor Second)> lastByLayer = new();

    RepeatedInputMoments(RepeatedInputMoments? enclosing) => this.enclosing = enclosing;

    /// <summary>Opens a scope on this thread; disposing it frees the moments kept and restores the enclosing scope.</summary>
    internal static RepeatedInputMoments Open() => current = new RepeatedInputMoments(current);

    /// <summary>The scope open on this thread while no gradients are recorded, else null.</summary>
    internal static RepeatedInputMoments? Active => current is not null && !is_grad_enabled() ? current : null;

    /// <summary>
    /// What <paramref name="compute"/> gives for <paramref name="layer"/>'s <paramref name="input"/> (the moments of its
    /// pre-activations, in the layer's own form): computed when the input is new, else the tensors kept from last time.
    /// </summary>
    internal (Tensor First, Tensor Second) For(object layer, Tensor input, Func<(Tensor First, Tensor Second)> compute)
    {
        if (!lastByLayer.TryGetValue(layer, out var last) || !ReferenceEquals(last.Input, input))
        {
            if (lastByLayer.Remove(layer)) { last.First.Dispose(); last.Second.Dispose(); }
            var (first, second) = compute();
            last = (input, first.DetachFromDisposeScope(), second.DetachFromDisposeScope());
            lastByLayer[layer] = last;
        }
        return (last.First, last.Second);
    }

    /// <summary>The same for a layer that keeps one tensor.</summary>
    internal Tensor For(object layer, Tensor input, Func<Tensor> compute) =>
        For(layer, input, () => { var kept = compute(); return (kept, kept.alias()); }).First;

    public void Dispose()
    {
        System.Diagnostics.Debug.Assert(current == this, "scopes close in the order they opened");
        foreach (var (_, first, second) in lastByLayer.Values) { first.Dispose(); second.Dispose(); }
        lastByLayer.Clear();
        current = enclosing;
    }
}
