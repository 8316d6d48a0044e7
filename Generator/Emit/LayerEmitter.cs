using System;
using System.Collections.Generic;
using System.Linq;
using BnnDsl.Generator.Model;

namespace BnnDsl.Generator.Emit;

/// <summary>
/// What one layer becomes in generated code: its parameter holder (a runtime <c>IBayesianLayer</c>, or none), how that
/// holder is constructed, and the body of the layer method. One emitter per layer kind × family, chosen per layer
/// (<see cref="For"/>), so a layer that declares another variational family than its network's is emitted as that
/// family. A new family or layer kind adds an emitter here and a holder in the runtime.
/// </summary>
internal abstract class LayerEmitter
{
    /// <summary>The emitter for <paramref name="layer"/>: by its kind and, for a layer with weights, its own family.</summary>
    public static LayerEmitter For(NetworkModel network, LayerModel layer) => layer.Kind switch
    {
        LayerKind.MaxPool2d => MaxPoolEmitter.Instance,
        LayerKind.Flatten => FlattenEmitter.Instance,
        _ => network.PosteriorOf(layer).Method switch
        {
            // Laplace trains as MAP, and a sampler moves point values; the fit after training, the sampler's step rule
            // and sample store are the network's (NetworkEmitter).
            var method when method is PosteriorMethod.MAP or PosteriorMethod.Laplace || method.IsSampler() => PointEmitter.Instance,
            PosteriorMethod.MeanField => MeanFieldEmitter.Instance,
            PosteriorMethod.Dropout => DropoutEmitter.Instance,
            PosteriorMethod.MNF => MnfEmitter.Instance,
            var method => throw new ArgumentOutOfRangeException(nameof(layer), method, "No emitter for this posterior method."),
        },
    };

    /// <summary>The runtime type that holds the layer's parameters, or null for a layer without any.</summary>
    public virtual string? ParameterType(LayerModel layer) => null;

    /// <summary>The expression that creates the layer's parameters on <c>device</c> under the prior in <paramref name="priorField"/>.</summary>
    public virtual string Construct(NetworkModel network, LayerModel layer, string priorField) =>
        throw new InvalidOperationException($"Layer '{layer.Name}' has no parameters.");

    /// <summary>Writes the statements of the layer method, which receives <paramref name="input"/> and returns the layer's output.</summary>
    public abstract void WriteBody(CodeWriter writer, NetworkModel network, LayerModel layer, int index, string input);

    /// <summary>The field that holds a layer's parameters: <c>hidden1Parameters</c>.</summary>
    public static string ParameterField(LayerModel layer) => CodeWriter.Camel(layer.Name) + "Parameters";

    /// <summary>The local that holds a layer's affine map: <c>preActivation</c>, unless the layer's parameter has that name.</summary>
    protected static string PreActivationLocal(LayerModel layer) => layer.ParameterName == "preActivation" ? "affine" : "preActivation";

    /// <summary>Writes the end of a layer with weights: the trace record for curvature methods, then the activation.</summary>
    protected static void WriteTraceAndActivation(CodeWriter writer, LayerModel layer, int index, string input, string preActivation)
    {
        writer.Line($"Trace?.Record({index}, {input}, {preActivation});");
        writer.Line($"return {ActivationExpression(layer.Activation, preActivation)};");
    }

    /// <summary>
    /// Writes the body of a stochastic layer: the holder's <paramref name="mean"/> pass in <c>SampleMode.Mean</c>, its
    /// <paramref name="sampled"/> pass otherwise, then the trace record and the activation.
    /// </summary>
    protected static void WriteByMode(CodeWriter writer, LayerModel layer, int index, string input, string mean, string sampled)
    {
        var local = PreActivationLocal(layer);
        var field = ParameterField(layer);
        writer.Line($"var {local} = Mode == {Names.SampleMode}.Mean");
        writer.Indent();
        writer.Line($"? {field}.{mean}({input})");
        writer.Line($": {field}.{sampled}({input});");
        writer.Outdent();
        WriteTraceAndActivation(writer, layer, index, input, local);
    }

    static string ActivationExpression(Activation activation, string x) => activation switch
    {
        Activation.ReLU => $"{Names.Functional}.relu({x})",
        Activation.Tanh => $"{Names.Functional}.tanh({x})",
        Activation.Sigmoid => $"{Names.Functional}.sigmoid({x})",
        _ => x,
    };

    /// <summary>The arguments a convolution holder takes after the device: stride and padding where they differ from 1 and 0.</summary>
    protected static string ConvolutionOptions(LayerModel layer) =>
        (layer.Stride == 1 ? "" : $", stride: {layer.Stride}") + (layer.Padding == 0 ? "" : $", padding: {layer.Padding}");

    /// <summary>A runtime expression that builds the prior: <c>global::BnnDsl.Prior.Normal(0.0, 1.0)</c>.</summary>
    public static string PriorExpression(PriorModel prior) =>
        $"{Names.Prior}.{prior.Family}({string.Join(", ", prior.Parameters.Select(CodeWriter.Number))})";

