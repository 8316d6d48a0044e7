using System.Linq;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace BnnDsl.Generator.Tests;

public class SnapshotTests
{
    public static TheoryData<string> Names => new(Declarations.All.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryEmittedFileMatchesItsSnapshot(string declaration)
    {
        var (_, files, _) = GeneratorHarness.Run(Declarations.All[declaration]);
        var networkFiles = files.Where(f => f.Key != "BnnDsl.Vocabulary.g.cs").ToList();
        Assert.Single(networkFiles);
        foreach (var (hintName, text) in networkFiles)
            Snapshot.Verify(text, nameof(SnapshotTests), $"{declaration}.{hintName.Replace(".g.cs", "")}");
    }

    [Fact]
    public void VocabularyFileMatchesItsSnapshot()
    {
        var (_, files, _) = GeneratorHarness.Run(Declarations.All["NormalPrior"]);
        Snapshot.Verify(files["BnnDsl.Vocabulary.g.cs"], nameof(SnapshotTests), "Vocabulary");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EmittedCodeCompilesWithoutWarningsAtCSharp10AndLatest(string declaration)
    {
        foreach (var version in new[] { LanguageVersion.CSharp10, LanguageVersion.Latest })
        {
            var (output, files, generatorDiagnostics) = GeneratorHarness.Run(Declarations.All[declaration], version);
            Assert.Empty(generatorDiagnostics);
            Assert.Equal(2, files.Count);
            string problems = GeneratorHarness.Problems(output);
            Assert.True(problems.Length == 0, $"C# {version}:\n{problems}");
        }
    }

    [Fact]
    public void NumbersAreWrittenInTheInvariantCultureWhateverTheCurrentCulture()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            // A culture whose decimal separator is a comma (named cultures are absent under invariant globalization).
            var comma = (System.Globalization.CultureInfo)System.Globalization.CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";
            System.Globalization.CultureInfo.CurrentCulture = comma;
            var (_, files, _) = GeneratorHarness.Run(Declarations.All["PerLayerPriorOverride"]);
            var text = files["Demo.FashionMlp.g.cs"];
            Assert.Contains("0.1", text);
            Assert.DoesNotContain("0,1", text);
        }
        finally { System.Globalization.CultureInfo.CurrentCulture = previous; }
    }

    [Fact]
    public void InvalidDeclarationGetsThrowingLayerBodiesAndNoNetwork()
    {
        // Sizes that do not chain: no network, only the placeholder bodies that keep the build's errors to the BNN ones.
        var source = Declarations.Mlp("[Posterior(MeanField)]", "[Dense(300, 10)]");
        foreach (var version in new[] { LanguageVersion.CSharp10, LanguageVersion.Latest })
        {
            var (output, generated, diagnostics) = GeneratorHarness.Run(source, version);
            Assert.Empty(diagnostics);
            Assert.Equal(new[] { "BnnDsl.Vocabulary.g.cs", "Demo.FashionMlp.g.cs" }, generated.Keys.OrderBy(k => k, System.StringComparer.Ordinal).ToArray());
            string problems = GeneratorHarness.Problems(output);
            Assert.True(problems.Length == 0, $"C# {version}:\n{problems}");
        }
        var (_, files, _) = GeneratorHarness.Run(source);
        Snapshot.Verify(files["Demo.FashionMlp.g.cs"], nameof(SnapshotTests), "InvalidDeclarationPlaceholder");
    }

    [Fact]
    public void NonPartialClassEmitsNothing()
    {
        var source = Declarations.Mlp("[Posterior(MeanField)]").Replace("public partial class", "public class");
        var (_, files, _) = GeneratorHarness.Run(source);
        Assert.Equal(new[] { "BnnDsl.Vocabulary.g.cs" }, files.Keys.ToArray());
    }
}
