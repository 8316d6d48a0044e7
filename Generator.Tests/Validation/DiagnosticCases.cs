using System.Collections.Generic;
using System.Linq;

namespace BnnDsl.Generator.Tests.Validation;

/// <summary>
/// A wrong declaration, marked up with where its diagnostic must appear (<c>{|BNN0009:300|}</c>), and the nearest
/// declaration that is right, which must produce no diagnostic at all. Several files stand for a class split over
/// partial declarations.
/// </summary>
public sealed record DiagnosticCase(string Id, string Name, string[] Invalid, string[] Valid)
{
    /// <summary>The compiler's own errors that the mistake causes as well (none for most rules).</summary>
    public string[] CompilerErrors { get; init; } = System.Array.Empty<string>();

    public override string ToString() => $"{Id} {Name}";
}

public static class DiagnosticCases
{
    const string Usings = "using BnnDsl;\nusing TorchSharp;\n\n";

    /// <summary>A network in the shape users write, with the parts a case changes as parameters.</summary>
    static string Net(
        string hidden = "[Dense(784, 400, ReLU)]",
        string output = "[Dense(400, 10)]",
        string network = "[BayesianNetwork(Likelihood.Categorical)]",
        string prior = "[Prior(Normal, 0, 1)]",
        string posterior = "[Posterior(MeanField)]",
        string declaration = "public partial class Net",
        string members = "") => Usings + $$"""
        namespace Demo;

        {{network}}
        {{prior}}
        {{posterior}}
        {{declaration}}
        {
            {{hidden}} private partial torch.Tensor Hidden(torch.Tensor input);
            {{output}} private partial torch.Tensor Output(torch.Tensor input);
        {{members}}
        }
        """;

    /// <summary>LeNet-5 as users declare it, with each layer's attribute (or whole line) a parameter.</summary>
    static string ConvNet(
        string network = "[BayesianNetwork(Likelihood.Categorical, Input = new[] { 1, 28, 28 })]",
        string conv1 = "[Conv2d(1, 6, 5, ReLU, Padding = 2)]",
        string pool1 = "[MaxPool2d(2)]",
        string conv2 = "[Conv2d(6, 16, 5, ReLU)]",
        string pool2 = "[MaxPool2d(2)]",
        string flatten = "[Flatten] private partial torch.Tensor Flat(torch.Tensor input);",
        string hidden = "[Dense(400, 120, ReLU)] private partial torch.Tensor Hidden(torch.Tensor input);",
        string output = "[Dense(120, 10)]",
        string posterior = "[Posterior(MeanField)]") => Usings + $$"""
        namespace Demo;

        {{network}}
        {{posterior}}
        public partial class LeNet
        {
            {{conv1}} private partial torch.Tensor Conv1(torch.Tensor input);
            {{pool1}} private partial torch.Tensor Pool1(torch.Tensor input);
            {{conv2}} private partial torch.Tensor Conv2(torch.Tensor input);
            {{pool2}} private partial torch.Tensor Pool2(torch.Tensor input);
            {{flatten}}
            {{hidden}}
            {{output}} private partial torch.Tensor Output(torch.Tensor input);
        }
        """;

    static DiagnosticCase Case(string id, string name, string invalid, string valid) => new(id, name, new[] { invalid }, new[] { valid });

