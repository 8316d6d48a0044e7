using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace BnnDsl.Generator.Tests.Validation;

/// <summary>
/// Half-typed code never makes the generator or the analyzers throw (a build would show CS8785 or AD0001), and never
/// makes the generator emit code with errors of its own.
/// </summary>
public class RobustnessTests
{
    [Fact]
    public void TheCorpusHoldsAtLeastFiftyDeclarations() => Assert.True(MalformedDeclarations.All.Count >= 50, $"{MalformedDeclarations.All.Count}");

    [Theory]
    [MemberData(nameof(MalformedDeclarations.Indices), MemberType = typeof(MalformedDeclarations))]
    public async Task MalformedDeclarationNeitherThrowsNorEmitsBrokenCode(int index)
    {
        var source = MalformedDeclarations.All[index];
        await AssertSurvives(source);
    }

    /// <summary>Every prefix of the README's declaration, cut at each token, as the user types it from top to bottom.</summary>
    [Fact]
    public async Task EveryPrefixOfADeclarationAsItIsTyped()
    {
        var source = Tests.Declarations.All["ScaleMixturePriorLocalReparameterization"];
        var ends = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantTokens().Select(t => t.Span.End).Distinct().ToList();
        Assert.True(ends.Count > 100, $"{ends.Count} tokens");
        foreach (var end in ends) await AssertSurvives(source.Substring(0, end));
    }

    static async Task AssertSurvives(string source)
    {
        var (diagnostics, _, failures) = await AnalyzerHarness.BuildAsync(new[] { source });
        Assert.True(failures.Count == 0, source + "\n" + string.Join("\n", failures));
        var inGenerated = diagnostics.Where(d => d.Severity > DiagnosticSeverity.Hidden && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", System.StringComparison.Ordinal) == true).ToList();
        Assert.True(inGenerated.Count == 0, source + "\n" + string.Join("\n", inGenerated));
    }
}
