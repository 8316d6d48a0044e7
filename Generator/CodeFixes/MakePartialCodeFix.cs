using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using BnnDsl.Generator.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnnDsl.Generator.CodeFixes;

/// <summary>
/// Adds the missing <c>partial</c> modifier: to the network class (BNN0001) or to every type around it that lacks one
/// (BNN0003). Lives in the generator assembly; the command-line compiler never loads this type, only the IDE does.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFix)), Shared]
public sealed class MakePartialCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(Descriptors.ClassNotPartial.Id, Descriptors.ContainerNotPartial.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var network = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<TypeDeclarationSyntax>();
            if (network is null) continue;
            // The class's own declarations may be in other files: every one of them without 'partial' gets it.
            var targets = (diagnostic.Id == Descriptors.ClassNotPartial.Id
                    ? model.GetDeclaredSymbol(network, context.CancellationToken)?.DeclaringSyntaxReferences
                        .Select(r => r.GetSyntax(context.CancellationToken)).OfType<TypeDeclarationSyntax>() ?? new[] { network }
                    : network.Ancestors().OfType<TypeDeclarationSyntax>())
                .Where(t => !t.Modifiers.Any(SyntaxKind.PartialKeyword)).ToArray();
            if (targets.Length == 0) continue;
            var title = targets.Select(t => t.Identifier.ValueText).Distinct().Count() == 1
                ? $"Make '{targets[0].Identifier.ValueText}' partial"
                : "Make the containing types partial";
            var solution = context.Document.Project.Solution;
            context.RegisterCodeFix(
                CodeAction.Create(title, cancellation => AddPartialAsync(solution, targets, cancellation), equivalenceKey: diagnostic.Id),
                diagnostic);
        }
    }

    static async Task<Solution> AddPartialAsync(Solution solution, TypeDeclarationSyntax[] targets, CancellationToken cancellation)
    {
        foreach (var file in targets.GroupBy(t => t.SyntaxTree))
        {
            if (solution.GetDocument(file.Key) is not { } document) continue;
            var root = await file.Key.GetRootAsync(cancellation).ConfigureAwait(false);
            solution = solution.WithDocumentSyntaxRoot(document.Id, root.ReplaceNodes(file, (original, rewritten) => WithPartial(rewritten)));
        }
        return solution;
    }

    /// <summary>Adds <c>partial</c> as the last modifier, where C# requires it, keeping the line's indentation.</summary>
    static TypeDeclarationSyntax WithPartial(TypeDeclarationSyntax declaration)
    {
        if (declaration.Modifiers.Any(SyntaxKind.PartialKeyword)) return declaration;
        if (declaration.Modifiers.Count > 0)
            return declaration.AddModifiers(SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space));
        var keyword = declaration.Keyword;
        var partial = SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
        return declaration.ReplaceToken(keyword, keyword.WithLeadingTrivia()).WithModifiers(SyntaxFactory.TokenList(partial));
    }
}
