using System.Linq;
using System.Threading.Tasks;
using BnnDsl.Generator.Validation;
using Microsoft.CodeAnalysis;
using Xunit;

namespace BnnDsl.Generator.Tests.Validation;

/// <summary>Every rule fires where the mistake is written, and the nearest right declaration is clean.</summary>
public class DiagnosticTests
{
    [Theory]
    [MemberData(nameof(DiagnosticCases.Cases), MemberType = typeof(DiagnosticCases))]
    public Task FiresAtTheOffendingAttributeOrArgument(DiagnosticCase @case) => AnalyzerHarness.VerifyAsync(@case.Invalid);

    [Theory]
    [MemberData(nameof(DiagnosticCases.Cases), MemberType = typeof(DiagnosticCases))]
    public Task NearestValidDeclarationReportsNothing(DiagnosticCase @case) => AnalyzerHarness.VerifyAsync(@case.Valid);

    [Theory]
    [MemberData(nameof(DiagnosticCases.Cases), MemberType = typeof(DiagnosticCases))]
    public async Task NearestValidDeclarationBuildsCleanWithTheGenerator(DiagnosticCase @case)
    {
        var (diagnostics, files, failures) = await AnalyzerHarness.BuildAsync(@case.Valid);
        Assert.Empty(failures);
        var problems = diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Info && d.Id.StartsWith("BNN", System.StringComparison.Ordinal)
            || d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        if (@case.Valid.Any(s => s.Contains("[BayesianNetwork(", System.StringComparison.Ordinal)))
            Assert.Contains(files, f => f.EndsWith("Net.g.cs", System.StringComparison.Ordinal));
    }

    /// <summary>A declaration with an error gets no network, and the only errors are the analyzers' and those the mistake causes in the compiler.</summary>
    [Theory]
    [MemberData(nameof(DiagnosticCases.Cases), MemberType = typeof(DiagnosticCases))]
    public async Task InvalidDeclarationIsReportedAndNeverBecomesBrokenCode(DiagnosticCase @case)
    {
        var (diagnostics, files, failures) = await AnalyzerHarness.BuildAsync(@case.Invalid.Select(DiagnosticCases.Plain).ToList());
        var generated = await AnalyzerHarness.GeneratedAsync(@case.Invalid.Select(DiagnosticCases.Plain).ToList());
        Assert.Empty(failures);
        Assert.Contains(diagnostics, d => d.Id == @case.Id);
        Assert.DoesNotContain(diagnostics, d => d.Severity > DiagnosticSeverity.Hidden
            && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", System.StringComparison.Ordinal) == true);
        var descriptor = Descriptors.All.Single(d => d.Id == @case.Id);
        if (descriptor.DefaultSeverity == DiagnosticSeverity.Error)
            Assert.DoesNotContain(generated.Values, text => text.Contains("BayesianModule", System.StringComparison.Ordinal));
        // The compiler's own errors: none beyond those the mistake itself causes. In particular no missing layer
        // implementations, which would stop a command-line build before the analyzers run.
        var compilerErrors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("BNN", System.StringComparison.Ordinal))
            .Select(d => d.Id).Distinct().OrderBy(id => id, System.StringComparer.Ordinal).ToArray();
        Assert.Equal(@case.CompilerErrors, compilerErrors);
    }

    static string ScaleMixtureNetwork(string before = "") => DiagnosticCases.All.First(c => c.Name == "scale mixture against mean field").Invalid[0]
        .Replace("[Prior({|BNN0022:ScaleMixture|}", before + "[Prior(ScaleMixture");

    [Fact]
    public Task PragmaWarningDisableSilencesARule() =>
        AnalyzerHarness.VerifyAsync(ScaleMixtureNetwork("#pragma warning disable BNN0022\n"));

    [Fact]
    public Task EditorConfigSeverityNoneSilencesARule() =>
        AnalyzerHarness.VerifyWithEditorConfigAsync("root = true\n\n[*.cs]\ndotnet_diagnostic.BNN0022.severity = none\n", ScaleMixtureNetwork());

    [Fact]
    public void EveryDescriptorHasAFiringCase()
    {
        var covered = DiagnosticCases.All.Select(c => c.Id).ToHashSet();
        Assert.Equal(Descriptors.All.Select(d => d.Id).OrderBy(id => id, System.StringComparer.Ordinal), covered.OrderBy(id => id, System.StringComparer.Ordinal));
    }
}
