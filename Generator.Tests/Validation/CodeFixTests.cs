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
    public Task AddsPartialToTheDeclarationInAnotherFileThatLacksIt() =>
        AnalyzerHarness.VerifyFixAsync(
            new[] { Declaration("public partial class {|BNN0001:Net|}"), "namespace Demo;\n\npublic class Net\n{\n    public int Width => 2;\n}\n" },
            new[] { Declaration("public partial class Net"), "namespace Demo;\n\npublic partial class Net\n{\n    public int Width => 2;\n}\n" });

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

    static string Mlp(string network, string posterior, string output) => $$"""
        using BnnDsl;
        using TorchSharp;

        namespace Demo;

        {{network}}
        {{posterior}}
        public partial class Net
        {
            [Dense(784, 400, ReLU)] private partial torch.Tensor Hidden(torch.Tensor input);
            {{output}} private partial torch.Tensor Output(torch.Tensor input);
        }

        """;

    const string Categorical = "[BayesianNetwork(Likelihood.Categorical)]";

    [Fact]
    public Task TakesThePreviousLayersWidth() =>
        AnalyzerHarness.VerifyFixAsync<BnnDsl.Generator.CodeFixes.ArgumentCodeFix>(
            Mlp(Categorical, "[Posterior(MAP)]", "[Dense({|BNN0009:300|}, 10)]"),
            Mlp(Categorical, "[Posterior(MAP)]", "[Dense(400, 10)]"));

    [Fact]
    public Task TakesThePreviousLayersWidthInALabelledArgument() =>
        AnalyzerHarness.VerifyFixAsync<BnnDsl.Generator.CodeFixes.ArgumentCodeFix>(
            Mlp(Categorical, "[Posterior(MAP)]", "[Dense(outputs: 10, {|BNN0009:inputs: 300|})]"),
            Mlp(Categorical, "[Posterior(MAP)]", "[Dense(outputs: 10, inputs: 400)]"));

    [Fact]
    public Task RemovesAnOptionTheMethodDoesNotTake() =>
        AnalyzerHarness.VerifyFixAsync<BnnDsl.Generator.CodeFixes.ArgumentCodeFix>(
            Mlp(Categorical, "[Posterior(MAP, {|BNN0019:LocalReparameterization = true|}, {|BNN0019:InitialRho = -3|})]", "[Dense(400, 10)]"),
            Mlp(Categorical, "[Posterior(MAP)]", "[Dense(400, 10)]"));

    [Fact]
    public Task RemovesTheActivationOfACategoricalOutput() =>
        AnalyzerHarness.VerifyFixAsync<BnnDsl.Generator.CodeFixes.ArgumentCodeFix>(
            Mlp(Categorical, "[Posterior(MAP)]", "[Dense(400, 10, {|BNN0021:ReLU|})]"),
            Mlp(Categorical, "[Posterior(MAP)]", "[Dense(400, 10)]"));

    [Fact]
    public Task RemovesANoiseLevelFromACategoricalOrHeteroscedasticNetwork() =>
        AnalyzerHarness.VerifyFixAsync<BnnDsl.Generator.CodeFixes.ArgumentCodeFix>(
            Mlp("[BayesianNetwork(Likelihood.Gaussian, Heteroscedastic = true, {|BNN0027:NoiseStd = 0.1|})]", "[Posterior(MAP)]", "[Dense(400, 2)]"),
            Mlp("[BayesianNetwork(Likelihood.Gaussian, Heteroscedastic = true)]", "[Posterior(MAP)]", "[Dense(400, 2)]"));

    static string LeNet(string conv2, string hidden) => $$"""
        using BnnDsl;
        using TorchSharp;

        namespace Demo;

        [BayesianNetwork(Likelihood.Categorical, Input = new[] { 1, 28, 28 })]
        [Posterior(MAP)]
        public partial class LeNet
        {
            [Conv2d(1, 6, 5, ReLU, Padding = 2)] private partial torch.Tensor Conv1(torch.Tensor input);
            [MaxPool2d(2)] private partial torch.Tensor Pool1(torch.Tensor input);
            {{conv2}} private partial torch.Tensor Conv2(torch.Tensor input);
            [MaxPool2d(2)] private partial torch.Tensor Pool2(torch.Tensor input);
            [Flatten] private partial torch.Tensor Flat(torch.Tensor input);
            {{hidden}} private partial torch.Tensor Hidden(torch.Tensor input);
            [Dense(120, 10)] private partial torch.Tensor Output(torch.Tensor input);
        }

        """;

    [Fact]
    public Task TakesTheFlattenedSize() =>
        AnalyzerHarness.VerifyFixAsync<BnnDsl.Generator.CodeFixes.ArgumentCodeFix>(
            LeNet("[Conv2d(6, 16, 5, ReLU)]", "[Dense({|BNN0033:256|}, 120, ReLU)]"),
            LeNet("[Conv2d(6, 16, 5, ReLU)]", "[Dense(400, 120, ReLU)]"));

    [Fact]
    public Task TakesTheChannelsBefore() =>
        AnalyzerHarness.VerifyFixAsync<BnnDsl.Generator.CodeFixes.ArgumentCodeFix>(
            LeNet("[Conv2d({|BNN0036:3|}, 16, 5, ReLU)]", "[Dense(400, 120, ReLU)]"),
            LeNet("[Conv2d(6, 16, 5, ReLU)]", "[Dense(400, 120, ReLU)]"));

    static string SmallConv(string conv) => $$"""
        using BnnDsl;
        using TorchSharp;

        namespace Demo;

        [BayesianNetwork(Likelihood.Categorical, Input = new[] { 1, 8, 8 })]
        [Posterior(MAP)]
        public partial class Small
        {
            {{conv}} private partial torch.Tensor Conv(torch.Tensor input);
            [Flatten] private partial torch.Tensor Flat(torch.Tensor input);
            [Dense(4, 10)] private partial torch.Tensor Output(torch.Tensor input);
        }

        """;

    [Fact]
    public Task TakesTheLargestKernelThatFits() =>
        AnalyzerHarness.VerifyFixAsync<BnnDsl.Generator.CodeFixes.ArgumentCodeFix>(
            SmallConv("[Conv2d(1, 4, {|BNN0031:9|}, ReLU)]"),
            SmallConv("[Conv2d(1, 4, 8, ReLU)]"));
}
