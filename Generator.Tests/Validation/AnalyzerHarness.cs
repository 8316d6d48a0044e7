using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using BnnDsl.Generator.CodeFixes;
using BnnDsl.Generator.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace BnnDsl.Generator.Tests.Validation;

/// <summary>
/// Runs the analyzers the way the Roslyn test framework does (markup <c>{|BNN0009:…|}</c> marks where each
/// diagnostic must be), against a user's references, and also together with the generator and the compiler.
/// </summary>
public static class AnalyzerHarness
{
    // References come from this test process (the framework, TorchSharp, BnnDsl): nothing is downloaded.
    static readonly ReferenceAssemblies ProcessReferences = new("net10.0");

    /// <summary>
    /// Asserts that the analyzers report exactly the marked diagnostics. Compiler diagnostics are not compared: the
    /// generator does not run here, so layer methods have no implementation.
    /// </summary>
    public static Task VerifyAsync(params string[] markups) => VerifyWithEditorConfigAsync(null, markups);

    /// <summary>As <see cref="VerifyAsync"/>, with an .editorconfig at the project root.</summary>
    public static Task VerifyWithEditorConfigAsync(string? editorConfig, params string[] markups)
    {
        var test = new CSharpAnalyzerTest<NetworkAnalyzer, DefaultVerifier>
        {
            ReferenceAssemblies = ProcessReferences,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        Configure(test.TestState, markups);
        if (editorConfig is not null) test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", editorConfig));
        return test.RunAsync();
    }

    /// <summary>Asserts that the code fix turns <paramref name="markup"/> into <paramref name="fixedSource"/>.</summary>
    public static Task VerifyFixAsync(string markup, string fixedSource) => VerifyFixAsync<MakePartialCodeFix>(markup, fixedSource);

    /// <summary>Asserts that the code fix <typeparamref name="TFix"/> turns <paramref name="markup"/> into <paramref name="fixedSource"/>.</summary>
    public static Task VerifyFixAsync<TFix>(string markup, string fixedSource) where TFix : Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider, new() =>
        VerifyFixAsync<TFix>(new[] { markup }, new[] { fixedSource });

    /// <summary>As <see cref="VerifyFixAsync(string, string)"/>, for a class split over several files.</summary>
    public static Task VerifyFixAsync(string[] markups, string[] fixedSources) => VerifyFixAsync<MakePartialCodeFix>(markups, fixedSources);

    static Task VerifyFixAsync<TFix>(string[] markups, string[] fixedSources) where TFix : Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<NetworkAnalyzer, TFix, DefaultVerifier>
        {
            ReferenceAssemblies = ProcessReferences,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        Configure(test.TestState, markups);
        Configure(test.FixedState, fixedSources);
        return test.RunAsync();
    }

    static void Configure(SolutionState state, IEnumerable<string> sources)
    {
        int index = 0;
        foreach (var source in sources) state.Sources.Add(($"/0/Network{++index}.cs", source));
        // What the generator's post-initialisation output adds to every user project.
        state.Sources.Add(("/0/BnnDsl.Vocabulary.g.cs", BayesianNetworkGenerator.VocabularySource));
        state.AdditionalReferences.AddRange(GeneratorHarness.UserReferences);
    }

    /// <summary>The generated files by hint name.</summary>
    public static Task<IReadOnlyDictionary<string, string>> GeneratedAsync(IReadOnlyList<string> sources) =>
        Task.FromResult(GeneratorHarness.Run(sources).Files);

    /// <summary>
    /// Compiles the sources with the generator, then runs the analyzers over the result, as a build does. Returns every
    /// diagnostic of the compiler and the analyzers, and the analyzer exceptions (which a build shows as AD0001).
    /// </summary>
    public static async Task<(IReadOnlyList<Diagnostic> Diagnostics, IReadOnlyList<string> GeneratedFiles, IReadOnlyList<string> Failures)> BuildAsync(
        IReadOnlyList<string> sources, Microsoft.CodeAnalysis.CSharp.LanguageVersion version = Microsoft.CodeAnalysis.CSharp.LanguageVersion.Latest)
    {
        var input = GeneratorHarness.Compile(sources, version);
        var driver = GeneratorHarness.Driver(version).RunGeneratorsAndUpdateCompilation(input, out var output, out var generatorDiagnostics);
        var result = driver.GetRunResult().Results.Single();
        var failures = new List<string>();
        if (result.Exception is not null) failures.Add("generator: " + result.Exception);

        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(default), (exception, analyzer, _) =>
        {
            lock (failures) failures.Add($"{analyzer.GetType().Name}: {exception}");
        }, concurrentAnalysis: false, logAnalyzerExecutionTime: false);
        var analyzed = output.WithAnalyzers(System.Collections.Immutable.ImmutableArray.Create<DiagnosticAnalyzer>(new NetworkAnalyzer()), options);
        var diagnostics = generatorDiagnostics.Concat(await analyzed.GetAllDiagnosticsAsync()).ToList();
        failures.AddRange(diagnostics.Where(d => d.Id is "AD0001" or "CS8785").Select(d => d.ToString()));
        return (diagnostics, result.GeneratedSources.Select(s => s.HintName).ToList(), failures);
    }
}
