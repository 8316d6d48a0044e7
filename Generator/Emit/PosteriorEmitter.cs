using System;
using System.Collections.Generic;
using System.Linq;
using BnnDsl.Generator.Model;

namespace BnnDsl.Generator.Emit;

/// <summary>
/// What differs between inference methods in generated code: the parameter type of a layer, how a layer's
/// pre-activation is computed in each mode, and the complexity term. One implementation per method; later
/// methods (MNF, Laplace, SG-MCMC) add their own.
/// </summary>
internal abstract class PosteriorEmitter
{
    public static PosteriorEmitter For(PosteriorMethod method) => method switch
    {
        PosteriorMethod.MAP => new MapEmitter(),
        PosteriorMethod.MeanField => new MeanFieldEmitter(),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "No emitter for this posterior method."),
    };

    /// <summary>The runtime type that holds one layer's parameters.</summary>
    public abstract string ParameterType { get; }

    /// <summary>The expression that creates a layer's parameters on <c>device</c>.</summary>
    public abstract string Construct(NetworkModel network, LayerModel layer);

    /// <summary>A phrase for documentation: "mean-field Gaussian, per-weight sampling".</summary>
    public abstract string Describe(NetworkModel network);

    /// <summary>Whether the layer's complexity term needs a <see cref="Names.Prior"/> object (log densities).</summary>
    protected abstract bool NeedsPriorObject(NetworkModel network, LayerModel layer);

    /// <summary>Writes <c>var preActivation = …;</c> for the layer, into the local named <paramref name="local"/>.</summary>
    public abstract void WritePreActivation(CodeWriter writer, NetworkModel network, LayerModel layer, string input, string local);

    /// <summary>Writes the <c>Complexity()</c> override: KL(q ‖ p), or −log p(θ) for a point estimate.</summary>
    public abstract void WriteComplexity(CodeWriter writer, NetworkModel network);

    public static PriorModel PriorOf(NetworkModel network, LayerModel layer) => network.PriorOf(layer);

    public static string ParameterField(LayerModel layer) => CodeWriter.Camel(layer.Name) + "Parameters";

    /// <summary>The field that holds the network-wide prior object.</summary>
    public const string NetworkPriorField = "NetworkPrior";

    /// <summary>
    /// The layers of <paramref name="layers"/> grouped by their prior, in order of first use, each group with the name
    /// of the static field that holds the prior object: <c>NetworkPrior</c> for the class's prior, else the first
    /// overriding layer's name + <c>Prior</c>. Grouping lets one runtime call cover every tensor under one prior.
    /// </summary>
    public static List<(string Field, PriorModel Prior, List<LayerModel> Layers)> PriorGroups(NetworkModel network, IEnumerable<LayerModel> layers)
    {
        var groups = new List<(string Field, PriorModel Prior, List<LayerModel> Layers)>();
        foreach (var layer in layers)
        {
            var prior = PriorOf(network, layer);
            int index = groups.FindIndex(g => g.Prior == prior);
            if (index < 0) groups.Add((prior == network.Prior ? NetworkPriorField : layer.Name + "Prior", prior, new List<LayerModel> { layer }));
            else groups[index].Layers.Add(layer);
        }
        return groups;
    }

    /// <summary>The layers whose complexity term needs a prior object (log densities rather than a closed form).</summary>
    public IEnumerable<LayerModel> LayersNeedingPriorObjects(NetworkModel network) => network.Layers.Where(l => NeedsPriorObject(network, l));

    /// <summary>A runtime expression that builds the prior: <c>global::BnnDsl.Prior.Normal(0.0, 1.0)</c>.</summary>
    public static string PriorExpression(PriorModel prior) =>
        $"{Names.Prior}.{prior.Family}({string.Join(", ", prior.Parameters.Select(CodeWriter.Number))})";

    /// <summary>How the prior reads in documentation: <c>Normal(0, 1)</c>.</summary>
    public static string DescribePrior(PriorModel prior) =>
        $"{prior.Family}({string.Join(", ", prior.Parameters.Select(p => p.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))})";

    /// <summary>Joins terms as <c>first</c>, then <c>+ next</c> on continuation lines.</summary>
    protected static void WriteSum(CodeWriter writer, string assignment, IReadOnlyList<string> terms)
    {
        writer.Line($"{assignment}{terms[0]}{(terms.Count == 1 ? ";" : "")}");
        writer.Indent();
        for (int i = 1; i < terms.Count; i++) writer.Line($"+ {terms[i]}{(i == terms.Count - 1 ? ";" : "")}");
        writer.Outdent();
    }
}

