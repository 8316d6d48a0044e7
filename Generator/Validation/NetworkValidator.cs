using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using BnnDsl.Generator.Model;
using Microsoft.CodeAnalysis;

namespace BnnDsl.Generator.Validation;

/// <summary>One thing wrong with a declaration: which rule, where, and the words that fill the rule's message.</summary>
public sealed record Problem(DiagnosticDescriptor Descriptor, Site Site, params object[] Arguments)
{
    public bool IsError => Descriptor.DefaultSeverity == DiagnosticSeverity.Error;

    /// <summary>The text that should replace the argument at the site, for the code fix (null: none to offer).</summary>
    public string? Replacement { get; init; }
}

/// <summary>
/// The rules of a valid declaration, over the parsed model. The analyzers report every problem at its site; the
/// generator emits a network only when no problem is an error, so invalid input never becomes broken code.
/// </summary>
public static class NetworkValidator
{
    /// <summary>What each inference method accepts. Later methods add a row here and in the README's rules table.</summary>
    static readonly Dictionary<PosteriorMethod, MethodRules> Rules = new()
    {
        [PosteriorMethod.MAP] = new(Options: Array.Empty<string>(), IsVariational: false),
        [PosteriorMethod.MeanField] = new(Options: new[] { "LocalReparameterization", "InitialRho", "BiasInitialRho" }, IsVariational: true),
    };

    sealed record MethodRules(string[] Options, bool IsVariational);

    /// <summary>
    /// Whether the generator can emit the network: every argument was read (an unreadable one is already a compiler
    /// error) and no problem is an error.
    /// </summary>
    public static bool CanGenerate(NetworkModel network) => IsReadable(network) && !Validate(network).Any(p => p.IsError);

    static bool IsReadable(NetworkModel network) =>
        network.NetworkAttributeReadable && network.Prior.Readable && network.Posterior.Readable
        && network.Layers.All(l => l.Readable && l.IsComplete && l.Prior?.Readable != false && l.Posterior?.Readable != false)
        // Two layer methods with one name are the compiler's error (CS0756); one implementation could not serve both.
        && network.Layers.Select(l => l.Name).Distinct().Count() == network.Layers.Count;

    public static IReadOnlyList<Problem> Validate(NetworkModel network)
    {
        var problems = new List<Problem>();
        CheckClass(network, problems);
        CheckNetworkAttribute(network, problems);
        if (network.HasPosteriorAttribute) CheckPosterior(network.Posterior, new Site(SiteKind.NetworkPosterior), $"'{network.Name}'", problems);
        if (network.HasPriorAttribute) CheckPrior(network.Prior, new Site(SiteKind.NetworkPrior), $"the prior of '{network.Name}'", problems);
        if (network.Layers.Count == 0) problems.Add(new(Descriptors.NoLayers, new Site(SiteKind.NetworkAttribute), network.Name));
        for (int i = 0; i < network.StrayAttributes.Count; i++)
            problems.Add(new(Descriptors.AttributeOnNonLayer, new Site(SiteKind.StrayMember, i), network.StrayAttributes[i].Member, network.StrayAttributes[i].Attribute));
        for (int i = 0; i < network.Layers.Count; i++) CheckLayer(network, i, problems);
        CheckNames(network, problems);
        CheckOutputLayer(network, problems);
        NoteMonteCarloKl(network, problems);
        return problems;
    }

    static void CheckClass(NetworkModel network, List<Problem> problems)
    {
        if (!network.IsPartial) problems.Add(new(Descriptors.ClassNotPartial, Site.Class, network.Name));
        if (network.IsGeneric) problems.Add(new(Descriptors.ClassIsGeneric, new Site(SiteKind.TypeParameters), network.Name));
        (string Problem, string Fix)? shape =
            network.IsRecord ? ("is a record, which a generated module class cannot be", "declare it as a partial class")
            : network.IsStatic ? ("is static, which a module with parameters cannot be", "remove 'static'")
            : network.HasPrimaryConstructor ? ("has a primary constructor, which the generated constructor could not call",
                "remove the parameter list and write a constructor that ends with ': this(device: null)'")
            : network.ForeignBaseType is { } baseType ? ($"derives from '{baseType}', but the generator derives it from BayesianModule", "remove the base class")
            : network.FileLocalType == network.Name ? ("is file-local, so the generated part in another file could not join it", "remove 'file'")
            : network.FileLocalType is { } fileLocal ? ($"is inside the file-local type '{fileLocal}', so the generated part in another file could not join it",
                $"remove 'file' from '{fileLocal}'")
            : null;
        if (shape is { } found) problems.Add(new(Descriptors.NotAModuleClass, Site.Class, network.Name, found.Problem, found.Fix));
        foreach (var index in network.ConstructorsNotChaining)
            problems.Add(new(Descriptors.ConstructorNotChaining, new Site(SiteKind.Constructor, index), network.Name));
        foreach (var container in network.ContainingTypes.Where(c => !c.IsPartial))
            problems.Add(new(Descriptors.ContainerNotPartial, Site.Class, container.Name, network.Name));
    }

