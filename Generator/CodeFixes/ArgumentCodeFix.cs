using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using BnnDsl.Generator.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace BnnDsl.Generator.CodeFixes;

/// <summary>
/// The fixes that change one attribute argument, as the diagnostic's message says: take the previous layer's width
/// (BNN0009), the flattened size (BNN0033), the declared input or channels (BNN0036) or the largest kernel that fits
/// (BNN0031) or the least MNF flow size (BNN0038), or remove an option the method or likelihood does not take (BNN0019, BNN0020, BNN0027) or the activation
/// of a categorical output layer (BNN0021).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ArgumentCodeFix)), Shared]
public sealed class ArgumentCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(
        Descriptors.SizesDoNotChain.Id, Descriptors.OptionNotTaken.Id, Descriptors.GaussianOptionNotTaken.Id,
        Descriptors.NoiseStdWithHeteroscedastic.Id, Descriptors.CategoricalOutputActivation.Id, Descriptors.FlattenedSizeDoesNotChain.Id,
        Descriptors.InputsDoNotChain.Id, Descriptors.KernelLargerThanInput.Id, Descriptors.FlowSizeOutOfRange.Id);

    // Two removals in one argument list share the comma between them, so fixing all at once must be one edit.
    public override FixAllProvider GetFixAllProvider() =>
        FixAllProvider.Create(async (context, document, diagnostics) => await ApplyAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false));

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (ArgumentAt(root, diagnostic) is not { } argument) continue;
            var title = Replacement(diagnostic) is { } replacement ? $"Use {replacement}" : $"Remove '{argument}'";
            context.RegisterCodeFix(
                CodeAction.Create(title, cancellation => ApplyAsync(context.Document, ImmutableArray.Create(diagnostic), cancellation), diagnostic.Id),
                diagnostic);
        }
    }

    static async Task<Document> ApplyAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellation)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellation).ConfigureAwait(false);
        foreach (var diagnostic in diagnostics)
        {
            if (ArgumentAt(editor.OriginalRoot, diagnostic) is not { } argument) continue;
            if (Replacement(diagnostic) is { } replacement)
                editor.ReplaceNode(argument.Expression, SyntaxFactory.ParseExpression(replacement).WithTriviaFrom(argument.Expression));
            else
                editor.RemoveNode(argument, SyntaxRemoveOptions.KeepNoTrivia);
        }
        return editor.GetChangedDocument();
    }

    /// <summary>The attribute argument the diagnostic points at, or null when it points at something else.</summary>
    static AttributeArgumentSyntax? ArgumentAt(SyntaxNode root, Diagnostic diagnostic) =>
        root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<AttributeArgumentSyntax>() is { Parent: AttributeArgumentListSyntax } argument
            ? argument
            : null;

    static string? Replacement(Diagnostic diagnostic) =>
        diagnostic.Properties.TryGetValue(NetworkAnalyzer.ReplacementProperty, out var replacement) ? replacement : null;
}