/// <summary>Point estimates: the prior is a penalty −log p(θ), which for Normal(0, s0) is L2 weight decay.</summary>
internal sealed class MapEmitter : PosteriorEmitter
{
    public override string ParameterType => Names.PointDense;

    public override string Construct(NetworkModel network, LayerModel layer) =>
        $"new {ParameterType}({layer.Inputs}, {layer.Outputs}, device)";

    public override string Describe(NetworkModel network) => "MAP point estimate";

    protected override bool NeedsPriorObject(NetworkModel network, LayerModel layer) => true;

    public override void WritePreActivation(CodeWriter writer, NetworkModel network, LayerModel layer, string input, string local) =>
        writer.Line($"var {local} = {ParameterField(layer)}.Linear({input});");

    public override void WriteComplexity(CodeWriter writer, NetworkModel network)
    {
        WriteGaussianPriorPrecisions(writer, network);
        writer.Line("/// <summary>−log p(θ) of the current weights and biases under their priors, in nats.</summary>");
        writer.Block($"public override {Names.Tensor} Complexity()", () =>
        {
            var terms = PriorGroups(network, network.Layers).Select(group =>
                $"{group.Field}.NegativeLogProb({string.Join(", ", group.Layers.SelectMany(l => new[] { $"{ParameterField(l)}.Weight", $"{ParameterField(l)}.Bias" }))})").ToList();
            WriteSum(writer, "return ", terms);
        });
    }

    /// <summary>
    /// When every prior is a zero-mean Normal, lists each parameter with its precision 1/s0², so the trainer can apply
    /// the prior's gradient as weight decay (see BayesianModule.GaussianPriorPrecisions).
    /// </summary>
    static void WriteGaussianPriorPrecisions(CodeWriter writer, NetworkModel network)
    {
        if (!network.Layers.All(l => PriorOf(network, l) is { Family: PriorFamily.Normal } p && p.Parameters[0] == 0)) return;
        writer.Line("/// <summary>Each parameter with its prior precision 1/s0²: every prior of this network is a zero-mean Normal.</summary>");
        writer.Line($"public override global::System.Collections.Generic.IReadOnlyList<({Names.Parameter} Parameter, double Precision)> GaussianPriorPrecisions => new ({Names.Parameter}, double)[]");
        writer.Line("{");
        writer.Indent();
        foreach (var layer in network.Layers)
        {
            double std = PriorOf(network, layer).Parameters[1];
            string precision = CodeWriter.Number(1 / (std * std));
            writer.Line($"({ParameterField(layer)}.Weight, {precision}),");
            writer.Line($"({ParameterField(layer)}.Bias, {precision}),");
        }
        writer.Outdent();
        writer.Line("};");
        writer.Line();
    }
}

/// <summary>
/// Mean-field Gaussian VI (Bayes by Backprop): per-weight sampling or local reparameterisation; the KL in closed
/// form against a Normal prior, by Monte Carlo against priors without one.
/// </summary>
internal sealed class MeanFieldEmitter : PosteriorEmitter
{
    public override string ParameterType => Names.MeanFieldDense;

    static bool HasClosedFormKl(PriorModel prior) => prior.Family == PriorFamily.Normal;

    public override string Construct(NetworkModel network, LayerModel layer)
    {
        var posterior = network.PosteriorOf(layer);
        var biasRho = posterior.InitialBiasRho == posterior.InitialRho ? "" : $", biasInitialRho: {CodeWriter.Number(posterior.InitialBiasRho)}";
        return $"new {ParameterType}({layer.Inputs}, {layer.Outputs}, initialRho: {CodeWriter.Number(posterior.InitialRho)}, device{biasRho})";
    }

    public override string Describe(NetworkModel network)
    {
        // Layers that declare their own options are listed with what differs from the network's.
        var overrides = network.Layers.Where(l => l.Posterior is not null)
            .Select(l => (l.Name, Difference: DescribeDifference(network.Posterior, network.PosteriorOf(l))))
            .Where(o => o.Difference.Length > 0)
            .Select(o => $"{o.Name}: {o.Difference}")
            .ToArray();
        return $"mean-field Gaussian, {Describe(network.Posterior)}{(overrides.Length == 0 ? "" : $" ({string.Join(", ", overrides)})")}";
    }

