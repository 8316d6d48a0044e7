using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace BnnDsl.Generator.Tests;

/// <summary>Compiles user source with the generator, the way a user's project does.</summary>
public static class GeneratorHarness
{
    /// <summary>The references of a user's project.</summary>
    public static ImmutableArray<MetadataReference> UserReferences => References.Value;

    static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        // What a user's project references: the framework, TorchSharp.dll, BnnDsl.Runtime and BnnDsl.Attributes —
        // not the generator, which a project loads as an analyzer only.
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return paths.Where(p => p.EndsWith(".dll", StringComparison.Ordinal)
                && !Path.GetFileName(p).StartsWith("BnnDsl.Generator", StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    public static CSharpCompilation Compile(string source, LanguageVersion version = LanguageVersion.Latest, string path = "Network.cs") =>
        Compile(new[] { source }, version, path);

    /// <summary>Compiles several files: the first named <paramref name="path"/>, the others Network2.cs, Network3.cs, ….</summary>
    public static CSharpCompilation Compile(IReadOnlyList<string> sources, LanguageVersion version = LanguageVersion.Latest, string path = "Network.cs") =>
        CSharpCompilation.Create("UserProject",
            sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(version), i == 0 ? path : $"Network{i + 1}.cs")),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable,
                warningLevel: 9999,
                // The SDK's defaults: assembly-version unification notes are not warnings in a real build.
                specificDiagnosticOptions: new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));

    public static GeneratorDriver Driver(LanguageVersion version = LanguageVersion.Latest) =>
        CSharpGeneratorDriver.Create(
            new[] { new BayesianNetworkGenerator().AsSourceGenerator() },
            parseOptions: new CSharpParseOptions(version),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns the output compilation and the generated files by hint name.</summary>
    public static (Compilation Output, IReadOnlyDictionary<string, string> Files, ImmutableArray<Diagnostic> GeneratorDiagnostics) Run(
        string source, LanguageVersion version = LanguageVersion.Latest) => Run(new[] { source }, version);

    public static (Compilation Output, IReadOnlyDictionary<string, string> Files, ImmutableArray<Diagnostic> GeneratorDiagnostics) Run(
        IReadOnlyList<string> sources, LanguageVersion version = LanguageVersion.Latest)
    {
        var input = Compile(sources, version);
        var driver = Driver(version).RunGeneratorsAndUpdateCompilation(input, out var output, out var diagnostics);
        var result = driver.GetRunResult().Results.Single();
        if (result.Exception is not null) throw new InvalidOperationException("The generator threw.", result.Exception);
        var files = result.GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        return (output, files, diagnostics);
    }

    /// <summary>Errors and warnings of a compilation, formatted for an assertion message.</summary>
    public static string Problems(Compilation compilation) =>
        string.Join("\n", compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()));
}