    static void CheckNetworkAttribute(NetworkModel network, List<Problem> problems)
    {
        if (!network.NetworkAttributeReadable) return;
        var site = new Site(SiteKind.NetworkAttribute);
        CheckKnown(network.Likelihood, site.At(0), "likelihood", problems);
        var likelihood = network.Likelihood.ToString().ToLowerInvariant();
        if (network.Heteroscedastic && network.Likelihood != Likelihood.Gaussian)
            problems.Add(new(Descriptors.GaussianOptionNotTaken, site.AtNamed("Heteroscedastic"), "Heteroscedastic", likelihood));
        if (!network.HasNoiseStd) return;
        if (network.Likelihood != Likelihood.Gaussian)
            problems.Add(new(Descriptors.GaussianOptionNotTaken, site.AtNamed("NoiseStd"), "NoiseStd", likelihood));
        else if (network.Heteroscedastic)
            problems.Add(new(Descriptors.NoiseStdWithHeteroscedastic, site.AtNamed("NoiseStd"), network.Name));
        else if (!(network.NoiseStd >= 0) || double.IsInfinity(network.NoiseStd))
            problems.Add(new(Descriptors.NoiseStdNegative, site.AtNamed("NoiseStd"), network.Name, Format(network.NoiseStd)));
    }

    static void CheckLayer(NetworkModel network, int index, List<Problem> problems)
    {
        var layer = network.Layers[index];
        var member = new Site(SiteKind.LayerMember, index);
        var dense = new Site(SiteKind.LayerDense, index);
        if (layer.IsComplete)
        {
            if (!layer.IsPartialDefinition || layer.HasUserImplementation || !layer.HasExplicitAccessibility)
                problems.Add(new(Descriptors.LayerNotFillable, member, layer.Name));
            if (!layer.HasTensorSignature) problems.Add(new(Descriptors.LayerSignature, member, layer.Name));
        }
        if (layer.Part != network.Layers[0].Part)
            problems.Add(new(Descriptors.LayersInSeveralParts, dense, layer.Name, network.Name, network.Layers[0].Name));

        if (layer.Readable)
        {
            if (layer.Inputs < 1) problems.Add(new(Descriptors.SizeNotPositive, dense.At(0), "input size", layer.Name, layer.Inputs));
            if (layer.Outputs < 1) problems.Add(new(Descriptors.SizeNotPositive, dense.At(1), "output size", layer.Name, layer.Outputs));
            CheckKnown(layer.Activation, dense.At(2), "activation", problems);
            var previous = index > 0 ? network.Layers[index - 1] : null;
            if (previous is { Readable: true } && previous.Outputs >= 1 && layer.Inputs >= 1 && previous.Outputs != layer.Inputs)
                problems.Add(new(Descriptors.SizesDoNotChain, dense.At(0), layer.Name, layer.Inputs, previous.Name, previous.Outputs)
                {
                    Replacement = previous.Outputs.ToString(CultureInfo.InvariantCulture),
                });
        }

        if (layer.Prior is not null) CheckPrior(layer.Prior, new Site(SiteKind.LayerPrior, index), $"the prior of '{layer.Name}'", problems);
        if (layer.Posterior is { } posterior)
        {
            var site = new Site(SiteKind.LayerPosterior, index);
            CheckPosterior(posterior, site, $"'{layer.Name}'", problems);
            if (posterior.Readable && network.Posterior.Readable && posterior.Method != network.Method && Rules.TryGetValue(posterior.Method, out var own)
                && Rules.TryGetValue(network.Method, out var networks) && !(own.IsVariational && networks.IsVariational))
            {
                var variational = string.Join(", ", Rules.Where(r => r.Value.IsVariational).Select(r => r.Key.ToString()));
                var fix = networks.IsVariational
                    ? $"a layer of a {network.Method} network may only choose a variational family ({variational})"
                    : $"{network.Method} applies to the whole network, so remove the layer's [Posterior]";
                problems.Add(new(Descriptors.MixedMethods, site.At(0), layer.Name, posterior.Method.ToString(), network.Method.ToString(), fix));
            }
        }
    }

