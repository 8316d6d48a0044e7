using System.Collections.Generic;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// Records, for every layer of a forward pass, its input a and its pre-activation s, and makes s keep its
/// gradient. After <c>backward()</c>, <see cref="OutputGradient"/> is ∂loss/∂s, so a dense layer's per-example
/// weight gradient is g_n a_nᵀ — what curvature methods (Laplace: diagonal GGN/Fisher, KFAC) are built from.
/// TorchSharp has no backward hooks, so generated layer code calls <see cref="Record"/> itself.
/// Tensors live in the caller's dispose scope; clear the trace before reusing it in another scope.
/// </summary>
public sealed class LayerTrace
{
    readonly Dictionary<int, (Tensor Input, Tensor PreActivation)> records = new();

    /// <summary>Called by generated code with the layer's index in forward order.</summary>
    public void Record(int layer, Tensor input, Tensor preActivation)
    {
        if (preActivation.requires_grad) preActivation.retain_grad();
        records[layer] = (input, preActivation);
    }

    public int Count => records.Count;

    /// <summary>The input a of layer <paramref name="layer"/> in the last traced pass, [batch, in].</summary>
    public Tensor Input(int layer) => Get(layer).Input;

    /// <summary>The pre-activation s of layer <paramref name="layer"/> in the last traced pass, [batch, out].</summary>
    public Tensor PreActivation(int layer) => Get(layer).PreActivation;

    /// <summary>∂loss/∂s for layer <paramref name="layer"/>, available after backward().</summary>
    public Tensor OutputGradient(int layer) =>
        Get(layer).PreActivation.grad ?? throw new System.InvalidOperationException(
            $"Layer {layer} has no output gradient: call backward() on a loss of the traced pass first.");

    public void Clear() => records.Clear();

    (Tensor Input, Tensor PreActivation) Get(int layer) =>
        records.TryGetValue(layer, out var record)
            ? record
            : throw new KeyNotFoundException($"Layer {layer} was not recorded: run a forward pass with the trace set.");
}
