using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using BnnDsl.Generator;
using BnnDsl.Generator.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace BnnDsl.Benchmarks;

/// <summary>
/// What BnnDsl adds to a build: the generator and the analyzers on a 50-layer declaration and on a project of 100
/// networks, against the compiler's own work on the same project (binding and checking every file, generated ones
/// included), measured in one process with the contenders alternating. Then the incremental case: an edit to an
/// unrelated file, which must leave every generator step Cached or Unchanged.
/// </summary>
public static class GeneratorTiming
{
    const string Usings = "using BnnDsl;\nusing TorchSharp;\n\n";

    public static void Run(int repetitions)
    {
        Measure("one network of 50 layers", new[] { FiftyLayers() }, repetitions);
        Measure("100 networks, one file each", Enumerable.Range(0, 100).Select(SmallNetwork).ToArray(), repetitions);
    }

    static string FiftyLayers()
    {
        var text = new StringBuilder(Usings + "namespace Bench;\n\n[BayesianNetwork(Likelihood.Categorical)]\n[Prior(Normal, 0, 1)]\n[Posterior(MeanField, LocalReparameterization = true)]\npublic partial class Deep\n{\n");
        text.Append("    [Dense(784, 64, ReLU)] private partial torch.Tensor Layer0(torch.Tensor input);\n");
        for (int i = 1; i < 49; i++)
            text.Append(CultureInfo.InvariantCulture, $"    [Dense(64, 64, {(i % 2 == 0 ? "ReLU" : "Tanh")})] private partial torch.Tensor Layer{i}(torch.Tensor input);\n");
        text.Append("    [Dense(64, 10), Prior(ScaleMixture, 0.5, 1, 0.0025)] private partial torch.Tensor Layer49(torch.Tensor input);\n}\n");
        return text.ToString();
    }

    static string SmallNetwork(int index)
    {
        string prior = (index % 3) switch { 0 => "[Prior(Normal, 0, 1)]", 1 => "[Prior(ScaleMixture, 0.25, 1, 0.001)]", _ => "[Prior(Normal, 0, 0.5)]" };
        string posterior = index % 2 == 0 ? "[Posterior(MeanField, InitialRho = -4)]" : "[Posterior(MAP)]";
        return Usings + $$"""
            namespace Bench.Models{{index / 10}};

            [BayesianNetwork(Likelihood.Categorical)]
            {{prior}}
            {{posterior}}
            public partial class Net{{index}}
            {
                [Dense(20, 32, ReLU)] private partial torch.Tensor Hidden1(torch.Tensor input);
                [Dense(32, 32, Tanh)] private partial torch.Tensor Hidden2(torch.Tensor input);
                [Dense(32, 3)] private partial torch.Tensor Output(torch.Tensor input);
            }
            """;
    }