    /// <summary>
    /// The names generated code declares must be free: not a member of BayesianModule (a layer of that name would
    /// hide it), not a member the user wrote, not taken twice (layers <c>Output</c> and <c>output</c> would both need
    /// the field <c>outputParameters</c>). Each clash is reported once, at what the user can rename.
    /// </summary>
    static void CheckNames(NetworkModel network, List<Problem> problems)
    {
        if (!Rules.ContainsKey(network.Method)) return;
        var owners = new Dictionary<string, (string Role, Site Site, bool IsLayer)>(StringComparer.Ordinal);
        for (int i = 0; i < network.UserMemberNames.Count; i++)
            owners[network.UserMemberNames[i]] = ($"your member '{network.UserMemberNames[i]}'", new Site(SiteKind.UserMember, i), false);
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            var member = new Site(SiteKind.LayerMember, i);
            if (layer.NameIsInherited)
                problems.Add(new(Descriptors.NameTaken, member, layer.Name, $"layer '{layer.Name}'", "a member BayesianModule already has", "rename the layer"));
            else if (layer.Name == Emit.NetworkEmitter.ForwardParameter)
                problems.Add(new(Descriptors.NameTaken, member, layer.Name, $"layer '{layer.Name}'", "the parameter of the generated forward pass", "rename the layer"));
            if (!owners.ContainsKey(layer.Name)) owners[layer.Name] = ($"layer '{layer.Name}'", member, true);
        }
        foreach (var (name, layer, role) in Emit.NetworkEmitter.GeneratedNames(network))
        {
            var site = layer is null ? Site.Class : new Site(SiteKind.LayerMember, IndexOf(network, layer));
            if (!owners.TryGetValue(name, out var owner))
            {
                owners[name] = (role, site, false);
                continue;
            }
            if (owner.IsLayer && network.Layers[owner.Site.Layer].NameIsInherited) continue; // reported above
            // Report where the user can rename: at the layer that wants the name, else at whoever has it.
            var at = layer is not null ? site : owner.Site;
            var fix = at.Kind == SiteKind.UserMember ? "rename or remove your member"
                : owner.Site.Kind == SiteKind.UserMember ? "rename the layer or your member"
                : "rename the layer";
            problems.Add(layer is not null
                ? new(Descriptors.NameTaken, at, name, role, owner.Role, fix)
                : new(Descriptors.NameTaken, at, name, owner.Role, role, fix));
        }
    }

    static int IndexOf(NetworkModel network, LayerModel layer)
    {
        for (int i = 0; i < network.Layers.Count; i++)
            if (ReferenceEquals(network.Layers[i], layer)) return i;
        return -1;
    }

    static void CheckOutputLayer(NetworkModel network, List<Problem> problems)
    {
        // An unreadable [BayesianNetwork] reads as Categorical: nothing here may depend on it.
        if (network.Layers.Count == 0 || !network.NetworkAttributeReadable) return;
        var last = network.Layers[network.Layers.Count - 1];
        if (network.Likelihood == Likelihood.Gaussian && network.Heteroscedastic && last.Readable && last.Outputs >= 1 && last.Outputs % 2 != 0)
            problems.Add(new(Descriptors.HeteroscedasticOddWidth, new Site(SiteKind.LayerDense, network.Layers.Count - 1, 1), last.Name, last.Outputs));
        if (network.Likelihood != Likelihood.Categorical) return;
        if (last.Readable && last.Activation != Activation.None && Enum.IsDefined(typeof(Activation), last.Activation))
            problems.Add(new(Descriptors.CategoricalOutputActivation, new Site(SiteKind.LayerDense, network.Layers.Count - 1, 2), last.Name, last.Activation.ToString()));
    }

    static void CheckPosterior(PosteriorModel posterior, Site site, string owner, List<Problem> problems)
    {
        if (!posterior.Readable) return;
        if (!CheckKnown(posterior.Method, site.At(0), "posterior method", problems)) return;
        var takes = Rules[posterior.Method].Options;
        foreach (var option in posterior.Options)
            if (Array.IndexOf(takes, option) < 0) problems.Add(new(Descriptors.OptionNotTaken, site.AtNamed(option), option, posterior.Method.ToString()));
        if (posterior.Options.Contains("InitialRho") && !IsFinite(posterior.InitialRho))
            problems.Add(new(Descriptors.NotFinite, site.AtNamed("InitialRho"), "InitialRho", owner, Format(posterior.InitialRho)));
        if (posterior.BiasInitialRho is { } biasRho && !IsFinite(biasRho))
            problems.Add(new(Descriptors.NotFinite, site.AtNamed("BiasInitialRho"), "BiasInitialRho", owner, Format(biasRho)));
    }

    static void CheckPrior(PriorModel prior, Site site, string what, List<Problem> problems)
    {
        if (!prior.Readable || !CheckKnown(prior.Family, site.At(0), "prior family", problems)) return;
        var p = prior.Parameters;
        switch (prior.Family)
        {
            case PriorFamily.Normal:
                if (p.Count != 2) { problems.Add(new(Descriptors.PriorArity, site, "Normal", 2, "mean, std", p.Count)); return; }
                if (!IsFinite(p[0])) problems.Add(new(Descriptors.NotFinite, site.At(1), "The mean", what, Format(p[0])));
                if (!IsPositive(p[1])) problems.Add(new(Descriptors.ScaleNotPositive, site.At(2), "The standard deviation", what, Format(p[1])));
                break;
            case PriorFamily.ScaleMixture:
                if (p.Count != 3) { problems.Add(new(Descriptors.PriorArity, site, "ScaleMixture", 3, "pi, sigma1, sigma2", p.Count)); return; }
                if (!(p[0] > 0 && p[0] < 1)) problems.Add(new(Descriptors.MixtureWeightOutOfRange, site.At(1), what, Format(p[0])));
                if (!IsPositive(p[1])) problems.Add(new(Descriptors.ScaleNotPositive, site.At(2), "sigma1", what, Format(p[1])));
                if (!IsPositive(p[2])) problems.Add(new(Descriptors.ScaleNotPositive, site.At(3), "sigma2", what, Format(p[2])));
                if (IsPositive(p[1]) && IsPositive(p[2]) && p[1] <= p[2])
                    problems.Add(new(Descriptors.MixtureScalesOutOfOrder, site.At(2), Capitalized(what), Format(p[1]), Format(p[2])));
                break;
        }
    }

    /// <summary>An informational note wherever a mean-field layer's KL against its prior is a Monte Carlo estimate.</summary>
    static void NoteMonteCarloKl(NetworkModel network, List<Problem> problems)
    {
        bool networkPriorNoted = false;
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            var prior = network.PriorOf(layer);
            var posterior = network.PosteriorOf(layer);
            if (!network.Posterior.Readable || !posterior.Readable || posterior.Method != PosteriorMethod.MeanField
                || prior.Family != PriorFamily.ScaleMixture || !prior.Readable) continue;
            if (layer.Prior is not null)
                problems.Add(new(Descriptors.MonteCarloKl, new Site(SiteKind.LayerPrior, i, 0), "mean-field", "scale-mixture"));
            else if (network.HasPriorAttribute && !networkPriorNoted)
            {
                networkPriorNoted = true;
                problems.Add(new(Descriptors.MonteCarloKl, new Site(SiteKind.NetworkPrior, -1, 0), "mean-field", "scale-mixture"));
            }
        }
    }

    /// <summary>Reports a value outside its enum (written as a cast); returns whether the value is known.</summary>
    static bool CheckKnown<T>(T value, Site site, string what, List<Problem> problems) where T : struct, Enum
    {
        if (Enum.IsDefined(typeof(T), value)) return true;
        problems.Add(new(Descriptors.UnknownValue, site, $"({typeof(T).Name}){Convert.ToInt32(value, CultureInfo.InvariantCulture)}", what,
            string.Join(", ", Enum.GetNames(typeof(T)))));
        return false;
    }

    static bool IsFinite(double value) => !double.IsNaN(value) && !double.IsInfinity(value);

    static bool IsPositive(double value) => value > 0 && !double.IsInfinity(value);

    static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text.Substring(1);
}
