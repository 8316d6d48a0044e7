using System.Collections.Generic;
using System.Linq;

namespace BnnDsl.Generator.Tests.Validation;

/// <summary>
/// Declarations as a user has them half-typed or mistyped: missing arguments, wrong argument types, unknown
/// vocabulary, unbalanced brackets, attributes on the wrong targets. Each must leave the generator and the
/// analyzers standing.
/// </summary>
public static class MalformedDeclarations
{
    const string Usings = "using BnnDsl;\nusing TorchSharp;\n\nnamespace Demo;\n\n";

    static string Network(string classAttributes, string body = "[Dense(784, 400, ReLU)] private partial torch.Tensor Hidden(torch.Tensor input);\n    [Dense(400, 10)] private partial torch.Tensor Output(torch.Tensor input);", string declaration = "public partial class Net") =>
        Usings + classAttributes + "\n" + declaration + "\n{\n    " + body + "\n}\n";

    static string Layers(string body) => Network("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MeanField)]", body);

    static string Classes(string classAttributes) => Network(classAttributes);

    public static readonly IReadOnlyList<string> All = new[]
    {
        // The network attribute.
        Classes("[BayesianNetwork]"),
        Classes("[BayesianNetwork(]"),
        Classes("[BayesianNetwork(Likelihood.)]"),
        Classes("[BayesianNetwork(Likelihood.Categorica)]"),
        Classes("[BayesianNetwork(\"Categorical\")]"),
        Classes("[BayesianNetwork(Likelihood.Gaussian, NoiseStd = )]"),
        Classes("[BayesianNetwork(Likelihood.Gaussian, NoiseStd = \"0.1\")]"),
        Classes("[BayesianNetwork(Likelihood.Gaussian, NoiseStd: 0.1)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical, Likelihood.Gaussian)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[BayesianNetwork(Likelihood.Gaussian)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical"),
        Classes("[BayesianNetwork(Likelihood.Categorical)"),
        // The prior.
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Prior]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Prior(]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Prior(Normal]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Prior(Normal, )]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Prior(Normal, 0, )]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Prior(Normall, 0, 1)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Prior(Normal, \"0\", 1)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Prior(Normal, 0, 1, 2, 3)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Prior(ScaleMixture)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Prior(ReLU, 0, 1)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Prior(Normal, null)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Prior(0, 0, 1)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Prior(Normal, new double[] { 0, })]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Prior(Normal, 0, 1)]\n[Prior(Normal, 0, 2)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Prior(Normal 0 1)]"),
        // The posterior.
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MeanFeild)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MeanField, LocalReparameterization = )]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MeanField, LocalReparameterization = 1)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MeanField, InitialRho = \"x\")]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MeanField, Flows = 2)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MNF, flows: 2)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MNF, flows: )]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MNF, flows: \"two\")]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MNF, flows: 2.5)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MNF, flow: 2)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MNF, 2, 3)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MNF, flows: 2, flows: 3)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MNF, Flow = 1)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MNF, Flow = Planr)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MNF, CouplingWidth = 1.5, AuxiliaryFlows = )]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(flows: 2, method: MNF)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical)]\n[Posterior(MeanField, InitialRho = -3,)]"),
        // Layers.
        Layers("[Dense] private partial torch.Tensor Output(torch.Tensor input);"),
        Layers("[Dense(784)] private partial torch.Tensor Output(torch.Tensor input);"),
        Layers("[Dense(784, )] private partial torch.Tensor Output(torch.Tensor input);"),
        Layers("[Dense(784, 10, )] private partial torch.Tensor Output(torch.Tensor input);"),
        Layers("[Dense(784, 10, Relu)] private partial torch.Tensor Output(torch.Tensor input);"),
        Layers("[Dense(784.0, 10)] private partial torch.Tensor Output(torch.Tensor input);"),
        Layers("[Dense(784, 10, ReLU, Tanh)] private partial torch.Tensor Output(torch.Tensor input);"),
        Layers("[Dense(784, 10 ReLU)] private partial torch.Tensor Output(torch.Tensor input);"),
        Layers("[Dense(784, 10)"),
        Layers("[Dense(784, 10)] private partial torch.Tensor Output(torch.Tensor input)"),
        Layers("[Dense(784, 10)] private partial torch.Tensor Output("),
        Layers("[Dense(784, 10)] private partial torch.Tensor Output(torch.Tensor"),
        Layers("[Dense(784, 10)] private partial Tensor Output(Tensor input);"),
        Layers("[Dense(784, 10)] private partial void Output(torch.Tensor input);"),
        Layers("[Dense(784, 10)] partial torch.Tensor Output(torch.Tensor input);"),
        Layers("[Dense(784, 10)] public int Width;"),
        Layers("[Dense(784, 10)] public torch.Tensor Output { get; }"),
        Layers("[Dense(784, 10)] class Inner { }"),
        Layers("[Dense(784, 10), Dense(10, 10)] private partial torch.Tensor Output(torch.Tensor input);"),
        Layers("[Dense(784, 10), Prior(Normal 0 1)] private partial torch.Tensor Output(torch.Tensor input);"),
        Layers("[Dense(784, 10), Posterior(MAP, LocalReparameterization = true)] private partial torch.Tensor Output(torch.Tensor input);"),
        Layers("[Dense(784, 10)] private partial torch.Tensor? Output(torch.Tensor? input);"),
        Layers("[Dense(784, 10)] private partial torch.Tensor Output<T>(torch.Tensor input);"),
        Layers("[Dense(784, 10)] private partial torch.Tensor Output(torch.Tensor input = null);"),
        Layers("[Dense(784, 10)] private partial torch.Tensor Output(params torch.Tensor[] input);"),
        Layers("[Dense(784, 10)] private partial torch.Tensor Output(torch.Tensor input);\n    private partial torch.Tensor Output(torch.Tensor input) {"),
        Layers("[Dense(784, 10)] private partial torch.Tensor Output(torch.Tensor input);\n    [Dense(10, 10)] private partial torch.Tensor Output(torch.Tensor input);"),
        Layers("[Dense(784, 10)] private partial torch.Tensor Output(torch.Tensor input);\n    [Dense(10, 10)] private partial torch.Tensor Output(torch.Tensor input, torch.Tensor other);"),
        Layers("[Dense(784, 10)] private partial torch.Tensor Output(torch.Tensor input);\n    void Train() { [Dense(1, 1)] torch.Tensor Local(torch.Tensor x) => x; }"),
        // Convolutions, pooling and the input shape.
        Classes("[BayesianNetwork(Likelihood.Categorical, Input = )]"),
        Classes("[BayesianNetwork(Likelihood.Categorical, Input = new[] { 1, 28, })]"),
        Classes("[BayesianNetwork(Likelihood.Categorical, Input = new[] { 1.5, 28, 28 })]"),
        Classes("[BayesianNetwork(Likelihood.Categorical, Input = null)]"),
        Classes("[BayesianNetwork(Likelihood.Categorical, Input = 784)]"),
        Layers("[Conv2d] private partial torch.Tensor Conv(torch.Tensor input);\n    [Dense(10, 10)] private partial torch.Tensor Output(torch.Tensor input);"),
        Layers("[Conv2d(1, 6)] private partial torch.Tensor Conv(torch.Tensor input);"),
        Layers("[Conv2d(1, 6, 5, ReLU, Stride = )] private partial torch.Tensor Conv(torch.Tensor input);"),
        Layers("[Conv2d(1, 6, 5, ReLU, Padding = \"2\")] private partial torch.Tensor Conv(torch.Tensor input);"),
        Layers("[MaxPool2d] private partial torch.Tensor Pool(torch.Tensor input);"),
        Layers("[MaxPool2d(2, 2)] private partial torch.Tensor Pool(torch.Tensor input);"),
        Layers("[Flatten(1)] private partial torch.Tensor Flat(torch.Tensor input);"),
        Layers("[Flatten, Dense(4, 2)] private partial torch.Tensor Flat(torch.Tensor input);"),
        Layers("[Flatten] private partial torch.Tensor Flat(torch.Tensor input)"),
        Layers("[Conv2d(1, 6, 5)] private partial torch.Tensor Conv(torch.Tensor input);\n    public override torch.Tensor forward(torch.Tensor input) =>"),
        // The class.
        Network("[BayesianNetwork(Likelihood.Categorical)]", declaration: "public partial class Net") + "[BayesianNetwork(Likelihood.Gaussian)]\npublic partial class Net { }\n",
        Network("[BayesianNetwork(Likelihood.Categorical)]", declaration: "public partial class Net")
            + "[BayesianNetwork(Likelihood.Categorical)]\npublic partial class NET\n{\n    [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);\n}\n",
        Network("[BayesianNetwork(Likelihood.Categorical)]", declaration: "public partial class"),
        Usings + "[BayesianNetwork(Likelihood.Categorical)]\npublic partial class Net\n",
        Usings + "[BayesianNetwork(Likelihood.Categorical)]\npublic partial class Net\n{\n    [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);\n",
        Usings + "[BayesianNetwork(Likelihood.Categorical)]\npublic partial class Net\n{\n    [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);\n}\n}\n",
        Network("[BayesianNetwork(Likelihood.Categorical)]", declaration: "public partial struct Net"),
        Network("[BayesianNetwork(Likelihood.Categorical)]", declaration: "public partial interface Net"),
        Network("[BayesianNetwork(Likelihood.Categorical)]", declaration: "public partial record struct Net"),
        Network("[BayesianNetwork(Likelihood.Categorical)]", declaration: "public partial class Net : UnknownBase"),
        Network("[BayesianNetwork(Likelihood.Categorical)]", declaration: "public partial class Net<>"),
        Network("[BayesianNetwork(Likelihood.Categorical)]", declaration: "public partial class Net where T : class"),
        Network("[BayesianNetwork(Likelihood.Categorical)]", declaration: "public partial partial class Net"),
        Usings + "public partial class Outer\n{\n    [BayesianNetwork(Likelihood.Categorical)]\n    partial class Net\n    {\n        [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);\n",
        "using TorchSharp;\n\n[BayesianNetwork(Likelihood.Categorical)]\npublic partial class Net\n{\n    [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);\n}\n",
        "using BnnDsl;\n\n[BayesianNetwork(Likelihood.Categorical)]\npublic partial class Net\n{\n    [Dense(4, 2)] private partial torch.Tensor Output(torch.Tensor input);\n}\n",
    };

    public static IEnumerable<object[]> Indices => Enumerable.Range(0, All.Count).Select(i => new object[] { i });
}
