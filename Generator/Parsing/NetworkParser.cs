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
    public const string NetworkAttribute = "BnnDsl.BayesianNetworkAttribute";
    public const string PriorAttribute = "BnnDsl.PriorAttribute";
    public const string PosteriorAttribute = "BnnDsl.PosteriorAttribute";
    public const string DenseAttribute = "BnnDsl.DenseAttribute";
    const string TensorType = "TorchSharp.torch.Tensor";

    /// <summary>Cheap syntactic filter for the attribute pipeline: class declarations only.</summary>
    public static bool IsCandidate(SyntaxNode node, CancellationToken _) => node is ClassDeclarationSyntax;

    /// <summary>
    /// Parses the class. Never throws on half-typed code: unreadable arguments become neutral values and the
    /// validator decides whether the declaration can be generated.
    /// </summary>
    public static NetworkModel? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellation)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.Attributes.Length == 0) return null;
        var network = context.Attributes[0];

        var likelihood = (Likelihood)IntArgument(network, 0);
        double noiseStd = NamedDouble(network, "NoiseStd") ?? 0;

        var posterior = FindAttribute(type.GetAttributes(), PosteriorAttribute);
        var method = posterior is null ? PosteriorMethod.MeanField : (PosteriorMethod)IntArgument(posterior, 0);
        bool localReparameterization = posterior is not null && NamedBool(posterior, "LocalReparameterization");
        double initialRho = posterior is null ? -5.0 : NamedDouble(posterior, "InitialRho") ?? -5.0;

        var priorAttribute = FindAttribute(type.GetAttributes(), PriorAttribute);
        var prior = priorAttribute is null ? PriorModel.DefaultNormal : ReadPrior(priorAttribute);
        cancellation.ThrowIfCancellationRequested();

        var layers = new List<LayerModel>();
        foreach (var member in type.GetMembers())
        {
            if (member is not IMethodSymbol candidate) continue;
            var dense = FindAttribute(candidate.GetAttributes(), DenseAttribute);
            if (dense is null) continue;
            var layerPrior = FindAttribute(candidate.GetAttributes(), PriorAttribute);
            var definition = candidate.PartialDefinitionPart ?? candidate;
            bool tensorSignature = definition.Parameters.Length == 1
                && definition.Parameters[0].Type.ToDisplayString() == TensorType
                && definition.ReturnType.ToDisplayString() == TensorType
                && !definition.IsStatic && !definition.IsGenericMethod;
            layers.Add(new LayerModel(
                definition.Name,
                MethodModifiers(definition),
                definition.Parameters.Length == 1 ? definition.Parameters[0].Name : "input",
                IntArgument(dense, 0),
                IntArgument(dense, 1),
                (Activation)IntArgument(dense, 2),
                layerPrior is null ? null : ReadPrior(layerPrior),
                IsPartialDefinition: definition.IsPartialDefinition && definition.PartialImplementationPart is null,
                HasTensorSignature: tensorSignature));
        }
        cancellation.ThrowIfCancellationRequested();

        var syntax = (ClassDeclarationSyntax)context.TargetNode;
        var containers = new List<ContainingTypeModel>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            containers.Insert(0, new ContainingTypeModel(outer.IsRecord ? "record" : outer.TypeKind == TypeKind.Struct ? "struct" : "class", outer.Name));

        return new NetworkModel(
            type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
            type.Name,
            new EquatableArray<ContainingTypeModel>(containers),
            IsPartial: syntax.Modifiers.Any(SyntaxKind.PartialKeyword),
            IsGeneric: type.IsGenericType,
            likelihood,
            noiseStd,
            method,
            localReparameterization,
            initialRho,
            HasPosteriorAttribute: posterior is not null,
            prior,
            HasPriorAttribute: priorAttribute is not null,
            new EquatableArray<LayerModel>(layers));
    }

    static AttributeData? FindAttribute(IEnumerable<AttributeData> attributes, string metadataName) =>
        attributes.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == metadataName);

    static PriorModel ReadPrior(AttributeData prior)
    {
        var family = (PriorFamily)IntArgument(prior, 0);
        var parameters = new List<double>();
        if (prior.ConstructorArguments.Length > 1)
        {
            var array = prior.ConstructorArguments[1];
            if (array.Kind == TypedConstantKind.Array && !array.IsNull)
                foreach (var value in array.Values) parameters.Add(ToDouble(value.Value) ?? double.NaN);
        }
        return new PriorModel(family, new EquatableArray<double>(parameters));
    }

    // Enum arguments arrive as their underlying int; an unreadable argument reads as 0 and the validator decides.
    static int IntArgument(AttributeData attribute, int index) =>
        attribute.ConstructorArguments.Length > index && attribute.ConstructorArguments[index].Value is int value ? value : 0;

    static double? NamedDouble(AttributeData attribute, string name)
    {
        foreach (var pair in attribute.NamedArguments)
            if (pair.Key == name) return ToDouble(pair.Value.Value);
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
    static string MethodModifiers(IMethodSymbol method) => Accessibility(method.DeclaredAccessibility);

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
