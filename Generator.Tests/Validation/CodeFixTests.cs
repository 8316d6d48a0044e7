using System.Threading.Tasks;
using Xunit;

namespace BnnDsl.Generator.Tests.Validation;

/// <summary>"Make the class partial" adds the modifier where C# wants it and leaves the rest of the line alone.</summary>
public class CodeFixTests
{
    const string Layers = """
        {
            [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);
        }
        """;

    static string Declaration(string header) => "using BnnDsl;\nusing TorchSharp;\n\nnamespace Demo;\n\n[BayesianNetwork(Likelihood.Categorical)]\n" + header + "\n" + Layers + "\n";

    [Fact]
    public Task AddsPartialAfterTheOtherModifiers() =>
        AnalyzerHarness.VerifyFixAsync(Declaration("public sealed class {|BNN0001:Net|}"), Declaration("public sealed partial class Net"));

    [Fact]
    public Task AddsPartialToAClassWithoutModifiers() =>
        AnalyzerHarness.VerifyFixAsync(Declaration("class {|BNN0001:Net|}"), Declaration("partial class Net"));

    [Fact]
    public Task MakesTheContainingTypesPartial() =>
        AnalyzerHarness.VerifyFixAsync(
            """
            using BnnDsl;
            using TorchSharp;

            namespace Demo;

            public static class Models
            {
                internal class Group
                {
                    [BayesianNetwork(Likelihood.Categorical)]
                    public partial class {|BNN0003:{|BNN0003:Net|}|}
                    {
                        [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);
                    }
                }
            }
            """,
            """
            using BnnDsl;
            using TorchSharp;

            namespace Demo;

            public static partial class Models
            {
                internal partial class Group
                {
                    [BayesianNetwork(Likelihood.Categorical)]
                    public partial class Net
                    {
                        [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);
                    }
                }
            }
            """);
}
