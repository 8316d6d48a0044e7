using System.Collections.Generic;

namespace BnnDsl.Generator.Tests;

/// <summary>Representative declarations, written as a user writes them.</summary>
public static class Declarations
{
    const string Usings = "using BnnDsl;\nusing TorchSharp;\n\n";

    public static string Mlp(string classAttributes, string outputAttributes = "[Dense(400, 10)]", string name = "FashionMlp") => Usings + $$"""
        namespace Demo;

        [BayesianNetwork(Likelihood.Categorical)]
        {{classAttributes}}
        public partial class {{name}}
        {
            [Dense(784, 400, ReLU)] private partial torch.Tensor Hidden1(torch.Tensor input);
            [Dense(400, 400, ReLU)] private partial torch.Tensor Hidden2(torch.Tensor input);
            {{outputAttributes}} private partial torch.Tensor Output(torch.Tensor input);
        }
        """;

    /// <summary>The declaration at the top of the README, verbatim (a test checks that the README still shows it).</summary>
    /// <summary>LeNet-5 on 28×28 images, with the class attributes and the second convolution's attribute as parameters.</summary>
    public static string LeNet5(string classAttributes, string convolution = "[Conv2d(6, 16, 5, ReLU)]") => Usings + $$"""
        namespace Demo;

        [BayesianNetwork(Likelihood.Categorical, Input = new[] { 1, 28, 28 })]
        {{classAttributes}}
        public partial class LeNet5
        {
            [Conv2d(1, 6, 5, ReLU, Padding = 2)] private partial torch.Tensor Conv1(torch.Tensor input);
            [MaxPool2d(2)] private partial torch.Tensor Pool1(torch.Tensor input);
            {{convolution}} private partial torch.Tensor Conv2(torch.Tensor input);
            [MaxPool2d(2)] private partial torch.Tensor Pool2(torch.Tensor input);
            [Flatten] private partial torch.Tensor Flat(torch.Tensor input);
            [Dense(400, 120, ReLU)] private partial torch.Tensor Hidden1(torch.Tensor input);
            [Dense(120, 84, ReLU)] private partial torch.Tensor Hidden2(torch.Tensor input);
            [Dense(84, 10)] private partial torch.Tensor Output(torch.Tensor input);
        }
        """;

    public const string ReadmeExample = """
        [BayesianNetwork(Likelihood.Categorical)]
        [Prior(ScaleMixture, 0.25, 1.0, 0.0009)]            // network-wide prior; a layer may override it
        [Posterior(MeanField, InitialRho = -6, LocalReparameterization = true)]
        public partial class FashionMlp
        {
            [Dense(784, 400, ReLU), Posterior(MeanField, InitialRho = -8)] private partial torch.Tensor Hidden1(torch.Tensor input);
            [Dense(400, 400, ReLU), Prior(Normal, 0, 0.25), Posterior(MeanField, BiasInitialRho = -0.5)] private partial torch.Tensor Hidden2(torch.Tensor input);
            [Dense(400, 10), Prior(Normal, 0, 1), Posterior(MeanField, InitialRho = -2)] private partial torch.Tensor Output(torch.Tensor input);
        }
        """;