    /// <summary>How the prior reads in documentation: <c>Normal(0, 1)</c>.</summary>
    public static string DescribePrior(PriorModel prior) =>
        $"{prior.Family}({string.Join(", ", prior.Parameters.Select(p => p.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))})";

    /// <summary>The field that holds the network-wide prior object.</summary>
    public const string NetworkPriorField = "networkPrior";

    /// <summary>
    /// The layers with weights grouped by their prior, in order of first use, each group with the field that holds its
    /// prior object: <c>networkPrior</c> for the class's prior, else the first overriding layer's name + <c>Prior</c>.
    /// Layers under one prior share one instance, so a fit that tunes it tunes them together.
    /// </summary>
    public static List<(string Field, PriorModel Prior, List<LayerModel> Layers)> PriorGroups(NetworkModel network)
    {
        var groups = new List<(string Field, PriorModel Prior, List<LayerModel> Layers)>();
        foreach (var layer in network.ParameterLayers)
        {
            var prior = network.PriorOf(layer);
            int index = groups.FindIndex(g => g.Prior == prior);
            if (index < 0) groups.Add((prior == network.Prior ? NetworkPriorField : CodeWriter.Camel(layer.Name) + "Prior", prior, new List<LayerModel> { layer }));
            else groups[index].Layers.Add(layer);
        }
        return groups;
    }

    /// <summary>The prior field of <paramref name="layer"/> among <paramref name="groups"/>.</summary>
    public static string PriorField(List<(string Field, PriorModel Prior, List<LayerModel> Layers)> groups, LayerModel layer) =>
        groups.First(g => g.Layers.Contains(layer)).Field;
}

/// <summary>Point estimates (MAP): the prior is a penalty −log p(θ), which for Normal(0, s0) is L2 weight decay.</summary>
internal sealed class PointEmitter : LayerEmitter
{
    public static PointEmitter Instance { get; } = new();

    public override string ParameterType(LayerModel layer) => layer.Kind == LayerKind.Conv2d ? Names.PointConv2d : Names.PointDense;

    public override string Construct(NetworkModel network, LayerModel layer, string priorField) => layer.Kind == LayerKind.Conv2d
        ? $"new {Names.PointConv2d}({layer.Inputs}, {layer.Outputs}, {layer.KernelSize}, {priorField}, device{ConvolutionOptions(layer)})"
        : $"new {Names.PointDense}({layer.Inputs}, {layer.Outputs}, {priorField}, device)";

    public override void WriteBody(CodeWriter writer, NetworkModel network, LayerModel layer, int index, string input)
    {
        var local = PreActivationLocal(layer);
        writer.Line($"var {local} = {ParameterField(layer)}.{(layer.Kind == LayerKind.Conv2d ? "Convolve" : "Linear")}({input});");
        WriteTraceAndActivation(writer, layer, index, input, local);
    }
}

/// <summary>
/// MC dropout: the point holder with a dropout rate; a sampled pass drops the layer's input, the posterior mean does not.
/// </summary>
internal sealed class DropoutEmitter : LayerEmitter
{
    public static DropoutEmitter Instance { get; } = new();

    public override string ParameterType(LayerModel layer) => PointEmitter.Instance.ParameterType(layer);

    public override string Construct(NetworkModel network, LayerModel layer, string priorField)
    {
        var rate = $"dropoutRate: {CodeWriter.Number(network.PosteriorOf(layer).Rate)}";
        return layer.Kind == LayerKind.Conv2d
            ? $"new {Names.PointConv2d}({layer.Inputs}, {layer.Outputs}, {layer.KernelSize}, {priorField}, device{ConvolutionOptions(layer)}, {rate})"
            : $"new {Names.PointDense}({layer.Inputs}, {layer.Outputs}, {priorField}, device, {rate})";
    }

    public override void WriteBody(CodeWriter writer, NetworkModel network, LayerModel layer, int index, string input)
    {
        var local = PreActivationLocal(layer);
        var field = ParameterField(layer);
        writer.Line($"var {local} = {field}.{(layer.Kind == LayerKind.Conv2d ? "Convolve" : "Linear")}({field}.Dropped({input}, Mode));");
        WriteTraceAndActivation(writer, layer, index, input, local);
    }
}

/// <summary>
/// Mean-field Gaussian VI (Bayes by Backprop): per-weight sampling or local reparameterisation, the posterior mean in
/// <c>SampleMode.Mean</c>. The KL (closed form against a Normal prior, Monte Carlo otherwise) is the holder's.
/// </summary>
internal sealed class MeanFieldEmitter : LayerEmitter
{
    public static MeanFieldEmitter Instance { get; } = new();

    public override string ParameterType(LayerModel layer) => layer.Kind == LayerKind.Conv2d ? Names.MeanFieldConv2d : Names.MeanFieldDense;

