using System.Collections.Generic;
using System.Linq;
using System.Threading;
using BnnDsl.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnnDsl.Generator.Parsing;

/// <summary>Reads a <c>[BayesianNetwork]</c> class and its attributes into a <see cref="NetworkModel"/>.</summary>
public static class NetworkParser
{
    public const string NetworkAttribute = NetworkDeclaration.NetworkAttribute;
    const string TensorType = "TorchSharp.torch.Tensor";

    /// <summary>Cheap syntactic filter for the attribute pipeline: classes, and records so that they are reported.</summary>
    public static bool IsCandidate(SyntaxNode node, CancellationToken _) =>
        node is ClassDeclarationSyntax || node is RecordDeclarationSyntax record && !record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword);

    /// <summary>The generator's transform: the model of the class the attribute pipeline found.</summary>
    public static NetworkModel? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellation) =>
        context.TargetSymbol is INamedTypeSymbol type && NetworkDeclaration.Read(type, cancellation) is { } declaration
            // With [BayesianNetwork] on two partial declarations (CS0579) the class is parsed once, at the one that counts.
            && declaration.Network.ApplicationSyntaxReference?.GetSyntax(cancellation).FirstAncestorOrSelf<TypeDeclarationSyntax>() == context.TargetNode
            ? ToModel(declaration, context.SemanticModel.Compilation, cancellation)
            : null;

    /// <summary>
    /// Builds the model. Never throws on half-typed code: an attribute whose arguments the compiler could not bind is
    /// marked unreadable and read as neutral values, and the validator leaves it to the compiler's error.
    /// </summary>
    internal static NetworkModel ToModel(NetworkDeclaration declaration, Compilation compilation, CancellationToken cancellation)
    {
        var type = declaration.Type;
        var network = declaration.Network;
        var noiseStd = NamedDouble(network, "NoiseStd");
        var module = compilation.GetTypeByMetadataName(ModuleType);

        var layers = new List<LayerModel>();
        foreach (var layer in declaration.Layers)
        {
            var definition = layer.Method.PartialDefinitionPart ?? layer.Method;
            var implementation = definition.PartialImplementationPart;
            var syntax = definition.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellation) as MethodDeclarationSyntax;
            // A layer the generator can implement: one tensor in, one out, and no modifier that changes what a method is.
            bool tensorSignature = definition.Parameters.Length == 1
                && definition.Parameters[0].Type.ToDisplayString() == TensorType
                && definition.Parameters[0].RefKind == RefKind.None
                && definition.ReturnType.ToDisplayString() == TensorType
                && definition.RefKind == RefKind.None
                && !definition.IsStatic && !definition.IsGenericMethod
                && !definition.IsVirtual && !definition.IsOverride && !definition.IsAbstract && !definition.IsSealed && !definition.IsExtern;
            var attribute = layer.Layer;
            bool convolution = layer.Kind == LayerKind.Conv2d, pooling = layer.Kind == LayerKind.MaxPool2d;
            int kernelSize = convolution ? IntArgument(attribute, 2) : pooling ? IntArgument(attribute, 0) : 0;
            layers.Add(new LayerModel(
                definition.Name,
                // Every modifier but 'partial' (accessibility, new, unsafe): the implementation must repeat them.
                syntax is null ? Accessibility(definition.DeclaredAccessibility)
                    : string.Join(" ", syntax.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.Text)),
                definition.Parameters.Length == 1 ? definition.Parameters[0].Name : "input",
                layer.Kind is LayerKind.Dense or LayerKind.Conv2d ? IntArgument(attribute, 0) : 0,
                layer.Kind is LayerKind.Dense or LayerKind.Conv2d ? IntArgument(attribute, 1) : 0,
                layer.Kind switch { LayerKind.Dense => (Activation)IntArgument(attribute, 2), LayerKind.Conv2d => (Activation)IntArgument(attribute, 3), _ => Activation.None },
                layer.Prior is null ? null : ReadPrior(layer.Prior),
                layer.Posterior is null ? null : ReadPosterior(layer.Posterior),
                IsPartialDefinition: definition.IsPartialDefinition,
                // A partial method with a return value must state its accessibility, and the implementation repeats it.
                HasExplicitAccessibility: syntax is null || syntax.Modifiers.Any(m => SyntaxFacts.IsAccessibilityModifier(m.Kind())),
                HasUserImplementation: implementation is not null && !NetworkDeclaration.IsGenerated(implementation),
                HasTensorSignature: tensorSignature,
                NameIsInherited: IsInherited(module, definition.Name),
                layer.Part,
                PlaceholderSignature(definition, syntax, tensorSignature),
                Readable: IsReadable(attribute),
                IsComplete: syntax is null || !syntax.ContainsDiagnostics)
            {
                Kind = layer.Kind,
                KernelSize = kernelSize,
                // A pooling's windows do not overlap unless a stride says otherwise.
                Stride = NamedInt(attribute, "Stride") ?? (pooling ? kernelSize : 1),
                Padding = NamedInt(attribute, "Padding") ?? 0,
            });
        }
        cancellation.ThrowIfCancellationRequested();

        var containers = new List<ContainingTypeModel>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            containers.Insert(0, new ContainingTypeModel(
                outer.TypeKind == TypeKind.Interface ? "interface"
                    : outer.IsRecord ? (outer.IsValueType ? "record struct" : "record")
                    : outer.TypeKind == TypeKind.Struct ? "struct" : "class",
                outer.Name,
                TypeParameterList(outer),
                NetworkDeclaration.IsPartial(outer, cancellation)));

        return new NetworkModel(
            NamespaceName(type.ContainingNamespace),
            type.Name,
            new EquatableArray<ContainingTypeModel>(containers),
            IsPartial: NetworkDeclaration.IsPartial(type, cancellation),
            TypeParameterList(type),
            FileLocalType: Enclosing(type).FirstOrDefault(t => t.IsFileLocal)?.Name,
            HeaderIsComplete: type.DeclaringSyntaxReferences.All(reference => reference.GetSyntax(cancellation) is TypeDeclarationSyntax declaration
                && !declaration.Identifier.IsMissing && declaration.TypeParameterList?.ContainsDiagnostics != true && declaration.BaseList?.ContainsDiagnostics != true),
            HasPrimaryConstructor: type.DeclaringSyntaxReferences.Any(reference => reference.GetSyntax(cancellation) is TypeDeclarationSyntax { ParameterList: not null }),
            new EquatableArray<int>(declaration.UserConstructors
                .Select((constructor, index) => (constructor, index))
                .Where(c => c.constructor.DeclaringSyntaxReferences[0].GetSyntax(cancellation) is not ConstructorDeclarationSyntax { Initializer.ThisOrBaseKeyword.RawKind: (int)SyntaxKind.ThisKeyword })
                .Select(c => c.index)),
            type.IsRecord,
            type.IsStatic,
            ForeignBaseType(type),
            (Likelihood)IntArgument(network, 0),
            noiseStd ?? 0,
            HasNoiseStd: noiseStd is not null,
            Heteroscedastic: NamedBool(network, "Heteroscedastic"),
            NetworkAttributeReadable: IsReadable(network),
            new EquatableArray<string>(declaration.UserMemberNames),
            declaration.Posterior is null ? PosteriorModel.Default : ReadPosterior(declaration.Posterior),
            HasPosteriorAttribute: declaration.Posterior is not null,
            declaration.Prior is null ? PriorModel.DefaultNormal : ReadPrior(declaration.Prior),
            HasPriorAttribute: declaration.Prior is not null,
            new EquatableArray<LayerModel>(layers),
            new EquatableArray<StrayAttributeModel>(declaration.StrayAttributes.Select(s =>
                new StrayAttributeModel(s.Method.Name, s.Attribute.AttributeClass!.Name.Replace("Attribute", "")))))
        {
            Input = new EquatableArray<int>(NamedInts(network, "Input") ?? new List<int>()),
            HasInput = NamedInts(network, "Input") is not null,
            EnsembleMembers = NamedInt(network, "Ensemble"),
        };
    }

    /// <summary>The namespace as dotted raw names (<c>App.event</c> for <c>App.@event</c>), or null for the global one.</summary>
    static string? NamespaceName(INamespaceSymbol? space)
    {
        var names = new List<string>();
        for (; space is { IsGlobalNamespace: false }; space = space.ContainingNamespace) names.Insert(0, space.Name);
        return names.Count == 0 ? null : string.Join(".", names);
    }

    static string TypeParameterList(INamedTypeSymbol type) =>
        type.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", type.TypeParameters.Select(t => t.Name)) + ">";

    /// <summary>The type and the types that contain it, innermost first.</summary>
    static IEnumerable<INamedTypeSymbol> Enclosing(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.ContainingType) yield return current;
    }

    /// <summary>Whether <paramref name="type"/> or a type inside it (element, type argument, tuple element) does not bind.</summary>
    static bool HasErrorType(ITypeSymbol type) => type switch
    {
        { TypeKind: TypeKind.Error } => true,
        IArrayTypeSymbol array => HasErrorType(array.ElementType),
        IPointerTypeSymbol pointer => HasErrorType(pointer.PointedAtType),
        INamedTypeSymbol named => named.TypeArguments.Any(HasErrorType),
        _ => false,
    };

    /// <summary>Whether a generated network inherits a public or protected member named <paramref name="name"/> from BayesianModule.</summary>
    static bool IsInherited(INamedTypeSymbol? module, string name)
    {
        // A lookup by name per base type: enumerating every member of TorchSharp's Module would cost milliseconds.
        for (var type = module; type is not null; type = type.BaseType)
            foreach (var member in type.GetMembers(name))
                if (member.DeclaredAccessibility is Microsoft.CodeAnalysis.Accessibility.Public or Microsoft.CodeAnalysis.Accessibility.Protected
                    or Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal)
                    return true;
        return false;
    }

    static readonly SymbolDisplayFormat FullyQualified =
        SymbolDisplayFormat.FullyQualifiedFormat.AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>
    /// The signature an implementation of the partial method must repeat (modifiers, fully qualified types, ref kinds),
    /// or null for one that cannot be repeated here: generic, without an accessibility, or naming a type that does not
    /// bind.
    /// </summary>
    static string? PlaceholderSignature(IMethodSymbol method, MethodDeclarationSyntax? syntax, bool tensorSignature)
    {
        if (syntax is null || syntax.ContainsDiagnostics || !method.IsPartialDefinition || method.IsGenericMethod) return null;
        if (!syntax.Modifiers.Any(m => SyntaxFacts.IsAccessibilityModifier(m.Kind()))) return null;
        const string tensor = "global::" + TensorType;
        var modifiers = string.Join(" ", syntax.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.Text));
        if (tensorSignature) // the usual layer, without formatting symbols (this runs for every layer of every network)
            return $"{modifiers} partial {tensor} {Emit.CodeWriter.Identifier(method.Name)}({tensor} {Emit.CodeWriter.Identifier(method.Parameters[0].Name)})";
        if (HasErrorType(method.ReturnType) || method.Parameters.Any(p => HasErrorType(p.Type))) return null;
        var returns = (method.RefKind switch { RefKind.Ref => "ref ", RefKind.RefReadOnly => "ref readonly ", _ => "" })
            + method.ReturnType.ToDisplayString(FullyQualified);
        // Parameter forms beyond these (ref readonly, scoped) are not repeated: such a layer gets no placeholder.
        if (method.Parameters.Any(p => p.RefKind is not (RefKind.None or RefKind.Ref or RefKind.Out or RefKind.In) || p.ScopedKind != ScopedKind.None))
            return null;
        var parameters = method.Parameters.Select(p =>
            (p.IsParams ? "params " : "")
            + (p.RefKind switch { RefKind.Ref => "ref ", RefKind.Out => "out ", RefKind.In => "in ", _ => "" })
            + p.Type.ToDisplayString(FullyQualified) + " " + Emit.CodeWriter.Identifier(p.Name));
        return $"{modifiers} partial {returns} {Emit.CodeWriter.Identifier(method.Name)}({string.Join(", ", parameters)})";
    }

    /// <summary>The name of a base class the user declared other than BayesianModule, or null.</summary>
    static string? ForeignBaseType(INamedTypeSymbol type) =>
        type.BaseType is { SpecialType: not SpecialType.System_Object } baseType && baseType.ToDisplayString() != ModuleType
            && baseType.TypeKind != TypeKind.Error && !type.IsRecord
            ? baseType.Name
            : null;

    const string ModuleType = "BnnDsl.BayesianModule";

    static PriorModel ReadPrior(AttributeData prior)
    {
        var parameters = new List<double>();
        if (prior.ConstructorArguments.Length > 1)
        {
            var array = prior.ConstructorArguments[1];
            if (array.Kind == TypedConstantKind.Array && !array.IsNull)
                foreach (var value in array.Values) parameters.Add(ToDouble(value.Value) ?? double.NaN);
        }
        return new PriorModel((PriorFamily)IntArgument(prior, 0), new EquatableArray<double>(parameters), IsReadable(prior));
    }

    static PosteriorModel ReadPosterior(AttributeData posterior)
    {
        // `flows` is a constructor argument (the card writes `flows: 2`); the options name it only when written.
        bool flowsWritten = WritesConstructorArgument(posterior, 1, "flows");
        var options = posterior.NamedArguments.Select(pair => pair.Key);
        var defaults = new PosteriorModel(PosteriorMethod.MAP, false, 0, EquatableArray<string>.Empty);
        return new(
            (PosteriorMethod)IntArgument(posterior, 0),
            NamedBool(posterior, "LocalReparameterization"),
            NamedDouble(posterior, "InitialRho") ?? PosteriorModel.DefaultInitialRho,
            new EquatableArray<string>((flowsWritten ? new[] { "flows" }.Concat(options) : options).ToArray()),
            IsReadable(posterior))
        {
            BiasInitialRho = NamedDouble(posterior, "BiasInitialRho"),
            Flows = flowsWritten ? IntArgument(posterior, 1) : defaults.Flows,
            Flow = (FlowKind)(NamedInt(posterior, "Flow") ?? (int)defaults.Flow),
            CouplingWidth = NamedInt(posterior, "CouplingWidth") ?? defaults.CouplingWidth,
            AuxiliaryFlows = NamedInt(posterior, "AuxiliaryFlows") ?? defaults.AuxiliaryFlows,
            AuxiliaryWidth = NamedInt(posterior, "AuxiliaryWidth") ?? defaults.AuxiliaryWidth,
            InitialLogVariance = NamedDouble(posterior, "InitialLogVariance") ?? defaults.InitialLogVariance,
            Rate = NamedDouble(posterior, "Rate") ?? PosteriorModel.DefaultDropoutRate,
            StepSize = NamedDouble(posterior, "StepSize"),
            DecayOffset = NamedDouble(posterior, "DecayOffset"),
            DecayExponent = NamedDouble(posterior, "DecayExponent"),
            Cycles = NamedInt(posterior, "Cycles"),
            SamplingFraction = NamedDouble(posterior, "SamplingFraction"),
            BurnIn = NamedDouble(posterior, "BurnIn"),
            Thinning = NamedInt(posterior, "Thinning"),
            Samples = NamedInt(posterior, "Samples"),
            Temperature = NamedDouble(posterior, "Temperature"),
            SampleMemory = NamedDouble(posterior, "SampleMemory"),
            Alpha = NamedDouble(posterior, "Alpha"),
            Lambda = NamedDouble(posterior, "Lambda"),
            Friction = NamedDouble(posterior, "Friction"),
            Hessian = (LaplaceHessian)(NamedInt(posterior, "Hessian") ?? 0),
            Subset = (LaplaceSubset)(NamedInt(posterior, "Subset") ?? 0),
            PriorPrecision = (LaplacePriorPrecision)(NamedInt(posterior, "PriorPrecision") ?? 0),
            Curvature = (LaplaceCurvature)(NamedInt(posterior, "Curvature") ?? 0),
            Link = (LaplaceLink)(NamedInt(posterior, "Link") ?? 0),
        };
    }

    /// <summary>Whether the attribute's source writes its constructor argument <paramref name="index"/> (by position or by name).</summary>
    static bool WritesConstructorArgument(AttributeData attribute, int index, string name) =>
        attribute.ApplicationSyntaxReference?.GetSyntax() is AttributeSyntax { ArgumentList: { } list }
        && (list.Arguments.Count(a => a.NameEquals is null && a.NameColon is null) > index
            || list.Arguments.Any(a => a.NameColon?.Name.Identifier.ValueText == name));

    /// <summary>Whether the compiler bound the attribute and every argument to a constant.</summary>
    static bool IsReadable(AttributeData attribute) =>
        attribute.AttributeConstructor is { } constructor
        && attribute.ConstructorArguments.Length == constructor.Parameters.Length
        && attribute.ConstructorArguments.All(IsReadable)
        && attribute.NamedArguments.All(pair => IsReadable(pair.Value));

    static bool IsReadable(TypedConstant constant) =>
        constant.Kind != TypedConstantKind.Error && (constant.Kind != TypedConstantKind.Array || constant.IsNull || constant.Values.All(IsReadable));

    // Enum arguments arrive as their underlying int; an unreadable argument reads as 0 and is marked unreadable.
    static int IntArgument(AttributeData attribute, int index) =>
        attribute.ConstructorArguments.Length > index && attribute.ConstructorArguments[index].Value is int value ? value : 0;

    static double? NamedDouble(AttributeData attribute, string name)
    {
        foreach (var pair in attribute.NamedArguments)
            if (pair.Key == name) return ToDouble(pair.Value.Value) ?? double.NaN;
        return null;
    }

    static int? NamedInt(AttributeData attribute, string name)
    {
        foreach (var pair in attribute.NamedArguments)
            if (pair.Key == name) return pair.Value.Value is int value ? value : 0;
        return null;
    }

    /// <summary>A named array argument of ints (<c>Input = new[] { 1, 28, 28 }</c>); null when not set, empty for null.</summary>
    static List<int>? NamedInts(AttributeData attribute, string name)
    {
        foreach (var pair in attribute.NamedArguments)
            if (pair.Key == name)
                return pair.Value.Kind == TypedConstantKind.Array && !pair.Value.IsNull
                    ? pair.Value.Values.Select(v => v.Value is int i ? i : 0).ToList()
                    : new List<int>();
        return null;
    }

    static bool NamedBool(AttributeData attribute, string name)
    {
        foreach (var pair in attribute.NamedArguments)
            if (pair.Key == name && pair.Value.Value is bool value) return value;
        return false;
    }

    static double? ToDouble(object? value) => value switch
    {
        double d => d,
        float f => f,
        int i => i,
        long l => l,
        _ => null,
    };

    // A partial method with a return value must repeat its accessibility in the implementation.
    static string Accessibility(Accessibility accessibility) => accessibility switch
    {
        Microsoft.CodeAnalysis.Accessibility.Public => "public",
        Microsoft.CodeAnalysis.Accessibility.Internal => "internal",
        Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
        Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal => "protected internal",
        Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
        _ => "private",
    };
}