    public static readonly IReadOnlyDictionary<string, string> All = new SortedDictionary<string, string>(System.StringComparer.Ordinal)
    {
        ["ReadmeExample"] = Usings + ReadmeExample + "\n",
        ["NormalPrior"] = Mlp("[Prior(Normal, 0, 1)]\n[Posterior(MeanField)]"),
        ["NormalPriorLocalReparameterization"] = Mlp("[Prior(Normal, 0, 1)]\n[Posterior(MeanField, LocalReparameterization = true, InitialRho = -3)]"),
        ["ScaleMixturePrior"] = Mlp("[Prior(ScaleMixture, 0.5, 1, 0.0025)]\n[Posterior(MeanField)]"),
        ["ScaleMixturePriorLocalReparameterization"] = Mlp("[Prior(ScaleMixture, 0.25, 1, 0.001)]\n[Posterior(MeanField, LocalReparameterization = true)]"),
        ["PerLayerPriorOverride"] = Mlp("[Prior(Normal, 0, 0.1)]\n[Posterior(MeanField)]", "[Dense(400, 10), Prior(ScaleMixture, 0.5, 1, 0.0025)]"),
        ["PerLayerPosteriorOptions"] = Mlp("[Prior(Normal, 0, 1)]\n[Posterior(MeanField, LocalReparameterization = true, BiasInitialRho = -2)]",
            "[Dense(400, 10), Posterior(MeanField, InitialRho = -3)]"),
        ["Map"] = Mlp("[Prior(Normal, 0, 1)]\n[Posterior(MAP)]", "[Dense(400, 10), Prior(Normal, 0, 0.5)]"),
        ["Regression"] = Usings + """
            namespace Demo.Regression;

            [BayesianNetwork(Likelihood.Gaussian)]
            [Prior(Normal, 0, 1)]
            [Posterior(MeanField, LocalReparameterization = true)]
            internal partial class CurveNet
            {
                [Dense(1, 50, Tanh)] public partial torch.Tensor Hidden(torch.Tensor x);
                [Dense(50, 1)] public partial torch.Tensor Output(torch.Tensor x);
            }
            """,
        ["RegressionHeteroscedastic"] = Usings + """
            namespace Demo.Regression;

            [BayesianNetwork(Likelihood.Gaussian, Heteroscedastic = true)]
            [Prior(Normal, 0, 1)]
            [Posterior(MeanField, LocalReparameterization = true)]
            public partial class NoisyCurveNet
            {
                [Dense(1, 50, Tanh)] private partial torch.Tensor Hidden(torch.Tensor input);
                [Dense(50, 2)] private partial torch.Tensor MeanAndVariance(torch.Tensor input);
            }
            """,
        ["UnusualNames"] = Usings + """
            namespace Demo.@event;

            // Keyword names, a parameter named like the generated local, and a network inside a generic record struct.
            public partial record struct Registry<TKey>
            {
                [BayesianNetwork(Likelihood.Categorical)]
                [Posterior(MAP)]
                public partial class Net
                {
                    [Dense(4, 8, ReLU)] private partial torch.Tensor @event(torch.Tensor @in);
                    [Dense(8, 3)] private partial torch.Tensor Output(torch.Tensor preActivation);
                }
            }
            """,
        ["RegressionFixedNoise"] = Usings + """
            [BayesianNetwork(Likelihood.Gaussian, NoiseStd = 0.1)]
            [Posterior(MAP)]
            [Prior(Normal, 0, 1)]
            partial class GlobalNamespaceNet
            {
                [Dense(3, 16, Sigmoid)] internal partial torch.Tensor Hidden(torch.Tensor features);
                [Dense(16, 1)] internal partial torch.Tensor Output(torch.Tensor features);
            }
            """,
        ["LeNet5Map"] = LeNet5("[Prior(Normal, 0, 1)]\n[Posterior(MAP)]"),
        ["LeNet5MeanField"] = LeNet5("[Prior(ScaleMixture, 0.5, 1, 0.0025)]\n[Posterior(MeanField, InitialRho = -6)]",
            convolution: "[Conv2d(6, 16, 5, ReLU, Stride = 1), Posterior(MeanField, LocalReparameterization = true), Prior(Normal, 0, 0.5)]"),
        ["LeNet5LocalReparameterization"] = LeNet5("[Prior(Normal, 0, 1)]\n[Posterior(MeanField, LocalReparameterization = true)]"),
        // The card's own declaration, on a network and on a layer; mixed with mean-field in both directions.
        ["Mnf"] = Mlp("[Prior(Normal, 0, 1)]\n[Posterior(MNF, flows: 2)]"),
        ["MnfOptions"] = Mlp("[Prior(Normal, 0, 1)]\n[Posterior(MNF, flows: 3, Flow = Planar, AuxiliaryFlows = 0, InitialLogVariance = -8)]",
            "[Dense(400, 10), Posterior(MNF, CouplingWidth = 20)]"),
        ["MnfLayerInMeanField"] = Mlp("[Prior(Normal, 0, 1)]\n[Posterior(MeanField, LocalReparameterization = true)]", "[Dense(400, 10), Posterior(MNF, flows: 2)]"),
        ["LeNet5Mnf"] = LeNet5("[Prior(Normal, 0, 1)]\n[Posterior(MNF, flows: 2)]",
            convolution: "[Conv2d(6, 16, 5, ReLU), Posterior(MeanField, LocalReparameterization = true)]"),
        ["Laplace"] = Mlp("[Prior(Normal, 0, 1)]\n[Posterior(Laplace)]"),
        ["LaplaceOptions"] = LeNet5("[Prior(ScaleMixture, 0.5, 1, 0.0025)]\n[Posterior(Laplace, Hessian = Full, Curvature = EmpiricalFisher, Link = MonteCarlo)]")
            .Replace("[Dense(84, 10)]", "[Dense(84, 10), Prior(Normal, 0, 0.5)]"),
        ["Dropout"] = LeNet5("[Prior(Normal, 0, 1)]\n[Posterior(Dropout, Rate = 0.2)]", convolution: "[Conv2d(6, 16, 5, ReLU), Posterior(Dropout, Rate = 0.05)]"),
        ["DropoutLayerInMeanField"] = Mlp("[Prior(Normal, 0, 1)]\n[Posterior(MeanField, LocalReparameterization = true)]", "[Dense(400, 10), Posterior(Dropout, Rate = 0.5)]"),
        ["LogUniform"] = Mlp("[Prior(LogUniform)]\n[Posterior(MeanField, LocalReparameterization = true, InitialRho = -6)]", "[Dense(400, 10), Prior(Normal, 0, 1)]"),
        ["Ensemble"] = Mlp("[Prior(Normal, 0, 1)]\n[Posterior(MAP)]").Replace("[BayesianNetwork(Likelihood.Categorical)]", "[BayesianNetwork(Likelihood.Categorical, Ensemble = 5)]"),
        ["Sgld"] = Mlp("[Prior(Normal, 0, 1)]\n[Posterior(SGLD)]"),
        ["CyclicalSghmc"] = LeNet5("[Prior(ScaleMixture, 0.5, 1, 0.0025)]\n[Posterior(SGHMC, Cycles = 4, Samples = 32, StepSize = 0.01, Friction = 0.05, Temperature = 0.5)]"),
        ["LaplaceAllWeights"] = LeNet5("[Prior(Normal, 0, 1)]\n[Posterior(Laplace, Subset = All, Hessian = Kron, PriorPrecision = PerLayer, Link = Sampling)]"),
        ["OwnForward"] = Usings + """
            namespace Demo;

            // A residual block: the network writes its own forward pass, so the layers need not chain in declaration order.
            [BayesianNetwork(Likelihood.Categorical, Input = new[] { 1, 8, 8 })]
            [Posterior(MeanField, LocalReparameterization = true)]
            public partial class Residual
            {
                [Conv2d(1, 4, 3, ReLU, Padding = 1)] private partial torch.Tensor Stem(torch.Tensor input);
                [Conv2d(4, 4, 3, Padding = 1)] private partial torch.Tensor Block(torch.Tensor input);
                [Flatten] private partial torch.Tensor Flat(torch.Tensor input);
                [Dense(256, 3)] private partial torch.Tensor Output(torch.Tensor input);

                public override torch.Tensor forward(torch.Tensor input)
                {
                    var stem = Stem(AsInputShape(input));
                    return Output(Flat(torch.nn.functional.relu(stem + Block(stem))));
                }
            }
            """,
        ["Nested"] = Usings + """
            namespace Demo;

            public static partial class Models
            {
                [BayesianNetwork(Likelihood.Categorical)]
                [Prior(Normal, 0, 1)]
                [Posterior(MeanField)]
                public partial class Inner
                {
                    [Dense(2, 3)] protected partial torch.Tensor Only(torch.Tensor input);
                }
            }
            """,
    };
}
