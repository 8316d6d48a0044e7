using System.Collections.Generic;
using System.Linq;

namespace BnnDsl.Generator.Model;

/// <summary>
/// The shape of one example as it flows through the declared layers, without the batch dimension: <c>[features]</c>
/// (flat) or <c>[channels, height, width]</c> (images). The validator checks each layer against the shape it receives;
/// the emitter describes the network with them. Null where a shape is unknown (an argument that did not bind or is out
/// of range, which is reported on its own).
/// </summary>
public static class LayerShapes
{
    /// <summary>The shape the first layer receives: the declared <c>Input</c>, else a first Dense layer's inputs.</summary>
    public static int[]? Start(NetworkModel network)
    {
        if (network.HasInput)
            return network.NetworkAttributeReadable && IsValidInput(network.Input) ? network.Input.ToArray() : null;
        return network.Layers.Count > 0 && network.Layers[0] is { Kind: LayerKind.Dense, Readable: true, Inputs: >= 1 } first
            ? new[] { first.Inputs }
            : null;
    }

    /// <summary>A declared input shape is one size or three (channels, height, width), each at least 1.</summary>
    public static bool IsValidInput(EquatableArray<int> input) => (input.Count == 1 || input.Count == 3) && input.All(d => d >= 1);

    /// <summary>The shape each layer receives, in declaration order (the forward order when the generator writes it).</summary>
    public static IReadOnlyList<int[]?> Inputs(NetworkModel network)
    {
        var inputs = new List<int[]?>();
        var shape = Start(network);
        foreach (var layer in network.Layers)
        {
            inputs.Add(shape);
            shape = Output(layer, shape);
        }
        return inputs;
    }

    /// <summary>The shape the network outputs, when known.</summary>
    public static int[]? Output(NetworkModel network)
    {
        var inputs = Inputs(network);
        return inputs.Count == 0 ? null : Output(network.Layers[inputs.Count - 1], inputs[inputs.Count - 1]);
    }

    /// <summary>What <paramref name="layer"/> gives for <paramref name="input"/>, or null when that is unknown or empty.</summary>
    public static int[]? Output(LayerModel layer, int[]? input)
    {
        if (!layer.Readable) return null;
        switch (layer.Kind)
        {
            case LayerKind.Dense:
                return layer.Outputs >= 1 ? new[] { layer.Outputs } : null;
            case LayerKind.Flatten:
                return input is null ? null : new[] { input.Aggregate(1, (product, d) => product * d) };
            case LayerKind.Conv2d:
                if (input is not { Length: 3 } || layer.Outputs < 1 || !HasValidWindow(layer)) return null;
                return Positive(new[] { layer.Outputs, Positions(input[1], layer), Positions(input[2], layer) });
            case LayerKind.MaxPool2d:
                if (input is not { Length: 3 } || !HasValidWindow(layer)) return null;
                return Positive(new[] { input[0], Positions(input[1], layer), Positions(input[2], layer) });
            default:
                return null;
        }
    }

    /// <summary>Kernel positions along a side of <paramref name="size"/>: ⌊(size + 2·padding − kernel) / stride⌋ + 1.</summary>
    public static int Positions(int size, LayerModel layer)
    {
        int span = size + 2 * layer.Padding - layer.KernelSize;
        return span < 0 ? 0 : span / layer.Stride + 1;
    }

    /// <summary>Whether a convolution's or pooling's kernel, stride and padding are in range.</summary>
    public static bool HasValidWindow(LayerModel layer) => layer.KernelSize >= 1 && layer.Stride >= 1 && layer.Padding >= 0;

    static int[]? Positive(int[] shape) => shape.All(d => d >= 1) ? shape : null;

    /// <summary>"784", or "1×28×28".</summary>
    public static string Describe(int[] shape) => string.Join("×", shape);
}
