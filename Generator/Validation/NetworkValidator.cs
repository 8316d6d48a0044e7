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
        [PosteriorMethod.MNF] = new(Options: new[] { "flows", "Flow", "CouplingWidth", "AuxiliaryFlows", "AuxiliaryWidth", "InitialLogVariance" }, IsVariational: true),
        [PosteriorMethod.Laplace] = new(Options: new[] { "Hessian", "Subset", "PriorPrecision", "Curvature", "Link" }, IsVariational: false),
        [PosteriorMethod.Dropout] = new(Options: new[] { "Rate" }, IsVariational: true),
        [PosteriorMethod.SGLD] = new(Options: SamplerOptions, IsVariational: false),
        [PosteriorMethod.PSGLD] = new(Options: SamplerOptions.Concat(new[] { "Alpha", "Lambda" }).ToArray(), IsVariational: false),
        [PosteriorMethod.SGHMC] = new(Options: SamplerOptions.Concat(new[] { "Friction" }).ToArray(), IsVariational: false),
    };

    static string[] SamplerOptions => new[] { "StepSize", "DecayOffset", "DecayExponent", "Cycles", "SamplingFraction", "BurnIn", "Thinning", "Samples", "SampleMemory", "Temperature" };


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
        CheckInput(network, problems);
        if (network.HasPosteriorAttribute) CheckPosterior(network.Posterior, new Site(SiteKind.NetworkPosterior), $"'{network.Name}'", problems);
        if (network.HasPriorAttribute) CheckPrior(network.Prior, new Site(SiteKind.NetworkPrior), $"the prior of '{network.Name}'", problems);
        if (network.Layers.Count == 0) problems.Add(new(Descriptors.NoLayers, new Site(SiteKind.NetworkAttribute), network.Name));
        for (int i = 0; i < network.StrayAttributes.Count; i++)
            problems.Add(new(Descriptors.AttributeOnNonLayer, new Site(SiteKind.StrayMember, i), network.StrayAttributes[i].Member, network.StrayAttributes[i].Attribute));
        for (int i = 0; i < network.Layers.Count; i++) CheckLayer(network, i, problems);
        CheckShapes(network, problems);
        CheckNames(network, problems);
        CheckOutputLayer(network, problems);
        NoteMonteCarloKl(network, problems);
        CheckNormalPriors(network, problems);
        CheckLogUniformPriors(network, problems);
        CheckLaplace(network, problems);
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
        if (network.EnsembleMembers is int members && members < 2)
            problems.Add(new(Descriptors.EnsembleTooSmall, site.AtNamed("Ensemble"), network.Name, members));
        if (!network.HasNoiseStd) return;
        if (network.Likelihood != Likelihood.Gaussian)
            problems.Add(new(Descriptors.GaussianOptionNotTaken, site.AtNamed("NoiseStd"), "NoiseStd", likelihood));
        else if (network.Heteroscedastic)
            problems.Add(new(Descriptors.NoiseStdWithHeteroscedastic, site.AtNamed("NoiseStd"), network.Name));
        else if (!(network.NoiseStd >= 0) || double.IsInfinity(network.NoiseStd))
            problems.Add(new(Descriptors.NoiseStdNegative, site.AtNamed("NoiseStd"), network.Name, Format(network.NoiseStd)));
    }

    static void CheckInput(NetworkModel network, List<Problem> problems)
    {
        if (!network.HasInput || !network.NetworkAttributeReadable || LayerShapes.IsValidInput(network.Input)) return;
        problems.Add(new(Descriptors.ShapeArgumentOutOfRange, new Site(SiteKind.NetworkAttribute).AtNamed("Input"), "Input", $"'{network.Name}'",
            $"[{string.Join(", ", network.Input)}]",
            "give one size (features) or three (channels, height, width), each at least 1"));
    }

    static void CheckLayer(NetworkModel network, int index, List<Problem> problems)
    {
        var layer = network.Layers[index];
        var member = new Site(SiteKind.LayerMember, index);
        var dense = new Site(SiteKind.LayerAttribute, index);
        if (layer.IsComplete)
        {
            if (!layer.IsPartialDefinition || layer.HasUserImplementation || !layer.HasExplicitAccessibility)
                problems.Add(new(Descriptors.LayerNotFillable, member, layer.Name));
            if (!layer.HasTensorSignature) problems.Add(new(Descriptors.LayerSignature, member, layer.Name));
        }
        if (layer.Part != network.Layers[0].Part)
            problems.Add(new(Descriptors.LayersInSeveralParts, dense, layer.Name, network.Name, network.Layers[0].Name));

        if (layer.Readable) CheckLayerArguments(layer, dense, problems);

        if (!layer.HasParameters)
        {
            // Pooling and flattening have no weights: a prior or posterior on them would silently do nothing.
            if (layer.Prior is not null)
                problems.Add(new(Descriptors.AttributeOnParameterFreeLayer, new Site(SiteKind.LayerPrior, index), "Prior", layer.Name, layer.AttributeName));
            if (layer.Posterior is not null)
                problems.Add(new(Descriptors.AttributeOnParameterFreeLayer, new Site(SiteKind.LayerPosterior, index), "Posterior", layer.Name, layer.AttributeName));
            return;
        }

        if (layer.Prior is not null) CheckPrior(layer.Prior, new Site(SiteKind.LayerPrior, index), $"the prior of '{layer.Name}'", problems);
        if (layer.Posterior is { } posterior)
        {
            var site = new Site(SiteKind.LayerPosterior, index);
            CheckPosterior(posterior, site, $"'{layer.Name}'", problems);
            // Laplace and the samplers are network-wide: their options on a layer would be ignored.
            if (posterior.Readable && posterior.Method.IsNetworkWide() && network.Method == posterior.Method)
                foreach (var option in posterior.Options)
                    problems.Add(new(Descriptors.OptionNotTaken, OptionSite(site, option), option, $"{posterior.Method} on a layer (declare it on the class)"));
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

    /// <summary>Each argument of a layer attribute on its own: sizes at least 1, strides at least 1, padding not negative.</summary>
    static void CheckLayerArguments(LayerModel layer, Site attribute, List<Problem> problems)
    {
        switch (layer.Kind)
        {
            case LayerKind.Dense:
                if (layer.Inputs < 1) problems.Add(new(Descriptors.SizeNotPositive, attribute.At(0), "input size", layer.Name, layer.Inputs));
                if (layer.Outputs < 1) problems.Add(new(Descriptors.SizeNotPositive, attribute.At(1), "output size", layer.Name, layer.Outputs));
                break;
            case LayerKind.Conv2d:
                if (layer.Inputs < 1) problems.Add(new(Descriptors.SizeNotPositive, attribute.At(0), "input channel count", layer.Name, layer.Inputs));
                if (layer.Outputs < 1) problems.Add(new(Descriptors.SizeNotPositive, attribute.At(1), "output channel count", layer.Name, layer.Outputs));
                if (layer.KernelSize < 1) problems.Add(new(Descriptors.SizeNotPositive, attribute.At(2), "kernel size", layer.Name, layer.KernelSize));
                if (layer.Padding < 0)
                    problems.Add(new(Descriptors.ShapeArgumentOutOfRange, attribute.AtNamed("Padding"), "Padding", $"layer '{layer.Name}'",
                        layer.Padding.ToString(CultureInfo.InvariantCulture), "make it 0 or more"));
                break;
            case LayerKind.MaxPool2d:
                if (layer.KernelSize < 1) problems.Add(new(Descriptors.SizeNotPositive, attribute.At(0), "kernel size", layer.Name, layer.KernelSize));
                break;
        }
        if (layer.Kind is LayerKind.Conv2d or LayerKind.MaxPool2d && layer.Stride < 1 && layer.KernelSize >= 1)
            problems.Add(new(Descriptors.ShapeArgumentOutOfRange, attribute.AtNamed("Stride"), "Stride", $"layer '{layer.Name}'",
                layer.Stride.ToString(CultureInfo.InvariantCulture), "make it at least 1"));
        if (layer.HasActivation) CheckKnown(layer.Activation, attribute.At(layer.ActivationArgument), "activation", problems);
    }

    /// <summary>
    /// Every layer against the shape it receives, in declaration order, which is the forward order unless the user writes
    /// <c>forward</c> (then the order says nothing and only each layer's own arguments are checked).
    /// </summary>
    static void CheckShapes(NetworkModel network, List<Problem> problems)
    {
        if (network.Layers.Count == 0) return;
        if (network.HasUserForward)
        {
            // The generated class still needs the shape of an example, which only a first Dense layer can stand in for.
            if (!network.HasInput && network.Layers[0] is { Readable: true, Kind: not LayerKind.Dense } first)
                problems.Add(new(Descriptors.ImageInputNeeded, new Site(SiteKind.LayerAttribute, 0), first.Name, first.AttributeName,
                    "the network declares no Input", "declare Input = new[] { channels, height, width } on [BayesianNetwork]"));
            return;
        }
        var inputs = LayerShapes.Inputs(network);
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            if (!layer.Readable) continue;
            var site = new Site(SiteKind.LayerAttribute, i);
            var previous = i > 0 ? network.Layers[i - 1] : null;
            var shape = inputs[i];
            string from = previous is null ? "the network's Input" : $"'{previous.Name}' before it";
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                    if (shape is { Length: 3 })
                        problems.Add(new(Descriptors.FlatInputNeeded, site, layer.Name, from, shape[0], shape[1], shape[2]));
                    else if (shape is { Length: 1 } && layer.Inputs >= 1 && shape[0] != layer.Inputs)
                    {
                        var replacement = shape[0].ToString(CultureInfo.InvariantCulture);
                        if (previous is { Kind: LayerKind.Flatten } && inputs[i - 1] is { Length: 3 } image)
                            problems.Add(new(Descriptors.FlattenedSizeDoesNotChain, site.At(0), layer.Name, layer.Inputs, previous.Name, image[0], image[1], image[2], shape[0]) { Replacement = replacement });
                        else if (previous is { Kind: LayerKind.Dense })
                            problems.Add(new(Descriptors.SizesDoNotChain, site.At(0), layer.Name, layer.Inputs, previous.Name, previous.Outputs) { Replacement = replacement });
                        else
                            problems.Add(new(Descriptors.InputsDoNotChain, site.At(0), layer.Name, layer.Inputs, "inputs", from, shape[0]) { Replacement = replacement });
                    }
                    break;
                case LayerKind.Conv2d or LayerKind.MaxPool2d or LayerKind.Flatten:
                    if (shape is null && previous is null && !network.HasInput)
                        problems.Add(new(Descriptors.ImageInputNeeded, site, layer.Name, layer.AttributeName, "the network declares no Input",
                            "declare Input = new[] { channels, height, width } on [BayesianNetwork]"));
                    else if (shape is { Length: 1 } && layer.Kind != LayerKind.Flatten)
                        problems.Add(new(Descriptors.ImageInputNeeded, site, layer.Name, layer.AttributeName, $"{from} gives a flat vector of {shape[0]}",
                            previous is null ? "declare Input = new[] { channels, height, width } on [BayesianNetwork]" : "place it before the Flatten and Dense layers"));
                    else if (shape is { Length: 3 } && layer.Kind != LayerKind.Flatten) CheckWindow(layer, site, shape, from, problems);
                    break;
            }
        }
        var last = network.Layers[network.Layers.Count - 1];
        if (last.Readable && LayerShapes.Output(network) is { Length: 3 } output)
            problems.Add(new(Descriptors.ImageOutput, new Site(SiteKind.LayerAttribute, network.Layers.Count - 1), last.Name, output[0], output[1], output[2]));
    }

    /// <summary>A convolution's input channels, and a convolution's or pooling's kernel against the image it receives.</summary>
    static void CheckWindow(LayerModel layer, Site site, int[] image, string from, List<Problem> problems)
    {
        if (layer.Kind == LayerKind.Conv2d && layer.Inputs >= 1 && layer.Inputs != image[0])
            problems.Add(new(Descriptors.InputsDoNotChain, site.At(0), layer.Name, layer.Inputs, "input channels", from, image[0])
            {
                Replacement = image[0].ToString(CultureInfo.InvariantCulture),
            });
        if (!LayerShapes.HasValidWindow(layer)) return;
        int rows = LayerShapes.Positions(image[1], layer), columns = LayerShapes.Positions(image[2], layer);
        if (rows >= 1 && columns >= 1) return;
        int largest = System.Math.Min(image[1], image[2]) + 2 * layer.Padding;
        problems.Add(new(Descriptors.KernelLargerThanInput, site.At(layer.Kind == LayerKind.Conv2d ? 2 : 0), layer.Name, layer.KernelSize,
            image[1], image[2], layer.Padding > 0 ? $" padded by {layer.Padding} on each side" : "", rows, columns, largest,
            layer.Padding > 0 ? " or pad more" : "")
        {
            Replacement = largest.ToString(CultureInfo.InvariantCulture),
        });
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
        if (last.Kind != LayerKind.Dense) return; // a network ending otherwise is BNN0037's, or its own forward's
        if (network.Likelihood == Likelihood.Gaussian && network.Heteroscedastic && last.Readable && last.Outputs >= 1 && last.Outputs % 2 != 0)
            problems.Add(new(Descriptors.HeteroscedasticOddWidth, new Site(SiteKind.LayerAttribute, network.Layers.Count - 1, 1), last.Name, last.Outputs));
        if (network.Likelihood != Likelihood.Categorical) return;
        if (last.Readable && last.Activation != Activation.None && Enum.IsDefined(typeof(Activation), last.Activation))
            problems.Add(new(Descriptors.CategoricalOutputActivation, new Site(SiteKind.LayerAttribute, network.Layers.Count - 1, 2), last.Name, last.Activation.ToString()));
    }

    static void CheckPosterior(PosteriorModel posterior, Site site, string owner, List<Problem> problems)
    {
        if (!posterior.Readable) return;
        if (!CheckKnown(posterior.Method, site.At(0), "posterior method", problems)) return;
        var takes = Rules[posterior.Method].Options;
        foreach (var option in posterior.Options)
            if (Array.IndexOf(takes, option) < 0)
                problems.Add(new(Descriptors.OptionNotTaken, OptionSite(site, option), option, posterior.Method.ToString()));
        if (posterior.Method == PosteriorMethod.MNF) CheckFlowOptions(posterior, site, owner, problems);
        if (posterior.Method.IsSampler()) CheckSamplerOptions(posterior, site, owner, problems);
        if (posterior.Method == PosteriorMethod.Dropout && posterior.Options.Contains("Rate") && !(posterior.Rate > 0 && posterior.Rate < 1))
            problems.Add(new(Descriptors.DropoutRateOutOfRange, site.AtNamed("Rate"), owner, Format(posterior.Rate)));
        if (posterior.Method == PosteriorMethod.Laplace)
        {
            if (posterior.Options.Contains("Hessian")) CheckKnown(posterior.Hessian, site.AtNamed("Hessian"), "Laplace Hessian", problems);
            if (posterior.Options.Contains("Subset")) CheckKnown(posterior.Subset, site.AtNamed("Subset"), "Laplace subset", problems);
            if (posterior.Options.Contains("PriorPrecision")) CheckKnown(posterior.PriorPrecision, site.AtNamed("PriorPrecision"), "Laplace prior precision", problems);
            if (posterior.Options.Contains("Curvature")) CheckKnown(posterior.Curvature, site.AtNamed("Curvature"), "Laplace curvature", problems);
            if (posterior.Options.Contains("Link")) CheckKnown(posterior.Link, site.AtNamed("Link"), "Laplace link", problems);
        }
        if (posterior.Options.Contains("InitialRho") && !IsFinite(posterior.InitialRho))
            problems.Add(new(Descriptors.NotFinite, site.AtNamed("InitialRho"), "InitialRho", owner, Format(posterior.InitialRho)));
        if (posterior.BiasInitialRho is { } biasRho && !IsFinite(biasRho))
            problems.Add(new(Descriptors.NotFinite, site.AtNamed("BiasInitialRho"), "BiasInitialRho", owner, Format(biasRho)));
    }

    /// <summary>Where an option is written: <c>flows</c> is the constructor's second argument, the others are named.</summary>
    static Site OptionSite(Site posterior, string option) => option == "flows" ? posterior.At(1) : posterior.AtNamed(option);

    /// <summary>MNF's sizes: at least one step in q(z)'s flow, none negative in the auxiliary's, widths of at least 1.</summary>
    static void CheckFlowOptions(PosteriorModel posterior, Site site, string owner, List<Problem> problems)
    {
        void Check(string option, int value, int least, string requirement)
        {
            if (posterior.Options.Contains(option) && value < least)
                problems.Add(new(Descriptors.FlowSizeOutOfRange, OptionSite(site, option), option, owner, value, requirement)
                {
                    Replacement = least.ToString(CultureInfo.InvariantCulture),
                });
        }
        Check("flows", posterior.Flows, 1, "q(z) needs at least one flow step (the paper uses 2)");
        Check("CouplingWidth", posterior.CouplingWidth, 1, "a coupling network needs at least one hidden unit (the paper uses 50)");
        Check("AuxiliaryFlows", posterior.AuxiliaryFlows, 0, "use 0 for an auxiliary without a flow, or more (the paper uses 2)");
        Check("AuxiliaryWidth", posterior.AuxiliaryWidth, 1, "a coupling network needs at least one hidden unit (the paper uses 100)");
        if (posterior.Options.Contains("Flow")) CheckKnown(posterior.Flow, site.AtNamed("Flow"), "flow kind", problems);
        if (posterior.Options.Contains("InitialLogVariance") && !IsFinite(posterior.InitialLogVariance))
            problems.Add(new(Descriptors.NotFinite, site.AtNamed("InitialLogVariance"), "InitialLogVariance", owner, Format(posterior.InitialLogVariance)));
    }

    /// <summary>A sampler's options each in its range; a cyclical schedule keeps the same number of samples in every cycle.</summary>
    static void CheckSamplerOptions(PosteriorModel posterior, Site site, string owner, List<Problem> problems)
    {
        void Check(string option, double? value, Func<double, bool> valid, string requirement)
        {
            if (value is { } v && posterior.Options.Contains(option) && !valid(v))
                problems.Add(new(Descriptors.SamplerOptionOutOfRange, OptionSite(site, option), option, owner, Format(v), requirement));
        }
        Check("StepSize", posterior.StepSize, v => v > 0 && IsFinite(v), "the step size must be positive and finite");
        Check("DecayOffset", posterior.DecayOffset, v => v > 0 && IsFinite(v), "the decay offset b, in steps, must be positive");
        Check("DecayExponent", posterior.DecayExponent, v => v > 0.5 && v <= 1, "γ must lie in (0.5, 1] for the decay to satisfy Welling and Teh's conditions");
        Check("Cycles", posterior.Cycles, v => v >= 0, "use 0 for the polynomial decay, or a positive number of cycles");
        Check("SamplingFraction", posterior.SamplingFraction, v => v > 0 && v <= 1, "the sampling part of a cycle is a fraction in (0, 1]");
        Check("BurnIn", posterior.BurnIn, v => v >= 0 && v < 1, "the burn-in is a fraction of the run in [0, 1)");
        Check("Thinning", posterior.Thinning, v => v >= 0, "use 0 to spread the samples evenly, or a positive number of steps");
        Check("Samples", posterior.Samples, v => v >= 1, "the predictive needs at least one sample");
        Check("SampleMemory", posterior.SampleMemory, v => v >= 0 && IsFinite(v), "the memory for samples is a number of MiB, 0 or more (0: all on disk)");
        Check("Temperature", posterior.Temperature, v => v > 0 && IsFinite(v), "the temperature must be positive (1: the posterior)");
        Check("Alpha", posterior.Alpha, v => v > 0 && v < 1, "the squared-gradient average's decay lies in (0, 1)");
        Check("Lambda", posterior.Lambda, v => v > 0 && IsFinite(v), "λ must be positive");
        Check("Friction", posterior.Friction, v => v > 0 && v <= 1, "the friction lies in (0, 1]");
        int cycles = posterior.Cycles ?? 0, samples = posterior.Samples ?? 32;
        if (cycles > 0 && samples >= 1 && samples % cycles != 0)
            problems.Add(new(Descriptors.SamplesDoNotFitCycles, OptionSite(site, posterior.Options.Contains("Samples") ? "Samples" : "Cycles"),
                samples, cycles, samples < cycles ? $"at least {cycles}" : $"{samples / cycles * cycles} or {(samples / cycles + 1) * cycles}"));
    }

    /// <summary>Every MNF layer's prior, and the prior of the layer Laplace approximates, must be Normal.</summary>
    static void CheckNormalPriors(NetworkModel network, List<Problem> problems)
    {
        if (!network.Posterior.Readable) return;
        bool networkPriorReported = false;
        var laplaceLayers = network.Method != PosteriorMethod.Laplace ? new List<LayerModel>()
            : network.Posterior.Subset == LaplaceSubset.All ? network.ParameterLayers.ToList()
            : network.ParameterLayers.Reverse().Take(1).ToList();
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            if (!layer.HasParameters) continue;
            var posterior = network.PosteriorOf(layer);
            var prior = network.PriorOf(layer);
            string? why = posterior.Readable && posterior.Method == PosteriorMethod.MNF ? "whose KL given the noise is in closed form only against a Normal prior"
                : laplaceLayers.Any(l => ReferenceEquals(l, layer)) ? "whose prior precision the marginal likelihood tunes for a Normal prior"
                : null;
            if (why is null || !prior.Readable || prior.Family == PriorFamily.Normal || !Enum.IsDefined(typeof(PriorFamily), prior.Family)) continue;
            var method = posterior.Method == PosteriorMethod.MNF ? "MNF" : "Laplace";
            ReportAtPrior(network, i, ref networkPriorReported,
                site => new(Descriptors.NormalPriorNeeded, site, layer.Name, method, why, prior.Family.ToString()), problems);
        }
    }

    /// <summary>
    /// Laplace over the last layer needs it Dense and giving the outputs before any activation (the linearised
    /// predictive is linear in them); no subset models a heteroscedastic head; per-layer prior precisions need a
    /// block-diagonal Hessian when several layers are covered; a Full Hessian over many weights is a warning.
    /// </summary>
    static void CheckLaplace(NetworkModel network, List<Problem> problems)
    {
        if (!network.Posterior.Readable || network.Method != PosteriorMethod.Laplace || network.Layers.Count == 0 || !network.NetworkAttributeReadable) return;
        var posterior = network.Posterior;
        var posteriorSite = new Site(SiteKind.NetworkPosterior);
        if (posterior.Subset == LaplaceSubset.All)
        {
            if (network.Likelihood == Likelihood.Gaussian && network.Heteroscedastic)
                problems.Add(new(Descriptors.LaplaceCombination, posteriorSite.AtNamed("Subset"), "Subset = All with a heteroscedastic likelihood",
                    "Laplace does not model the head's variances; declare NoiseStd, or leave it out to learn one noise level"));
            else if (posterior.Hessian == LaplaceHessian.Full && posterior.PriorPrecision == LaplacePriorPrecision.PerLayer && network.ParameterLayers.Count() > 1)
                problems.Add(new(Descriptors.LaplaceCombination, posteriorSite.AtNamed("PriorPrecision"), "PriorPrecision = PerLayer with a Full Hessian over all layers",
                    "a Full Hessian couples the layers, so their precisions do not tune one by one; use Hessian = Kron or Diagonal, or one prior precision"));
            if (posterior.Hessian == LaplaceHessian.Full && network.ParameterLayers.All(l => l.Readable))
                WarnIfFullTooLarge(network.ParameterLayers.Sum(l => WeightsOf(network, l)), "all its layers", problems);
            return;
        }
        int index = network.Layers.Count - 1;
        var last = network.Layers[index];
        if (!last.Readable) return;
        var site = new Site(SiteKind.LayerAttribute, index);
        (string Problem, string Fix)? wrong =
            last.Kind != LayerKind.Dense ? ($"is {last.AttributeName}, not Dense", "end the network with a Dense layer, or cover all weights (Subset = All)")
            : network.Likelihood == Likelihood.Gaussian && network.Heteroscedastic ? ("gives a heteroscedastic head's variances, which Laplace does not model", "declare NoiseStd, or leave it out to learn one noise level")
            : last.Activation != Activation.None && Enum.IsDefined(typeof(Activation), last.Activation) ? ($"applies {last.Activation}, but the linearised predictive needs the outputs before any activation", "remove the activation")
            : null;
        if (wrong is { } found)
        {
            problems.Add(new(Descriptors.LaplaceLastLayer, last.Kind == LayerKind.Dense && !network.Heteroscedastic ? site.At(2) : site, last.Name, found.Problem, found.Fix));
            return;
        }
        if (posterior.Hessian == LaplaceHessian.Full && last.Inputs >= 1 && last.Outputs >= 1)
            WarnIfFullTooLarge((double)last.Outputs * (last.Inputs + 1), $"layer '{last.Name}'", problems);
    }

    /// <summary>A dense layer's (inputs + 1) · outputs, a convolution's (in · k² + 1) · out; 0 where a size is not readable.</summary>
    static double WeightsOf(NetworkModel network, LayerModel layer) => layer.Kind switch
    {
        LayerKind.Dense => (double)layer.Outputs * (layer.Inputs + 1),
        LayerKind.Conv2d => (double)layer.Outputs * ((double)layer.Inputs * layer.KernelSize * layer.KernelSize + 1),
        _ => 0,
    };

    static void WarnIfFullTooLarge(double weights, string where, List<Problem> problems)
    {
        double gibibytes = weights * weights * 8 / (1L << 30);
        if (gibibytes > 2)
            problems.Add(new(Descriptors.FullHessianTooLarge, new Site(SiteKind.NetworkPosterior).AtNamed("Hessian"), weights.ToString("N0", CultureInfo.InvariantCulture),
                where, gibibytes.ToString("F1", CultureInfo.InvariantCulture)));
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
            case PriorFamily.LogUniform:
                if (p.Count != 0)
                    problems.Add(new(Descriptors.LogUniformMisused, site, $"Prior(LogUniform) takes no parameters, but {p.Count} were given", "write [Prior(LogUniform)]"));
                break;
        }
    }

    /// <summary>The log-uniform prior with a family other than mean-field (MNF and Laplace report their need of a Normal prior, BNN0039).</summary>
    static void CheckLogUniformPriors(NetworkModel network, List<Problem> problems)
    {
        if (!network.Posterior.Readable) return;
        bool networkPriorReported = false;
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            if (!layer.HasParameters) continue;
            var prior = network.PriorOf(layer);
            var posterior = network.PosteriorOf(layer);
            if (!prior.Readable || prior.Family != PriorFamily.LogUniform || !posterior.Readable
                || posterior.Method is PosteriorMethod.MeanField or PosteriorMethod.MNF or PosteriorMethod.Laplace
                || !Enum.IsDefined(typeof(PosteriorMethod), posterior.Method)) continue;
            ReportAtPrior(network, i, ref networkPriorReported, site => new(Descriptors.LogUniformMisused, site,
                $"Layer '{layer.Name}' uses {posterior.Method} under the log-uniform prior, whose density 1/|w| has no mode and no finite penalty at 0",
                "the log-uniform prior fits mean-field only (its KL depends on σ²/μ²); use Normal or ScaleMixture here"), problems);
        }
    }

    /// <summary>An informational note wherever a mean-field layer's KL against its prior is a Monte Carlo estimate.</summary>
    static void NoteMonteCarloKl(NetworkModel network, List<Problem> problems)
    {
        bool networkPriorNoted = false;
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            if (!layer.HasParameters) continue;
            var prior = network.PriorOf(layer);
            var posterior = network.PosteriorOf(layer);
            if (!network.Posterior.Readable || !posterior.Readable || posterior.Method != PosteriorMethod.MeanField
                || prior.Family != PriorFamily.ScaleMixture || !prior.Readable) continue;
            ReportAtPrior(network, i, ref networkPriorNoted, site => new(Descriptors.MonteCarloKl, site, "mean-field", "scale-mixture"), problems);
        }
    }

    /// <summary>
    /// A problem with the prior layer <paramref name="index"/> uses: at the layer's own [Prior], else once for all the layers
    /// that inherit it, at the network's. (A layer that inherits from a network without [Prior] has the default Normal.)
    /// </summary>
    static void ReportAtPrior(NetworkModel network, int index, ref bool networkReported, Func<Site, Problem> problem, List<Problem> problems)
    {
        if (network.Layers[index].Prior is not null) problems.Add(problem(new Site(SiteKind.LayerPrior, index, 0)));
        else if (network.HasPriorAttribute && !networkReported)
        {
            networkReported = true;
            problems.Add(problem(new Site(SiteKind.NetworkPrior, -1, 0)));
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
