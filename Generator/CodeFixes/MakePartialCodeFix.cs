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
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var network = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<TypeDeclarationSyntax>();
            if (network is null) continue;
            var targets = diagnostic.Id == Descriptors.ClassNotPartial.Id
                ? new[] { network }
                : network.Ancestors().OfType<TypeDeclarationSyntax>().Where(t => !t.Modifiers.Any(SyntaxKind.PartialKeyword)).ToArray();
            if (targets.Length == 0) continue;
            var title = targets.Length == 1 ? $"Make '{targets[0].Identifier.ValueText}' partial" : "Make the containing types partial";
            context.RegisterCodeFix(
                CodeAction.Create(title, cancellation => AddPartial(context.Document, root, targets, cancellation), equivalenceKey: diagnostic.Id),
                diagnostic);
        }
    }

    static Task<Document> AddPartial(Document document, SyntaxNode root, TypeDeclarationSyntax[] targets, CancellationToken _) =>
        Task.FromResult(document.WithSyntaxRoot(root.ReplaceNodes(targets, (original, rewritten) => WithPartial(rewritten))));

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