    static void Measure(string name, string[] sources, int repetitions)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, parse, $"Network{i}.cs")).ToArray();
        var references = UserReferences();
        CSharpCompilation Fresh() => CSharpCompilation.Create("Bench", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        // The generated trees, once, for the compiler baseline and the analyzers.
        CSharpGeneratorDriver.Create(new[] { new BayesianNetworkGenerator().AsSourceGenerator() }, parseOptions: parse)
            .RunGeneratorsAndUpdateCompilation(Fresh(), out var generated, out _);
        int errors = generated.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error);
        int generatedFiles = generated.SyntaxTrees.Count() - trees.Length;

        var generator = new List<double>();
        var analyzers = new List<double>();
        var compiler = new List<double>();
        for (int r = -5; r < repetitions; r++) // warm-up rounds: a build server runs warm, after tiered JIT
        {
            var clock = Stopwatch.StartNew();
            CSharpGeneratorDriver.Create(new[] { new BayesianNetworkGenerator().AsSourceGenerator() }, parseOptions: parse)
                .RunGeneratorsAndUpdateCompilation(Fresh(), out _, out _);
            double generatorMs = clock.Elapsed.TotalMilliseconds;

            // The analyzers' execution time as the compiler logs it per analyzer. Analysis always runs on a fresh
            // compilation, so attribute binding that the analyzers trigger first is counted as theirs.
            double analyzerMs = AnalyzerMilliseconds(generated);

            clock.Restart();
            generated.Clone().GetDiagnostics();
            double compilerMs = clock.Elapsed.TotalMilliseconds;

            if (r < 0) continue;
            generator.Add(generatorMs);
            analyzers.Add(analyzerMs);
            compiler.Add(compilerMs);
        }

        double g = Statistics.Median(generator), a = Statistics.Median(analyzers), c = Statistics.Median(compiler);
        Console.WriteLine($"{name}: {sources.Length} files, {generatedFiles} generated, {errors} errors");
        Console.WriteLine(Invariant($"  generator (fresh driver, cold compilation): {g,8:F1} ms"));
        Console.WriteLine(Invariant($"  analyzers (their logged execution time):    {a,8:F1} ms"));
        Console.WriteLine(Invariant($"  compiler, binding and checking the project: {c,8:F1} ms  (baseline)"));
        Console.WriteLine(Invariant($"  generator + analyzers = {(g + a) / c:F2} × the compiler's own work (medians of {repetitions})"));
        Incremental(trees, Fresh(), parse);
        Console.WriteLine();
    }

    /// <summary>After a first run, an edit to an unrelated file: the time of the re-run and the reasons of every step.</summary>
    static void Incremental(SyntaxTree[] trees, CSharpCompilation compilation, CSharpParseOptions parse)
    {
        var unrelated = CSharpSyntaxTree.ParseText("namespace Bench; public static class Unrelated { public const int Value = 1; }", parse, "Unrelated.cs");
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new BayesianNetworkGenerator().AsSourceGenerator() }, parseOptions: parse,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        Compilation current = compilation.AddSyntaxTrees(unrelated);
        driver = driver.RunGenerators(current);
        var times = new List<double>();
        for (int edit = 1; edit <= 9; edit++)
        {
            var tree = current.SyntaxTrees.Single(t => t.FilePath == "Unrelated.cs");
            current = current.ReplaceSyntaxTree(tree, tree.WithChangedText(SourceText.From($"namespace Bench; public static class Unrelated {{ public const int Value = {edit + 1}; }}")));
            var clock = Stopwatch.StartNew();
            driver = driver.RunGenerators(current);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        double ms = Statistics.Median(times);
        var reasons = driver.GetRunResult().Results.Single().TrackedSteps
            .Where(step => step.Key is BayesianNetworkGenerator.Steps.Networks or BayesianNetworkGenerator.Steps.Valid or BayesianNetworkGenerator.Steps.Placeholders or BayesianNetworkGenerator.Steps.AmbiguousHintNames)
            .SelectMany(step => step.Value.SelectMany(run => run.Outputs.Select(o => o.Reason)))
            .GroupBy(reason => reason).OrderBy(group => group.Key).Select(group => $"{group.Count()} {group.Key}");
        Console.WriteLine(Invariant($"  edit to an unrelated file: re-run {ms:F1} ms (median of 9 edits); step outputs of the last: {string.Join(", ", reasons)}"));
    }

    static double AnalyzerMilliseconds(Compilation compilation)
    {
        var withAnalyzers = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new NetworkAnalyzer()),
            new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: true));
        var found = withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        if (found.Any(d => d.Severity >= DiagnosticSeverity.Warning)) throw new InvalidOperationException(string.Join("\n", found));
        return withAnalyzers.GetAnalyzerTelemetryInfoAsync(withAnalyzers.Analyzers[0], default).GetAwaiter().GetResult().ExecutionTime.TotalMilliseconds;
    }

    static ImmutableArray<MetadataReference> UserReferences() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.Ordinal) && !Path.GetFileName(p).StartsWith("BnnDsl.Generator", StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
