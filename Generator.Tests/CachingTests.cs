using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace BnnDsl.Generator.Tests;

/// <summary>The incremental pipeline does no work for unchanged declarations and holds no compiler objects.</summary>
public class CachingTests
{
    static readonly string[] TrackedSteps = { BayesianNetworkGenerator.Steps.Networks, BayesianNetworkGenerator.Steps.Valid, BayesianNetworkGenerator.Steps.Placeholders, BayesianNetworkGenerator.Steps.AmbiguousHintNames };

    static (GeneratorDriver Driver, Compilation Compilation) FirstRun(string source)
    {
        var compilation = GeneratorHarness.Compile(source);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        return (driver, compilation);
    }

    static IEnumerable<(string Step, IncrementalStepRunReason Reason)> Reasons(GeneratorDriver driver)
    {
        var result = driver.GetRunResult().Results.Single();
        foreach (var step in TrackedSteps)
            if (result.TrackedSteps.TryGetValue(step, out var runs)) // a step that received no input is not listed
                foreach (var run in runs)
                    foreach (var output in run.Outputs)
                        yield return (step, output.Reason);
    }

    /// <summary>Runs the generator on the NormalPrior declaration, then again after replacing one piece of its text.</summary>
    static List<(string Step, IncrementalStepRunReason Reason)> RerunAfterEdit(string find, string replacement)
    {
        var source = Declarations.All["NormalPrior"];
        Assert.Contains(find, source);
        var (driver, compilation) = FirstRun(source);
        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(SourceText.From(source.Replace(find, replacement))));
        return Reasons(driver.RunGenerators(edited)).ToList();
    }

    static void AssertNothingRecomputed(List<(string Step, IncrementalStepRunReason Reason)> reasons)
    {
        Assert.NotEmpty(reasons);
        Assert.All(reasons, r => Assert.True(r.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{r.Step}: {r.Reason}"));
    }

    [Fact]
    public void RerunOnAClonedCompilationIsCachedOrUnchanged()
    {
        var (driver, compilation) = FirstRun(Declarations.All["NormalPrior"]);
        AssertNothingRecomputed(Reasons(driver.RunGenerators(compilation.Clone())).ToList());
    }

    [Fact]
    public void EditingACommentInTheDeclarationLeavesTheOutputUnchanged()
    {
        var reasons = RerunAfterEdit("public partial class", "// a comment the user typed\npublic partial class");
        Assert.Contains(reasons, r => r.Step == BayesianNetworkGenerator.Steps.Networks && r.Reason == IncrementalStepRunReason.Unchanged);
        AssertNothingRecomputed(reasons);
    }

    [Fact]
    public void EditingAnUnrelatedFileLeavesEveryStepCached()
    {
        var (driver, compilation) = FirstRun(Declarations.All["NormalPrior"]);
        var other = CSharpSyntaxTree.ParseText("namespace Demo; public class Unrelated { public int Value; }", new CSharpParseOptions(LanguageVersion.Latest), "Unrelated.cs");
        driver = driver.RunGenerators(compilation.AddSyntaxTrees(other));
        var edited = compilation.AddSyntaxTrees(other.WithChangedText(SourceText.From("namespace Demo; public class Unrelated { public int Other; }")));
        AssertNothingRecomputed(Reasons(driver.RunGenerators(edited)).ToList());
    }

    [Fact]
    public void ChangingALayerActivationRegeneratesTheNetwork()
    {
        var reasons = RerunAfterEdit("[Dense(784, 400, ReLU)]", "[Dense(784, 400, Tanh)]");
        Assert.Contains(reasons, r => r.Step == BayesianNetworkGenerator.Steps.Networks && r.Reason == IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void StepOutputsHoldNoSymbolsSyntaxOrCompilations()
    {
        var (driver, _) = FirstRun(Declarations.All["PerLayerPriorOverride"]);
        var result = driver.GetRunResult().Results.Single();
        foreach (var step in TrackedSteps.Where(result.TrackedSteps.ContainsKey))
            foreach (var run in result.TrackedSteps[step])
                foreach (var (value, _) in run.Outputs)
                    AssertNoCompilerObjects(value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
    }

    static void AssertNoCompilerObjects(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        if (!value.GetType().IsValueType && !seen.Add(value)) return;
        Assert.False(value is ISymbol or SyntaxNode or Compilation or SemanticModel or Location or SyntaxTree,
            $"{path} holds a {value.GetType().Name}, which would keep the compilation alive and defeat caching.");
        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (var item in items) AssertNoCompilerObjects(item, $"{path}[{i++}]", seen);
            return;
        }
        foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            AssertNoCompilerObjects(field.GetValue(value), $"{path}.{field.Name}", seen);
    }
}
