using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnnDsl.Generator.Parsing;

/// <summary>
/// A layer as the compiler sees it: the method, its layer attribute (<c>[Dense]</c>, <c>[Conv2d]</c>, <c>[MaxPool2d]</c>
/// or <c>[Flatten]</c>, of <see cref="Kind"/>) and its prior and posterior.
/// </summary>
internal sealed record LayerDeclaration(IMethodSymbol Method, Model.LayerKind Kind, AttributeData Layer, AttributeData? Prior, AttributeData? Posterior, int Part);

/// <summary>
/// A <c>[BayesianNetwork]</c> class as the compiler sees it: the symbols and attribute data the parser reads. The
/// generator turns it into a symbol-free <see cref="Model.NetworkModel"/> at once; the analyzers keep it to map the
/// validator's sites back to source locations. Both read a class through this one type, so they agree on what the
/// layers are and in which order they run.
/// </summary>
internal sealed class NetworkDeclaration
{
    public const string NetworkAttribute = "BnnDsl.BayesianNetworkAttribute";
    public const string PriorAttribute = "BnnDsl.PriorAttribute";
    public const string PosteriorAttribute = "BnnDsl.PosteriorAttribute";
    public const string DenseAttribute = "BnnDsl.DenseAttribute";
    public const string Conv2dAttribute = "BnnDsl.Conv2dAttribute";
    public const string MaxPool2dAttribute = "BnnDsl.MaxPool2dAttribute";
    public const string FlattenAttribute = "BnnDsl.FlattenAttribute";

    /// <summary>Every layer attribute with the kind it declares, in the order a method's attributes are looked up.</summary>
    public static readonly (string MetadataName, Model.LayerKind Kind)[] LayerAttributes =
    {
        (DenseAttribute, Model.LayerKind.Dense),
        (Conv2dAttribute, Model.LayerKind.Conv2d),
        (MaxPool2dAttribute, Model.LayerKind.MaxPool2d),
        (FlattenAttribute, Model.LayerKind.Flatten),
    };

    NetworkDeclaration(INamedTypeSymbol type, AttributeData network, AttributeData? prior, AttributeData? posterior,
        IReadOnlyList<LayerDeclaration> layers, IReadOnlyList<(IMethodSymbol Method, AttributeData Attribute)> strayAttributes)
    {
        Type = type;
        Network = network;
        Prior = prior;
        Posterior = posterior;
        Layers = layers;
        StrayAttributes = strayAttributes;
    }

    public INamedTypeSymbol Type { get; }
    public AttributeData Network { get; }
    public AttributeData? Prior { get; }
    public AttributeData? Posterior { get; }

    /// <summary>The layers in forward order: by partial declaration, then by position in the source.</summary>
    public IReadOnlyList<LayerDeclaration> Layers { get; }

