using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using BnnDsl.Generator.Model;
using BnnDsl.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace BnnDsl.Generator.Validation;

/// <summary>
/// Reports what is wrong with a declaration, where it is written. Reads each class through the generator's own
/// parser and validator, so the squiggles and the generator never disagree; the generator itself reports nothing.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NetworkAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.All);

    /// <summary>The diagnostic property that carries <see cref="Problem.Replacement"/> to the code fix.</summary>
    public const string ReplacementProperty = "Replacement";

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSymbolAction(AnalyzeType, SymbolKind.NamedType);
        context.RegisterSymbolAction(AnalyzeMethod, SymbolKind.Method);
        context.RegisterSyntaxNodeAction(AnalyzeArguments, SyntaxKind.Attribute);
    }

    static void AnalyzeType(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var declaration = NetworkDeclaration.Read(type, context.CancellationToken);
        if (declaration is null)
        {
            foreach (var attribute in type.GetAttributes())
                if (IsOneOf(attribute, NetworkDeclaration.PriorAttribute, NetworkDeclaration.PosteriorAttribute))
                    ReportOutsideNetwork(context, attribute, type);
            return;
        }

        var model = NetworkParser.ToModel(declaration, context.Compilation, context.CancellationToken);
        foreach (var problem in NetworkValidator.Validate(model))
            context.ReportDiagnostic(Diagnostic.Create(problem.Descriptor, SiteLocator.Locate(declaration, problem.Site, context.CancellationToken),
                problem.Replacement is null ? null : ImmutableDictionary<string, string?>.Empty.Add(ReplacementProperty, problem.Replacement),
                problem.Arguments));
    }

    /// <summary>Layer, prior and posterior attributes on a method of a class that is not a network.</summary>
    static void AnalyzeMethod(SymbolAnalysisContext context)
    {
        var method = (IMethodSymbol)context.Symbol;
        // A partial method is analysed once, through its definition, whose attributes include the implementation's.
        if (method.PartialDefinitionPart is not null || method.ContainingType is not { } type) return;
        if (NetworkDeclaration.Find(type.GetAttributes(), NetworkDeclaration.NetworkAttribute) is not null) return;
        foreach (var attribute in method.GetAttributes())
            if (IsOneOf(attribute, NetworkDeclaration.DenseAttribute, NetworkDeclaration.Conv2dAttribute, NetworkDeclaration.MaxPool2dAttribute,
                    NetworkDeclaration.FlattenAttribute, NetworkDeclaration.PriorAttribute, NetworkDeclaration.PosteriorAttribute))
                ReportOutsideNetwork(context, attribute, type);
    }

    static void ReportOutsideNetwork(SymbolAnalysisContext context, AttributeData attribute, INamedTypeSymbol type)
    {
        var location = attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).GetLocation();
        if (location is null) return;
        var name = attribute.AttributeClass!.Name;
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.OutsideNetwork, location, name.Substring(0, name.Length - "Attribute".Length), type.Name));
    }

    static bool IsOneOf(AttributeData attribute, params string[] metadataNames) =>
        attribute.AttributeClass?.ToDisplayString() is { } name && metadataNames.Contains(name);

    /// <summary>
    /// An argument that binds to something that is not a constant (a static readonly field, a method call). The
    /// compiler rejects it too; this says what BnnDsl needs instead. Arguments that do not bind at all are left to
    /// the compiler's own error.
    /// </summary>
    static void AnalyzeArguments(SyntaxNodeAnalysisContext context)
    {
        var attribute = (AttributeSyntax)context.Node;
        if (attribute.ArgumentList is not { Arguments.Count: > 0 } arguments || !MayBeOurs(attribute.Name)) return;
        var constructor = context.SemanticModel.GetSymbolInfo(attribute, context.CancellationToken).CandidateOrSymbol() as IMethodSymbol;
        var attributeType = constructor?.ContainingType;
        if (attributeType is null || attributeType.ContainingNamespace?.ToDisplayString() != "BnnDsl") return;
        var shortName = attributeType.Name.Substring(0, attributeType.Name.Length - "Attribute".Length);
        foreach (var argument in arguments.Arguments)
            ReportNonConstant(context, argument.Expression, shortName);
    }

    static void ReportNonConstant(SyntaxNodeAnalysisContext context, ExpressionSyntax expression, string attribute)
    {
        switch (expression)
        {
            case ArrayCreationExpressionSyntax { Initializer: { } initializer }:
                foreach (var element in initializer.Expressions) ReportNonConstant(context, element, attribute);
                return;
            case ImplicitArrayCreationExpressionSyntax implicitArray:
                foreach (var element in implicitArray.Initializer.Expressions) ReportNonConstant(context, element, attribute);
                return;
        }
        if (context.SemanticModel.GetConstantValue(expression, context.CancellationToken).HasValue) return;
        var symbol = context.SemanticModel.GetSymbolInfo(expression, context.CancellationToken).Symbol;
        if (symbol is IFieldSymbol or IPropertySymbol or IMethodSymbol or ILocalSymbol or IParameterSymbol)
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.NotConstant, expression.GetLocation(), expression.ToString(), attribute));
    }

    /// <summary>A syntactic pre-filter on the attribute's name, before asking the semantic model.</summary>
    static bool MayBeOurs(NameSyntax name)
    {
        var text = name switch
        {
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
            _ => "",
        };
        if (text.EndsWith("Attribute", System.StringComparison.Ordinal)) text = text.Substring(0, text.Length - "Attribute".Length);
        return text is "BayesianNetwork" or "Prior" or "Posterior" or "Dense" or "Conv2d" or "MaxPool2d" or "Flatten";
    }
}