    static string DescribeDifference(PosteriorModel network, PosteriorModel layer) => string.Join(" and ", new[]
    {
        layer.Method == network.Method ? null : layer.Method.ToString(),
        layer.LocalReparameterization == network.LocalReparameterization ? null
            : layer.LocalReparameterization ? "local reparameterisation" : "per-weight sampling",
        layer.InitialRho == network.InitialRho ? null : $"ρ0 = {CodeWriter.Number(layer.InitialRho)}",
        // Undeclared by layer and network, a bias's ρ follows its layer's ρ0: only a declared one that differs from the
        // network's is news.
        layer.BiasInitialRho is { } biasRho && biasRho != network.BiasInitialRho ? $"bias ρ0 = {CodeWriter.Number(biasRho)}" : null,
    }.Where(part => part is not null));

    static string Describe(PosteriorModel posterior) =>
        $"{(posterior.LocalReparameterization ? "local reparameterisation" : "per-weight sampling")}, ρ0 = {CodeWriter.Number(posterior.InitialRho)}"
        + (posterior.BiasInitialRho is { } biasRho ? $", bias ρ0 = {CodeWriter.Number(biasRho)}" : "");

    protected override bool NeedsPriorObject(NetworkModel network, LayerModel layer) => !HasClosedFormKl(PriorOf(network, layer));

    public override void WritePreActivation(CodeWriter writer, NetworkModel network, LayerModel layer, string input, string local)
    {
        var field = ParameterField(layer);
        var sampled = network.PosteriorOf(layer).LocalReparameterization ? "LocalReparameterizedLinear" : "SampledLinear";
        writer.Line($"var {local} = Mode == {Names.SampleMode}.Mean");
        writer.Indent();
        writer.Line($"? {field}.MeanLinear({input})");
        writer.Line($": {field}.{sampled}({input});");
        writer.Outdent();
    }

    public override void WriteComplexity(CodeWriter writer, NetworkModel network)
    {
        writer.Line("/// <summary>KL(q ‖ p) summed over all weights and biases, in nats.</summary>");
        writer.Block($"public override {Names.Tensor} Complexity()", () =>
        {
            var terms = new List<string>();
            foreach (var layer in network.Layers.Where(l => HasClosedFormKl(PriorOf(network, l))))
            {
                var prior = PriorOf(network, layer);
                var field = ParameterField(layer);
                string mean = CodeWriter.Number(prior.Parameters[0]), std = CodeWriter.Number(prior.Parameters[1]);
                terms.Add($"{Names.Kl}.GaussianVsNormal({field}.WeightMu, {field}.TakeWeightSigma(), {mean}, {std})");
                terms.Add($"{Names.Kl}.GaussianVsNormal({field}.BiasMu, {field}.TakeBiasSigma(), {mean}, {std})");
            }
            foreach (var group in PriorGroups(network, LayersNeedingPriorObjects(network)))
                terms.Add($"{Names.Kl}.MonteCarlo({group.Field}, {string.Join(", ", group.Layers.SelectMany(l => new[] { $"{ParameterField(l)}.TakeWeightDraw()", $"{ParameterField(l)}.TakeBiasDraw()" }))})");
            foreach (var layer in network.Layers)
            {
                var prior = PriorOf(network, layer);
                writer.Line(HasClosedFormKl(prior)
                    ? $"// {layer.Name}: closed form against {DescribePrior(prior)}."
                    : $"// {layer.Name}: one-sample Monte Carlo estimate against {DescribePrior(prior)} (no closed form), at this step's draw.");
            }
            WriteSum(writer, "return ", terms);
        });
        writer.Line();
        WriteMeanFieldPriors(writer, network);
    }

    /// <summary>
    /// Lists each layer with its prior in the order <c>Complexity()</c> evaluates them, for a trainer that applies the
    /// KL's gradient directly (see BayesianModule.MeanFieldPriors).
    /// </summary>
    static void WriteMeanFieldPriors(CodeWriter writer, NetworkModel network)
    {
        var entries = network.Layers.Where(l => HasClosedFormKl(PriorOf(network, l)))
            .Select(l => $"({ParameterField(l)}, {PriorExpression(PriorOf(network, l))})")
            .Concat(PriorGroups(network, network.Layers.Where(l => !HasClosedFormKl(PriorOf(network, l))))
                .SelectMany(group => group.Layers.Select(l => $"({ParameterField(l)}, {group.Field})")));
        writer.Line("/// <summary>Each layer with its prior, in the order <see cref=\"Complexity\"/> evaluates them.</summary>");
        writer.Line($"public override global::System.Collections.Generic.IReadOnlyList<({Names.MeanFieldDense} Layer, {Names.Prior} Prior)> MeanFieldPriors => new ({Names.MeanFieldDense}, {Names.Prior})[]");
        writer.Line("{");
        writer.Indent();
        foreach (var entry in entries) writer.Line(entry + ",");
        writer.Outdent();
        writer.Line("};");
    }
}