    public override string Construct(NetworkModel network, LayerModel layer, string priorField)
    {
        var posterior = network.PosteriorOf(layer);
        var biasRho = posterior.InitialBiasRho == posterior.InitialRho ? "" : $", biasInitialRho: {CodeWriter.Number(posterior.InitialBiasRho)}";
        var rho = $"initialRho: {CodeWriter.Number(posterior.InitialRho)}";
        return layer.Kind == LayerKind.Conv2d
            ? $"new {Names.MeanFieldConv2d}({layer.Inputs}, {layer.Outputs}, {layer.KernelSize}, {priorField}, {rho}, device{biasRho}{ConvolutionOptions(layer)})"
            : $"new {Names.MeanFieldDense}({layer.Inputs}, {layer.Outputs}, {priorField}, {rho}, device{biasRho})";
    }

    public override void WriteBody(CodeWriter writer, NetworkModel network, LayerModel layer, int index, string input)
    {
        bool localReparameterization = network.PosteriorOf(layer).LocalReparameterization;
        var (mean, sampled) = layer.Kind == LayerKind.Conv2d
            ? ("MeanConvolve", localReparameterization ? "LocalReparameterizedConvolve" : "SampledConvolve")
            : ("MeanLinear", localReparameterization ? "LocalReparameterizedLinear" : "SampledLinear");
        WriteByMode(writer, layer, index, input, mean, sampled);
    }
}

/// <summary>
/// Multiplicative normalising flows: z per example through q(z)'s flow, then the pre-activations by local
/// reparameterisation; the posterior-mean pass in <c>SampleMode.Mean</c>. The KL bound is the holder's.
/// </summary>
internal sealed class MnfEmitter : LayerEmitter
{
    public static MnfEmitter Instance { get; } = new();

    public override string ParameterType(LayerModel layer) => layer.Kind == LayerKind.Conv2d ? Names.MnfConv2d : Names.MnfDense;

    public override string Construct(NetworkModel network, LayerModel layer, string priorField)
    {
        var options = Options(network.PosteriorOf(layer));
        return layer.Kind == LayerKind.Conv2d
            ? $"new {Names.MnfConv2d}({layer.Inputs}, {layer.Outputs}, {layer.KernelSize}, {priorField}, {options}, device{ConvolutionOptions(layer)})"
            : $"new {Names.MnfDense}({layer.Inputs}, {layer.Outputs}, {priorField}, {options}, device)";
    }

    /// <summary>The holder's options: the default instance, or the values that differ from it, named.</summary>
    static string Options(PosteriorModel posterior)
    {
        var defaults = PosteriorModel.Default;
        var set = new List<string>();
        if (posterior.Flows != defaults.Flows) set.Add($"Flows: {posterior.Flows}");
        if (posterior.Flow != defaults.Flow) set.Add($"Kind: {Names.FlowKind}.{posterior.Flow}");
        if (posterior.CouplingWidth != defaults.CouplingWidth) set.Add($"CouplingWidth: {posterior.CouplingWidth}");
        if (posterior.AuxiliaryFlows != defaults.AuxiliaryFlows) set.Add($"AuxiliaryFlows: {posterior.AuxiliaryFlows}");
        if (posterior.AuxiliaryWidth != defaults.AuxiliaryWidth) set.Add($"AuxiliaryWidth: {posterior.AuxiliaryWidth}");
        if (posterior.InitialLogVariance != defaults.InitialLogVariance) set.Add($"InitialLogVariance: {CodeWriter.Number(posterior.InitialLogVariance)}");
        return set.Count == 0 ? $"{Names.MnfOptions}.Default" : $"new {Names.MnfOptions}({string.Join(", ", set)})";
    }

    public override void WriteBody(CodeWriter writer, NetworkModel network, LayerModel layer, int index, string input)
    {
        var (mean, sampled) = layer.Kind == LayerKind.Conv2d ? ("MeanConvolve", "SampledConvolve") : ("MeanLinear", "SampledLinear");
        WriteByMode(writer, layer, index, input, mean, sampled);
    }
}

/// <summary>Max pooling: no parameters, the same in every mode.</summary>
internal sealed class MaxPoolEmitter : LayerEmitter
{
    public static MaxPoolEmitter Instance { get; } = new();

    public override void WriteBody(CodeWriter writer, NetworkModel network, LayerModel layer, int index, string input) =>
        writer.Line($"return {Names.Functional}.max_pool2d({input}, new long[] {{ {layer.KernelSize}, {layer.KernelSize} }}, new long[] {{ {layer.Stride}, {layer.Stride} }});");
}

/// <summary>Flattening [batch, C, H, W] into [batch, C·H·W]: no parameters.</summary>
internal sealed class FlattenEmitter : LayerEmitter
{
    public static FlattenEmitter Instance { get; } = new();

    public override void WriteBody(CodeWriter writer, NetworkModel network, LayerModel layer, int index, string input) =>
        writer.Line($"return {input}.flatten(1);");
}