internal static class SymbolInfoExtensions
{
    /// <summary>The bound symbol, or the single candidate when binding failed only on the arguments.</summary>
    public static ISymbol? CandidateOrSymbol(this SymbolInfo info) =>
        info.Symbol ?? (info.CandidateSymbols.Length == 1 ? info.CandidateSymbols[0] : null);
}

/// <summary>Turns a validator <see cref="Site"/> into the source location of the attribute, argument or name it means.</summary>
internal static class SiteLocator
{
    public static Location Locate(NetworkDeclaration declaration, Site site, CancellationToken cancellation)
    {
        var fallback = ClassName(declaration, cancellation);
        switch (site.Kind)
        {
            case SiteKind.ClassName:
                return fallback;
            case SiteKind.TypeParameters:
                return ClassSyntax(declaration, cancellation)?.TypeParameterList?.GetLocation() ?? fallback;
            case SiteKind.NetworkAttribute:
                return Argument(declaration.Network, site, cancellation) ?? fallback;
            case SiteKind.NetworkPrior:
                return Argument(declaration.Prior, site, cancellation) ?? fallback;
            case SiteKind.NetworkPosterior:
                return Argument(declaration.Posterior, site, cancellation) ?? fallback;
            case SiteKind.UserMember when site.Layer >= 0 && site.Layer < declaration.UserMemberNames.Count:
                return declaration.Type.GetMembers(declaration.UserMemberNames[site.Layer])
                    .SelectMany(m => m.Locations).FirstOrDefault(l => l.IsInSource && !NetworkDeclaration.IsGeneratedTree(l.SourceTree!)) ?? fallback;
            case SiteKind.Constructor when site.Layer >= 0 && declaration.UserConstructors is { } constructors && site.Layer < constructors.Count:
                return constructors[site.Layer].Locations.FirstOrDefault(l => l.IsInSource) ?? fallback;
            case SiteKind.StrayMember when site.Layer >= 0 && site.Layer < declaration.StrayAttributes.Count:
                return Argument(declaration.StrayAttributes[site.Layer].Attribute, site, cancellation) ?? fallback;
        }
        if (site.Layer < 0 || site.Layer >= declaration.Layers.Count) return fallback;
        var layer = declaration.Layers[site.Layer];
        return site.Kind switch
        {
            SiteKind.LayerMember => MemberName(layer.Method) ?? fallback,
            SiteKind.LayerAttribute => Argument(layer.Layer, site, cancellation),
            SiteKind.LayerPrior => Argument(layer.Prior, site, cancellation),
            SiteKind.LayerPosterior => Argument(layer.Posterior, site, cancellation),
            _ => null,
        } ?? fallback;
    }

    static TypeDeclarationSyntax? ClassSyntax(NetworkDeclaration declaration, CancellationToken cancellation) =>
        declaration.Network.ApplicationSyntaxReference?.GetSyntax(cancellation).FirstAncestorOrSelf<TypeDeclarationSyntax>();

    static Location ClassName(NetworkDeclaration declaration, CancellationToken cancellation) =>
        ClassSyntax(declaration, cancellation)?.Identifier.GetLocation() ?? declaration.Type.Locations.FirstOrDefault() ?? Location.None;

    /// <summary>The method's name where the user declared it (not in a generated implementation).</summary>
    static Location? MemberName(IMethodSymbol method)
    {
        var definition = method.PartialDefinitionPart ?? method;
        return definition.Locations.FirstOrDefault(l => l.IsInSource);
    }

    /// <summary>
    /// The argument of <paramref name="attribute"/> that <paramref name="site"/> names: a named argument by name, a
    /// constructor argument by position or by its <c>name:</c> label; the whole attribute when the site names no
    /// argument or the argument is not written.
    /// </summary>
    static Location? Argument(AttributeData? attribute, Site site, CancellationToken cancellation)
    {
        if (attribute?.ApplicationSyntaxReference?.GetSyntax(cancellation) is not AttributeSyntax syntax) return null;
        var arguments = syntax.ArgumentList?.Arguments ?? default;
        if (site.Named is not null)
        {
            var named = arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == site.Named);
            return (named ?? (SyntaxNode)syntax).GetLocation();
        }
        if (site.Argument < 0) return syntax.GetLocation();

        var parameters = attribute.AttributeConstructor?.Parameters ?? ImmutableArray<IParameterSymbol>.Empty;
        if (site.Argument < parameters.Length && !parameters[site.Argument].IsParams)
        {
            var labelled = arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == parameters[site.Argument].Name);
            if (labelled is not null) return labelled.GetLocation();
        }
        // Otherwise the argument in that position: C# lets labelled arguments stand in their own position before it.
        var constructorArguments = arguments.Where(a => a.NameEquals is null).ToList();
        return site.Argument < constructorArguments.Count && constructorArguments[site.Argument].NameColon is null
            ? constructorArguments[site.Argument].GetLocation()
            : syntax.GetLocation();
    }
}
