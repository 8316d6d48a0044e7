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
    public async Task EveryPrefixOfTheReadmeDeclarationAsItIsTyped()
    {
        var source = Tests.Declarations.All["ReadmeExample"];
        var ends = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantTokens().Select(t => t.Span.End).Distinct().ToList();
        Assert.True(ends.Count > 100, $"{ends.Count} tokens");
        foreach (var end in ends) await AssertSurvives(source.Substring(0, end));
    }

    /// <summary>
    /// While an argument does not bind, it reads as a neutral value (0); nothing that depends on it may be reported,
    /// or the half-typed attribute would raise errors about something else.
    /// </summary>
    [Theory]
    [InlineData("[BayesianNetwork(Likelihood.Gausian)]\n[Posterior(MeanField)]", "[Dense(400, 1, Tanh)]")]
    [InlineData("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MeanFeild)]", "[Dense(400, 10), Posterior(MeanField, InitialRho = -3)]")]
    [InlineData("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MeanFeild)]\n[Prior(ScaleMixture, 0.5, 1, 0.001)]", "[Dense(400, 10)]")]
    [InlineData("[BayesianNetwork(Likelihood.Categorical)]\n[Prior(Normall, 0, 1)]", "[Dense(400, 10)]")]
    [InlineData("[BayesianNetwork(Likelihood.Categorical)]", "[Dense(400, Ten)]")]
    [InlineData("[BayesianNetwork(Likelihood.Categorical, NoiseStd = )]", "[Dense(400, 10)]")]
    public async Task AnArgumentThatDoesNotBindRaisesNoBnnDiagnostic(string classAttributes, string outputAttributes)
    {
        var source = "using BnnDsl;\nusing TorchSharp;\n\nnamespace Demo;\n\n" + classAttributes + "\npublic partial class Net\n{\n"
            + "    [Dense(784, 400, ReLU)] private partial torch.Tensor Hidden(torch.Tensor input);\n"
            + "    " + outputAttributes + " private partial torch.Tensor Output(torch.Tensor input);\n}\n";
        var (diagnostics, _, failures) = await AnalyzerHarness.BuildAsync(new[] { source });
        Assert.Empty(failures);
        Assert.Contains(diagnostics, d => d.Severity == DiagnosticSeverity.Error && d.Id.StartsWith("CS", System.StringComparison.Ordinal));
        var bnn = diagnostics.Where(d => d.Id.StartsWith("BNN", System.StringComparison.Ordinal)).Select(d => d.ToString()).ToList();
        Assert.True(bnn.Count == 0, string.Join("\n", bnn));
    }

    /// <summary>Two networks whose names differ only in arity get files of their own (a shared hint name would throw).</summary>
    [Fact]
    public async Task GenericAndNonGenericNetworksOfOneNameDoNotCollide()
    {
        var network = "[BayesianNetwork(Likelihood.Categorical)]\npublic partial class Net{0}\n{{\n    [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);\n}}\n";
        var source = "using BnnDsl;\nusing TorchSharp;\n\nnamespace Demo;\n\n" + string.Format(network, "") + string.Format(network, "<T>");
        var (diagnostics, files, failures) = await AnalyzerHarness.BuildAsync(new[] { source });
        Assert.Empty(failures);
        Assert.Contains("Demo.Net.g.cs", files);
        Assert.Contains("Demo.Net`1.g.cs", files);
        Assert.Equal(new[] { "BNN0002" }, diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id).Distinct());
    }

    /// <summary>Roslyn compares hint names ignoring case: Net and NET get a suffix each, and both build.</summary>
    [Fact]
    public async Task NetworksWhoseNamesDifferOnlyInCaseBothGenerate()
    {
        var network = "[BayesianNetwork(Likelihood.Categorical)]\npublic partial class {0}\n{{\n    [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);\n}}\n";
        var source = "using BnnDsl;\nusing TorchSharp;\n\nnamespace Demo;\n\n" + string.Format(network, "Net") + string.Format(network, "NET");
        var (diagnostics, files, failures) = await AnalyzerHarness.BuildAsync(new[] { source });
        Assert.Empty(failures);
        Assert.Equal(2, files.Count(f => f.StartsWith("Demo.", System.StringComparison.Ordinal)));
        Assert.DoesNotContain("Demo.Net.g.cs", files);
        Assert.DoesNotContain(diagnostics, d => d.Severity >= DiagnosticSeverity.Warning);
    }

    static async Task AssertSurvives(string source)
    {
        var (diagnostics, _, failures) = await AnalyzerHarness.BuildAsync(new[] { source });
        Assert.True(failures.Count == 0, source + "\n" + string.Join("\n", failures));
        var inGenerated = diagnostics.Where(d => d.Severity > DiagnosticSeverity.Hidden && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", System.StringComparison.Ordinal) == true).ToList();
        Assert.True(inGenerated.Count == 0, source + "\n" + string.Join("\n", inGenerated));
    }
}