    public static readonly IReadOnlyList<DiagnosticCase> All = new[]
    {
        Case("BNN0001", "class not partial", Net(declaration: "public class {|BNN0001:Net|}"), Net()) with { CompilerErrors = new[] { "CS0751", "CS8795" } },
        Case("BNN0001", "sealed class not partial", Net(declaration: "public sealed class {|BNN0001:Net|}"), Net(declaration: "public sealed partial class Net")) with { CompilerErrors = new[] { "CS0751", "CS8795" } },
        Case("BNN0002", "generic class", Net(declaration: "public partial class Net{|BNN0002:<TData>|}"), Net()),
        Case("BNN0003", "container not partial",
            Usings + """
            namespace Demo;

            public static class Models
            {
                [BayesianNetwork(Likelihood.Categorical)]
                public partial class {|BNN0003:Net|}
                {
                    [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);
                }
            }
            """,
            Usings + """
            namespace Demo;

            public static partial class Models
            {
                [BayesianNetwork(Likelihood.Categorical)]
                public partial class Net
                {
                    [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);
                }
            }
            """) with { CompilerErrors = new[] { "CS8795" } },
        Case("BNN0004", "layer outside a network",
            Usings + """
            namespace Demo;

            public partial class Net
            {
                [{|BNN0004:Dense(4, 2)|}] private partial torch.Tensor Output(torch.Tensor input);
            }
            """,
            Usings + """
            namespace Demo;

            [BayesianNetwork(Likelihood.Categorical)]
            public partial class Net
            {
                [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);
            }
            """) with { CompilerErrors = new[] { "CS8795" } },
        Case("BNN0004", "prior on a class that is not a network",
            Usings + """
            namespace Demo;

            [{|BNN0004:Prior(Normal, 0, 1)|}]
            public class Helper { }
            """,
            Usings + """
            namespace Demo;

            public class Helper { }
            """),
        Case("BNN0005", "layer with a body", Net(output: "[Dense(400, 10)]").Replace(
                "private partial torch.Tensor Output(torch.Tensor input);", "private torch.Tensor {|BNN0005:Output|}(torch.Tensor input) => input;"),
            Net()),
        Case("BNN0005", "partial layer implemented by the user",
            Net(members: "    private partial torch.Tensor Output(torch.Tensor input) => input;").Replace(
                "private partial torch.Tensor Output(torch.Tensor input);", "private partial torch.Tensor {|BNN0005:Output|}(torch.Tensor input);"),
            Net()),
        Case("BNN0005", "layer without accessibility", Net().Replace(
                "private partial torch.Tensor Output(torch.Tensor input);", "partial torch.Tensor {|BNN0005:Output|}(torch.Tensor input);"),
            Net()) with { CompilerErrors = new[] { "CS8796" } },
        Case("BNN0006", "layer with two parameters", Net().Replace(
                "Output(torch.Tensor input);", "{|BNN0006:Output|}(torch.Tensor input, int extra);"),
            Net()),
        Case("BNN0006", "static layer", Net().Replace(
                "private partial torch.Tensor Output(torch.Tensor input);", "private static partial torch.Tensor {|BNN0006:Output|}(torch.Tensor input);"),
            Net()),
        Case("BNN0007", "no layers",
            Usings + """
            namespace Demo;

            [{|BNN0007:BayesianNetwork(Likelihood.Categorical)|}]
            public partial class Net
            {
            }
            """,
            Usings + """
            namespace Demo;

            [BayesianNetwork(Likelihood.Categorical)]
            public partial class Net
            {
                [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);
            }
            """),
        new("BNN0008", "layers in two partial declarations",
            new[]
            {
                Usings + """
                namespace Demo;

                [BayesianNetwork(Likelihood.Categorical)]
                public partial class Net
                {
                    [Dense(784, 400, ReLU)] private partial torch.Tensor Hidden(torch.Tensor input);
                }
                """,
                Usings + """
                namespace Demo;

                public partial class Net
                {
                    [{|BNN0008:Dense(400, 10)|}] private partial torch.Tensor Output(torch.Tensor input);
                }
                """,
            },
            new[]
            {
                Usings + """
                namespace Demo;

                [BayesianNetwork(Likelihood.Categorical)]
                public partial class Net
                {
                    [Dense(784, 400, ReLU)] private partial torch.Tensor Hidden(torch.Tensor input);
                    [Dense(400, 10)] private partial torch.Tensor Output(torch.Tensor input);
                }
                """,
                Usings + """
                namespace Demo;

                public partial class Net
                {
                    public torch.Tensor Logits(torch.Tensor input) => Output(Hidden(input));
                }
                """,
            }),
        Case("BNN0009", "sizes do not chain", Net(output: "[Dense({|BNN0009:300|}, 10)]"), Net(output: "[Dense(400, 10)]")),
        Case("BNN0009", "sizes do not chain, named arguments", Net(output: "[Dense(outputs: 10, {|BNN0009:inputs: 300|})]"), Net(output: "[Dense(outputs: 10, inputs: 400)]")),
        Case("BNN0010", "zero width", Net(hidden: "[Dense(784, {|BNN0010:0|}, ReLU)]", output: "[Dense({|BNN0010:0|}, 10)]"), Net(hidden: "[Dense(784, 1, ReLU)]", output: "[Dense(1, 10)]")),
        Case("BNN0011", "Normal std zero", Net(prior: "[Prior(Normal, 0, {|BNN0011:0|})]"), Net(prior: "[Prior(Normal, 0, 0.001)]")),
        Case("BNN0011", "Normal std infinite", Net(prior: "[Prior(Normal, 0, {|BNN0011:double.PositiveInfinity|})]"), Net(prior: "[Prior(Normal, 0, double.MaxValue)]")),
        Case("BNN0011", "scale mixture sigma2 negative", Net(posterior: "[Posterior(MAP)]", prior: "[Prior(ScaleMixture, 0.5, 1, {|BNN0011:-0.001|})]"),
            Net(posterior: "[Posterior(MAP)]", prior: "[Prior(ScaleMixture, 0.5, 1, 0.001)]")),
        Case("BNN0012", "mixture weight of one", Net(posterior: "[Posterior(MAP)]", prior: "[Prior(ScaleMixture, {|BNN0012:1|}, 1, 0.0025)]"),
            Net(posterior: "[Posterior(MAP)]", prior: "[Prior(ScaleMixture, 0.999, 1, 0.0025)]")),
        Case("BNN0013", "sigma1 below sigma2", Net(posterior: "[Posterior(MAP)]", prior: "[Prior(ScaleMixture, 0.5, {|BNN0013:0.0025|}, 1)]"),
            Net(posterior: "[Posterior(MAP)]", prior: "[Prior(ScaleMixture, 0.5, 1, 0.0025)]")),
        Case("BNN0014", "Normal with one parameter", Net(output: "[Dense(400, 10), {|BNN0014:Prior(Normal, 1)|}]"), Net(output: "[Dense(400, 10), Prior(Normal, 0, 1)]")),
        Case("BNN0015", "mean not a number", Net(prior: "[Prior(Normal, {|BNN0015:double.NaN|}, 1)]"), Net(prior: "[Prior(Normal, 0, 1)]")),
        Case("BNN0015", "initial rho infinite", Net(posterior: "[Posterior(MeanField, {|BNN0015:InitialRho = double.NegativeInfinity|})]"),
            Net(posterior: "[Posterior(MeanField, InitialRho = -10)]")),
        Case("BNN0015", "bias initial rho not a number", Net(output: "[Dense(400, 10), Posterior(MeanField, {|BNN0015:BiasInitialRho = double.NaN|})]"),
            Net(output: "[Dense(400, 10), Posterior(MeanField, BiasInitialRho = -1)]")),
        Case("BNN0016", "negative noise", Net(network: "[BayesianNetwork(Likelihood.Gaussian, {|BNN0016:NoiseStd = -0.1|})]", output: "[Dense(400, 1)]"),
            Net(network: "[BayesianNetwork(Likelihood.Gaussian, NoiseStd = 0.1)]", output: "[Dense(400, 1)]")),
        Case("BNN0017", "unknown activation", Net(hidden: "[Dense(784, 400, {|BNN0017:(Activation)7|})]"), Net(hidden: "[Dense(784, 400, (Activation)3)]")),
        Case("BNN0017", "unknown posterior method", Net(posterior: "[Posterior({|BNN0017:(PosteriorMethod)9|})]"), Net(posterior: "[Posterior((PosteriorMethod)1)]")),
        Case("BNN0018", "static readonly width", Net(hidden: "[Dense(784, {|BNN0018:Width|}, ReLU)]", output: "[Dense(Width, 10)]", members: "    static readonly int Width = 400;")
                .Replace("[Dense(Width, 10)]", "[Dense({|BNN0018:Width|}, 10)]"),
            Net(hidden: "[Dense(784, Width, ReLU)]", output: "[Dense(Width, 10)]", members: "    const int Width = 400;")) with { CompilerErrors = new[] { "CS0182" } },
        Case("BNN0019", "local reparameterisation on MAP", Net(posterior: "[Posterior(MAP, {|BNN0019:LocalReparameterization = true|})]"), Net(posterior: "[Posterior(MAP)]")),
        Case("BNN0019", "initial rho on MAP", Net(posterior: "[Posterior(MAP, {|BNN0019:InitialRho = -3|})]"), Net(posterior: "[Posterior(MeanField, InitialRho = -3)]")),
        Case("BNN0019", "flows on mean-field", Net(posterior: "[Posterior(MeanField, {|BNN0019:flows: 2|})]"), Net(posterior: "[Posterior(MNF, flows: 2)]")),
        Case("BNN0019", "initial rho on MNF", Net(posterior: "[Posterior(MNF, {|BNN0019:InitialRho = -3|})]"), Net(posterior: "[Posterior(MNF, InitialLogVariance = -8)]")),
        Case("BNN0019", "coupling width on mean-field", Net(posterior: "[Posterior(MeanField, {|BNN0019:CouplingWidth = 10|})]"), Net(posterior: "[Posterior(MeanField)]")),
        Case("BNN0015", "initial log-variance infinite", Net(posterior: "[Posterior(MNF, {|BNN0015:InitialLogVariance = double.PositiveInfinity|})]"),
            Net(posterior: "[Posterior(MNF, InitialLogVariance = -7)]")),
        Case("BNN0017", "flow kind out of range", Net(posterior: "[Posterior(MNF, {|BNN0017:Flow = (FlowKind)5|})]"), Net(posterior: "[Posterior(MNF, Flow = Planar)]")),
        Case("BNN0024", "MNF layer in a MAP network", Net(posterior: "[Posterior(MAP)]", output: "[Dense(400, 10), Posterior({|BNN0024:MNF|})]"),
            Net(posterior: "[Posterior(MeanField)]", output: "[Dense(400, 10), Posterior(MNF)]")),
        Case("BNN0019", "bias initial rho on MAP", Net(posterior: "[Posterior(MAP, {|BNN0019:BiasInitialRho = -1|})]"), Net(posterior: "[Posterior(MeanField, BiasInitialRho = -1)]")),
        Case("BNN0020", "noise on a categorical network", Net(network: "[BayesianNetwork(Likelihood.Categorical, {|BNN0020:NoiseStd = 0.1|})]"), Net()),
        Case("BNN0002", "generic class, type parameter moved to a container",
            Usings + """
            namespace Demo;

            public static partial class Models
            {
                [BayesianNetwork(Likelihood.Categorical)]
                public partial class Net{|BNN0002:<TData>|}
                {
                    [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);
                }
            }
            """,
            Usings + """
            namespace Demo;

            public partial class Models<TData>
            {
                [BayesianNetwork(Likelihood.Categorical)]
                public partial class Net
                {
                    [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);
                }
            }
            """),
        Case("BNN0003", "interface container not partial",
            Usings + """
            namespace Demo;

            public interface IModels
            {
                [BayesianNetwork(Likelihood.Categorical)]
                public partial class {|BNN0003:Net|}
                {
                    [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);
                }
            }
            """,
            Usings + """
            namespace Demo;

            public partial interface IModels
            {
                [BayesianNetwork(Likelihood.Categorical)]
                public partial class Net
                {
                    [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);
                }
            }
            """) with { CompilerErrors = new[] { "CS8795" } },
        Case("BNN0010", "zero width after a labelled argument", Net(hidden: "[Dense(inputs: 784, {|BNN0010:0|}, ReLU)]", output: "[Dense(1, 10)]"),
            Net(hidden: "[Dense(inputs: 784, 1, ReLU)]", output: "[Dense(1, 10)]")),
        Case("BNN0025", "file-local class", Net(declaration: "file partial class {|BNN0025:Net|}"), Net(declaration: "internal partial class Net"))
            with { CompilerErrors = new[] { "CS8795" } },
        Case("BNN0028", "layer named like a module member", Net().Replace(
                "Output(torch.Tensor input);", "{|BNN0028:train|}(torch.Tensor input);"),
            Net().Replace("Output(torch.Tensor input);", "Training(torch.Tensor input);")),
        Case("BNN0028", "two layers that differ in case",
            Net().Replace("Hidden(torch.Tensor input);", "output(torch.Tensor input);").Replace("Output(torch.Tensor input);", "{|BNN0028:Output|}(torch.Tensor input);"),
            Net().Replace("Hidden(torch.Tensor input);", "output(torch.Tensor input);").Replace("Output(torch.Tensor input);", "Logits(torch.Tensor input);")),
        Case("BNN0028", "user member with a generated name",
            Net(members: "    public int outputParameters => 0;").Replace("Output(torch.Tensor input);", "{|BNN0028:Output|}(torch.Tensor input);"),
            Net(members: "    public int OutputWidth => 10;")),
        Case("BNN0028", "layer named like the forward parameter",
            Net().Replace("Output(torch.Tensor input);", "{|BNN0028:input|}(torch.Tensor x);"),
            Net().Replace("Output(torch.Tensor input);", "Inputs(torch.Tensor x);")),
        Case("BNN0028", "layer hiding a module member with new",
            Net().Replace("private partial torch.Tensor Output(torch.Tensor input);", "public new partial torch.Tensor {|BNN0028:train|}(torch.Tensor input);"),
            Net()),
        Case("BNN0028", "an override the generated class declares",
            Net(members: "    public override string {|BNN0028:Summary|} => \"mine\";"),
            Net(members: "    public string Description => Summary;")) with { CompilerErrors = new[] { "CS0115" } },
        Case("BNN0029", "constructor that does not call the generated one",
            Net(members: "    public {|BNN0029:Net|}(int seed) { Seed = seed; }\n    public int Seed { get; }"),
            Net(members: "    public Net(int seed) : this(device: null) { Seed = seed; }\n    public int Seed { get; }")),
        Case("BNN0025", "primary constructor", Net(declaration: "public partial class {|BNN0025:Net|}(int seed)"),
            Net(members: "    public Net(int seed) : this() { }")),
        Case("BNN0028", "layer named like the learned noise level",
            Net(network: "[BayesianNetwork(Likelihood.Gaussian)]", output: "[Dense(400, 1)]").Replace("Output(torch.Tensor input);", "{|BNN0028:logNoiseStd|}(torch.Tensor input);"),
            Net(network: "[BayesianNetwork(Likelihood.Gaussian)]", output: "[Dense(400, 1)]").Replace("Output(torch.Tensor input);", "Mean(torch.Tensor input);")),
        Case("BNN0028", "layer named like the network's prior field", Net(posterior: "[Posterior(MAP)]").Replace("Output(torch.Tensor input);", "{|BNN0028:networkPrior|}(torch.Tensor input);"),
            Net(posterior: "[Posterior(MAP)]").Replace("Output(torch.Tensor input);", "Logits(torch.Tensor input);")),
        Case("BNN0028", "layer whose own prior field is the network's",
            Net(posterior: "[Posterior(MAP)]", output: "[Dense(400, 10), Prior(Normal, 0, 0.5)]").Replace("Output(torch.Tensor input);", "{|BNN0028:Network|}(torch.Tensor input);"),
            Net(posterior: "[Posterior(MAP)]", output: "[Dense(400, 10), Prior(Normal, 0, 0.5)]").Replace("Output(torch.Tensor input);", "Net2(torch.Tensor input);")),
        Case("BNN0020", "heteroscedastic categorical network", Net(network: "[BayesianNetwork(Likelihood.Categorical, {|BNN0020:Heteroscedastic = true|})]"), Net()),
        Case("BNN0026", "heteroscedastic head of odd width",
            Net(network: "[BayesianNetwork(Likelihood.Gaussian, Heteroscedastic = true)]", output: "[Dense(400, {|BNN0026:3|})]"),
            Net(network: "[BayesianNetwork(Likelihood.Gaussian, Heteroscedastic = true)]", output: "[Dense(400, 4)]")),
        Case("BNN0027", "noise level on a heteroscedastic network",
            Net(network: "[BayesianNetwork(Likelihood.Gaussian, Heteroscedastic = true, {|BNN0027:NoiseStd = 0.1|})]", output: "[Dense(400, 2)]"),
            Net(network: "[BayesianNetwork(Likelihood.Gaussian, Heteroscedastic = true)]", output: "[Dense(400, 2)]")),
        Case("BNN0021", "categorical output with activation", Net(output: "[Dense(400, 10, {|BNN0021:ReLU|})]"), Net(output: "[Dense(400, 10, None)]")),
        Case("BNN0022", "scale mixture against mean field", Net(prior: "[Prior({|BNN0022:ScaleMixture|}, 0.5, 1, 0.0025)]"),
            Net(prior: "[Prior(ScaleMixture, 0.5, 1, 0.0025)]", posterior: "[Posterior(MAP)]")),
        Case("BNN0022", "scale mixture on one layer", Net(output: "[Dense(400, 10), Prior({|BNN0022:ScaleMixture|}, 0.25, 1, 0.001)]"),
            Net(output: "[Dense(400, 10), Prior(Normal, 0, 0.5)]")),
        Case("BNN0023", "prior on a helper method",
            Net(members: "    [{|BNN0023:Prior(Normal, 0, 1)|}] public torch.Tensor Logits(torch.Tensor input) => Output(Hidden(input));"),
            Net(members: "    public torch.Tensor Logits(torch.Tensor input) => Output(Hidden(input));")),
        Case("BNN0023", "posterior on a helper method",
            Net(members: "    [{|BNN0023:Posterior(MAP)|}] public torch.Tensor Logits(torch.Tensor input) => Output(Hidden(input));"),
            Net(members: "    public torch.Tensor Logits(torch.Tensor input) => Output(Hidden(input));")),
        Case("BNN0024", "MAP layer in a mean-field network", Net(output: "[Dense(400, 10), Posterior({|BNN0024:MAP|})]"),
            Net(output: "[Dense(400, 10), Posterior(MeanField, InitialRho = -3)]")),
        Case("BNN0024", "mean-field layer in a MAP network", Net(posterior: "[Posterior(MAP)]", output: "[Dense(400, 10), Posterior({|BNN0024:MeanField|})]"),
            Net(posterior: "[Posterior(MAP)]", output: "[Dense(400, 10), Prior(Normal, 0, 0.5)]")),
        Case("BNN0025", "record", Net(declaration: "public partial record {|BNN0025:Net|}"), Net(declaration: "public partial class Net")),
        Case("BNN0025", "static class", Net(declaration: "public static partial class {|BNN0025:Net|}"), Net(declaration: "public partial class Net")) with { CompilerErrors = new[] { "CS0708", "CS8795" } },
        Case("BNN0025", "base class of its own", Net(declaration: "public partial class {|BNN0025:Net|} : System.Collections.Generic.List<int>"),
            Net(declaration: "public partial class Net : BayesianModule")),
        Case("BNN0006", "virtual layer", Net().Replace(
                "private partial torch.Tensor Output(torch.Tensor input);", "public virtual partial torch.Tensor {|BNN0006:Output|}(torch.Tensor input);"),
            Net().Replace("private partial torch.Tensor Output(torch.Tensor input);", "public partial torch.Tensor Output(torch.Tensor input);")),
        Case("BNN0006", "layer taking its input by reference", Net().Replace(
                "Output(torch.Tensor input);", "{|BNN0006:Output|}(ref torch.Tensor input);"),
            Net()),
        Case("BNN0030", "convolution without a declared input shape",
            ConvNet(network: "[BayesianNetwork(Likelihood.Categorical)]", conv1: "[{|BNN0030:Conv2d(1, 6, 5, ReLU, Padding = 2)|}]"), ConvNet()),
        Case("BNN0030", "pooling after a Dense layer", Net(output: "[{|BNN0030:MaxPool2d(2)|}]"), Net()),
        Case("BNN0031", "kernel larger than its input", ConvNet(conv2: "[Conv2d(6, 16, {|BNN0031:15|}, ReLU)]"), ConvNet()),
        Case("BNN0031", "pooling window larger than its input", ConvNet(pool2: "[MaxPool2d({|BNN0031:12|})]"), ConvNet()),
        Case("BNN0032", "input shape of two sizes",
            ConvNet(network: "[BayesianNetwork(Likelihood.Categorical, {|BNN0032:Input = new[] { 28, 28 }|})]"), ConvNet()),
        Case("BNN0032", "stride of 0", ConvNet(conv1: "[Conv2d(1, 6, 5, ReLU, {|BNN0032:Stride = 0|}, Padding = 2)]"), ConvNet(conv1: "[Conv2d(1, 6, 5, ReLU, Stride = 1, Padding = 2)]")),
        Case("BNN0032", "negative padding", ConvNet(conv1: "[Conv2d(1, 6, 5, ReLU, {|BNN0032:Padding = -1|})]"), ConvNet()),
        Case("BNN0033", "Dense after Flatten of the wrong width",
            ConvNet(hidden: "[Dense({|BNN0033:256|}, 120, ReLU)] private partial torch.Tensor Hidden(torch.Tensor input);"), ConvNet()),
        Case("BNN0034", "Dense on images without Flatten",
            ConvNet(flatten: "", hidden: "[{|BNN0034:Dense(400, 120, ReLU)|}] private partial torch.Tensor Hidden(torch.Tensor input);"), ConvNet()),
        Case("BNN0035", "prior on a pooling layer", ConvNet(pool1: "[MaxPool2d(2), {|BNN0035:Prior(Normal, 0, 1)|}]"), ConvNet()),
        Case("BNN0035", "posterior on Flatten",
            ConvNet(flatten: "[Flatten, {|BNN0035:Posterior(MAP)|}] private partial torch.Tensor Flat(torch.Tensor input);"), ConvNet()),
        Case("BNN0036", "convolution channels that do not chain", ConvNet(conv2: "[Conv2d({|BNN0036:3|}, 16, 5, ReLU)]"), ConvNet()),
        Case("BNN0036", "first Dense layer against the declared input",
            Net(network: "[BayesianNetwork(Likelihood.Categorical, Input = new[] { 784 })]", hidden: "[Dense({|BNN0036:700|}, 400, ReLU)]"),
            Net(network: "[BayesianNetwork(Likelihood.Categorical, Input = new[] { 784 })]")),
        Case("BNN0037", "network ending in a convolution",
            ConvNet(flatten: "", hidden: "", output: "[{|BNN0037:Conv2d(16, 10, 5)|}]"), ConvNet()),
        Case("BNN0038", "MNF without flow steps", Net(posterior: "[Posterior(MNF, {|BNN0038:flows: 0|})]"), Net(posterior: "[Posterior(MNF, flows: 1)]")),
        Case("BNN0038", "MNF flow steps by position", Net(posterior: "[Posterior(MNF, {|BNN0038:-1|})]"), Net(posterior: "[Posterior(MNF, 2)]")),
        Case("BNN0038", "MNF coupling width zero", Net(output: "[Dense(400, 10), Posterior(MNF, {|BNN0038:CouplingWidth = 0|})]"),
            Net(output: "[Dense(400, 10), Posterior(MNF, CouplingWidth = 8)]")),
        Case("BNN0038", "MNF auxiliary steps negative", Net(posterior: "[Posterior(MNF, {|BNN0038:AuxiliaryFlows = -1|})]"),
            Net(posterior: "[Posterior(MNF, AuxiliaryFlows = 0)]")),
        Case("BNN0038", "MNF auxiliary width zero", Net(posterior: "[Posterior(MNF, {|BNN0038:AuxiliaryWidth = 0|})]"),
            Net(posterior: "[Posterior(MNF, AuxiliaryWidth = 10)]")),
        Case("BNN0039", "MNF under a scale-mixture network prior", Net(prior: "[Prior({|BNN0039:ScaleMixture|}, 0.5, 1, 0.01)]", posterior: "[Posterior(MNF)]"),
            Net(prior: "[Prior(Normal, 0, 1)]", posterior: "[Posterior(MNF)]")),
        Case("BNN0039", "Laplace under a scale-mixture network prior", Net(prior: "[Prior({|BNN0039:ScaleMixture|}, 0.5, 1, 0.01)]", posterior: "[Posterior(Laplace)]"),
            Net(prior: "[Prior(ScaleMixture, 0.5, 1, 0.01)]", posterior: "[Posterior(Laplace)]", output: "[Dense(400, 10), Prior(Normal, 0, 1)]")),
        Case("BNN0040", "Laplace network ending in a Flatten layer",
            ConvNet(posterior: "[Posterior(Laplace)]", hidden: "", output: "[{|BNN0040:Flatten|}]", flatten: "[Conv2d(16, 10, 5)] private partial torch.Tensor Last(torch.Tensor input);"),
            ConvNet(posterior: "[Posterior(Laplace)]")),
        Case("BNN0040", "Laplace last layer with an activation",
            Net(network: "[BayesianNetwork(Likelihood.Gaussian)]", posterior: "[Posterior(Laplace)]", output: "[Dense(400, 1, {|BNN0040:Tanh|})]"),
            Net(network: "[BayesianNetwork(Likelihood.Gaussian)]", posterior: "[Posterior(Laplace)]", output: "[Dense(400, 1)]")),
        Case("BNN0040", "Laplace with a heteroscedastic head",
            Net(network: "[BayesianNetwork(Likelihood.Gaussian, Heteroscedastic = true)]", posterior: "[Posterior(Laplace)]", output: "[{|BNN0040:Dense(400, 2)|}]"),
            Net(network: "[BayesianNetwork(Likelihood.Gaussian, NoiseStd = 0.1)]", posterior: "[Posterior(Laplace)]", output: "[Dense(400, 2)]")),
        Case("BNN0041", "Full Hessian of a wide last layer", Net(posterior: "[Posterior(Laplace, {|BNN0041:Hessian = Full|})]", output: "[Dense(400, 100)]"),
            Net(posterior: "[Posterior(Laplace, Hessian = Full)]")),
        Case("BNN0042", "all-weights Laplace with a heteroscedastic head",
            Net(network: "[BayesianNetwork(Likelihood.Gaussian, Heteroscedastic = true)]", posterior: "[Posterior(Laplace, {|BNN0042:Subset = All|})]", output: "[Dense(400, 2)]"),
            Net(network: "[BayesianNetwork(Likelihood.Gaussian)]", posterior: "[Posterior(Laplace, Subset = All)]", output: "[Dense(400, 2)]")),
        Case("BNN0042", "per-layer prior precisions with a Full Hessian over all layers",
            Net(posterior: "[Posterior(Laplace, Subset = All, Hessian = Full, {|BNN0042:PriorPrecision = PerLayer|})]", hidden: "[Dense(784, 4, ReLU)]", output: "[Dense(4, 10)]"),
            Net(posterior: "[Posterior(Laplace, Subset = All, Hessian = Kron, PriorPrecision = PerLayer)]", hidden: "[Dense(784, 4, ReLU)]", output: "[Dense(4, 10)]")),
        Case("BNN0041", "Full Hessian over all the weights", Net(posterior: "[Posterior(Laplace, Subset = All, {|BNN0041:Hessian = Full|})]"),
            Net(posterior: "[Posterior(Laplace, Subset = All, Hessian = Diagonal)]")),
        Case("BNN0040", "the Flatten ending is fine for all-weights Laplace",
            ConvNet(posterior: "[Posterior(Laplace)]", hidden: "", output: "[{|BNN0040:Flatten|}]", flatten: "[Conv2d(16, 10, 5)] private partial torch.Tensor Last(torch.Tensor input);"),
            ConvNet(posterior: "[Posterior(Laplace, Subset = All)]", hidden: "", output: "[Flatten]", flatten: "[Conv2d(16, 10, 5)] private partial torch.Tensor Last(torch.Tensor input);")),
        Case("BNN0017", "Laplace subset out of range", Net(posterior: "[Posterior(Laplace, {|BNN0017:Subset = (LaplaceSubset)5|})]"), Net(posterior: "[Posterior(Laplace, Subset = LastLayer)]")),
        Case("BNN0019", "a Laplace subset on MAP", Net(posterior: "[Posterior(MAP, {|BNN0019:Subset = All|})]"), Net(posterior: "[Posterior(Laplace, Subset = All)]")),
        Case("BNN0047", "log-uniform prior with parameters", Net(prior: "[{|BNN0047:Prior(LogUniform, 0, 1)|}]"), Net(prior: "[Prior(LogUniform)]")),
        Case("BNN0047", "log-uniform prior under MAP", Net(prior: "[Prior({|BNN0047:LogUniform|})]", posterior: "[Posterior(MAP)]"),
            Net(prior: "[Prior(LogUniform)]", posterior: "[Posterior(MeanField)]")),
        Case("BNN0039", "log-uniform prior under MNF", Net(prior: "[Prior({|BNN0039:LogUniform|})]", posterior: "[Posterior(MNF)]"),
            Net(prior: "[Prior(Normal, 0, 1)]", posterior: "[Posterior(MNF)]")),
        Case("BNN0046", "an ensemble of one", Net(network: "[BayesianNetwork(Likelihood.Categorical, {|BNN0046:Ensemble = 1|})]"),
            Net(network: "[BayesianNetwork(Likelihood.Categorical, Ensemble = 2)]")),
        Case("BNN0045", "dropout rate 1", Net(posterior: "[Posterior(Dropout, {|BNN0045:Rate = 1|})]"), Net(posterior: "[Posterior(Dropout, Rate = 0.5)]")),
        Case("BNN0045", "dropout rate 0 on a layer", Net(posterior: "[Posterior(Dropout)]", output: "[Dense(400, 10), Posterior(Dropout, {|BNN0045:Rate = 0|})]"),
            Net(posterior: "[Posterior(Dropout)]", output: "[Dense(400, 10), Posterior(Dropout, Rate = 0.3)]")),
        Case("BNN0019", "a dropout rate on mean-field", Net(posterior: "[Posterior(MeanField, {|BNN0019:Rate = 0.5|})]"), Net(posterior: "[Posterior(Dropout, Rate = 0.5)]")),
        Case("BNN0024", "dropout layer in a MAP network", Net(posterior: "[Posterior(MAP)]", output: "[Dense(400, 10), Posterior({|BNN0024:Dropout|})]"),
            Net(posterior: "[Posterior(MeanField)]", output: "[Dense(400, 10), Posterior(Dropout)]")),
        Case("BNN0043", "SGLD step size zero", Net(posterior: "[Posterior(SGLD, {|BNN0043:StepSize = 0|})]"), Net(posterior: "[Posterior(SGLD, StepSize = 0.01)]")),
        Case("BNN0043", "SGLD decay exponent at 0.5", Net(posterior: "[Posterior(SGLD, {|BNN0043:DecayExponent = 0.5|})]"), Net(posterior: "[Posterior(SGLD, DecayExponent = 1)]")),
        Case("BNN0043", "SGHMC friction above 1", Net(posterior: "[Posterior(SGHMC, {|BNN0043:Friction = 1.5|})]"), Net(posterior: "[Posterior(SGHMC, Friction = 1)]")),
        Case("BNN0043", "a negative temperature", Net(posterior: "[Posterior(PSGLD, {|BNN0043:Temperature = -1|})]"), Net(posterior: "[Posterior(PSGLD, Temperature = 0.2)]")),
        Case("BNN0043", "negative sample memory", Net(posterior: "[Posterior(SGLD, {|BNN0043:SampleMemory = -1|})]"), Net(posterior: "[Posterior(SGLD, SampleMemory = 0)]")),
        Case("BNN0043", "no samples kept", Net(posterior: "[Posterior(SGLD, {|BNN0043:Samples = 0|})]"), Net(posterior: "[Posterior(SGLD, Samples = 1)]")),
        Case("BNN0043", "pSGLD alpha of 1", Net(posterior: "[Posterior(PSGLD, {|BNN0043:Alpha = 1|})]"), Net(posterior: "[Posterior(PSGLD, Alpha = 0.999)]")),
        Case("BNN0044", "samples not shared by the cycles", Net(posterior: "[Posterior(SGHMC, Cycles = 4, {|BNN0044:Samples = 30|})]"),
            Net(posterior: "[Posterior(SGHMC, Cycles = 4, Samples = 32)]")),
        Case("BNN0044", "more cycles than the default samples", Net(posterior: "[Posterior(SGLD, {|BNN0044:Cycles = 5|})]"), Net(posterior: "[Posterior(SGLD, Cycles = 4)]")),
        Case("BNN0019", "friction on SGLD", Net(posterior: "[Posterior(SGLD, {|BNN0019:Friction = 0.1|})]"), Net(posterior: "[Posterior(SGHMC, Friction = 0.1)]")),
        Case("BNN0019", "sampler options on a layer", Net(posterior: "[Posterior(SGLD)]", output: "[Dense(400, 10), Posterior(SGLD, {|BNN0019:Samples = 8|})]"),
            Net(posterior: "[Posterior(SGLD, Samples = 8)]", output: "[Dense(400, 10), Posterior(SGLD)]")),
        Case("BNN0024", "SGLD layer in a mean-field network", Net(output: "[Dense(400, 10), Posterior({|BNN0024:SGLD|})]"), Net(posterior: "[Posterior(SGLD)]")),
        Case("BNN0019", "Laplace options on a layer", Net(posterior: "[Posterior(Laplace)]", output: "[Dense(400, 10), Posterior(Laplace, {|BNN0019:Hessian = Full|})]"),
            Net(posterior: "[Posterior(Laplace, Hessian = Full)]")),
        Case("BNN0019", "a Laplace option on mean-field", Net(posterior: "[Posterior(MeanField, {|BNN0019:Link = MonteCarlo|})]"), Net(posterior: "[Posterior(Laplace, Link = MonteCarlo)]")),
        Case("BNN0017", "Laplace Hessian out of range", Net(posterior: "[Posterior(Laplace, {|BNN0017:Hessian = (LaplaceHessian)7|})]"), Net(posterior: "[Posterior(Laplace, Hessian = Diagonal)]")),
        Case("BNN0024", "Laplace layer in a mean-field network", Net(output: "[Dense(400, 10), Posterior({|BNN0024:Laplace|})]"), Net(posterior: "[Posterior(Laplace)]")),
        Case("BNN0039", "MNF layer with a scale-mixture prior of its own",
            Net(output: "[Dense(400, 10), Posterior(MNF), Prior({|BNN0039:ScaleMixture|}, 0.5, 1, 0.01)]"),
            Net(output: "[Dense(400, 10), Posterior(MNF), Prior(Normal, 0, 0.5)]")),
    };

    public static IEnumerable<object[]> Cases => All.Select(c => new object[] { c });

    /// <summary>The source without its markup.</summary>
    public static string Plain(string markup) =>
        System.Text.RegularExpressions.Regex.Replace(markup, @"\{\|BNN\d{4}:", "").Replace("|}", "");
}