    /// <summary>Names of the members the user wrote in the class, layers aside, in ordinal order.</summary>
    public IReadOnlyList<string> UserMemberNames
    {
        get
        {
            var layers = new HashSet<string>(Layers.Select(l => l.Method.Name));
            return Type.GetMembers()
                .Where(m => !m.IsImplicitlyDeclared && m.CanBeReferencedByName && !layers.Contains(m.Name)
                    && m.DeclaringSyntaxReferences.Any(r => !IsGeneratedTree(r.SyntaxTree)))
                .Select(m => m.Name).Distinct().OrderBy(n => n, System.StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>
    /// The instance constructors the user wrote, in declaration order: not the generated one, not a primary constructor.
    /// </summary>
    public IReadOnlyList<IMethodSymbol> UserConstructors => Type.InstanceConstructors
        .Where(c => !c.IsImplicitlyDeclared && !IsGenerated(c)
            && c.DeclaringSyntaxReferences.Length > 0 && c.DeclaringSyntaxReferences[0].GetSyntax() is ConstructorDeclarationSyntax)
        .OrderBy(c => c.DeclaringSyntaxReferences[0].SyntaxTree.FilePath, System.StringComparer.Ordinal)
        .ThenBy(c => c.DeclaringSyntaxReferences[0].Span.Start)
        .ToList();

    /// <summary>Each <c>[Prior]</c> and <c>[Posterior]</c> on a method of the class that has no <c>[Dense]</c>.</summary>
    public IReadOnlyList<(IMethodSymbol Method, AttributeData Attribute)> StrayAttributes { get; }

    /// <summary>Reads <paramref name="type"/>, or returns null when it has no <c>[BayesianNetwork]</c>.</summary>
    public static NetworkDeclaration? Read(INamedTypeSymbol type, CancellationToken cancellation)
    {
        var attributes = type.GetAttributes();
        var network = Find(attributes, NetworkAttribute);
        if (network is null) return null;

        var parts = type.DeclaringSyntaxReferences;
        var layers = new List<(LayerDeclaration Layer, int Position)>();
        var strayAttributes = new List<(IMethodSymbol, AttributeData)>();
        foreach (var member in type.GetMembers())
        {
            if (member is not IMethodSymbol method) continue;
            // A partial method is listed once, as its definition; its attributes are those of both parts.
            var methodAttributes = method.GetAttributes();
            var (kind, layerAttribute) = FindLayer(methodAttributes);
            var prior = Find(methodAttributes, PriorAttribute);
            var posterior = Find(methodAttributes, PosteriorAttribute);
            if (layerAttribute is null)
            {
                if (prior is not null) strayAttributes.Add((method, prior));
                if (posterior is not null) strayAttributes.Add((method, posterior));
                continue;
            }
            var syntax = layerAttribute.ApplicationSyntaxReference;
            int part = syntax is null ? 0 : PartOf(parts, syntax);
            layers.Add((new LayerDeclaration(method, kind, layerAttribute, prior, posterior, part), syntax?.Span.Start ?? 0));
        }
        cancellation.ThrowIfCancellationRequested();

        var ordered = layers.OrderBy(l => l.Layer.Part).ThenBy(l => l.Position).Select(l => l.Layer).ToList();
        return new NetworkDeclaration(type, network, Find(attributes, PriorAttribute), Find(attributes, PosteriorAttribute), ordered, strayAttributes);
    }

    /// <summary>The method's layer attribute and its kind (the first, should it carry several), or null.</summary>
    static (Model.LayerKind Kind, AttributeData? Attribute) FindLayer(IReadOnlyList<AttributeData> attributes)
    {
        foreach (var attribute in attributes)
        {
            var name = attribute.AttributeClass?.ToDisplayString();
            foreach (var (metadataName, kind) in LayerAttributes)
                if (name == metadataName) return (kind, attribute);
        }
        return (Model.LayerKind.Dense, null);
    }

    public static AttributeData? Find(IEnumerable<AttributeData> attributes, string metadataName) =>
        attributes.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == metadataName);

    /// <summary>The index of the partial declaration of the class that contains <paramref name="syntax"/>.</summary>
    static int PartOf(IReadOnlyList<SyntaxReference> parts, SyntaxReference syntax)
    {
        for (int i = 0; i < parts.Count; i++)
            if (parts[i].SyntaxTree == syntax.SyntaxTree && parts[i].Span.Contains(syntax.Span)) return i;
        return -1;
    }

    /// <summary>Whether every declaration of <paramref name="type"/> carries the <c>partial</c> modifier.</summary>
    public static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellation) =>
        type.DeclaringSyntaxReferences.All(reference =>
            reference.GetSyntax(cancellation) is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.PartialKeyword));

    /// <summary>
    /// Whether <paramref name="method"/> is one the generator wrote. The analyzers run on the compilation with the
    /// generated sources, where a layer's implementation exists; only an implementation the user wrote is a problem.
    /// </summary>
    public static bool IsGenerated(IMethodSymbol method) => method.DeclaringSyntaxReferences.All(r => IsGeneratedTree(r.SyntaxTree));

    /// <summary>Whether <paramref name="tree"/> is a file this generator added to the compilation.</summary>
    public static bool IsGeneratedTree(SyntaxTree tree) =>
        tree.FilePath.Replace('\\', '/').Contains("/" + typeof(BayesianNetworkGenerator).FullName + "/");
}
