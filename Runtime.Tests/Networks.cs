using BnnDsl;
using TorchSharp;

namespace BnnDsl.Runtime.Tests;

// Networks the tests train and check, declared the way a user declares them.

[BayesianNetwork(Likelihood.Categorical)]
[Prior(Normal, 0, 1)]
[Posterior(MeanField)]
public partial class TinyClassifier
{
    [Dense(4, 8, Tanh)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(8, 3)] private partial torch.Tensor Output(torch.Tensor input);
}

[BayesianNetwork(Likelihood.Categorical)]
[Prior(ScaleMixture, 0.5, 1.0, 0.0025)]
[Posterior(MeanField, LocalReparameterization = true)]
public partial class TinyMixtureClassifier
{
    [Dense(4, 8, ReLU)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(8, 3), Prior(Normal, 0, 0.5)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>Per-weight sampling under a prior without closed-form KL: the Monte Carlo KL at the forward pass's draw.</summary>
[BayesianNetwork(Likelihood.Categorical)]
[Prior(ScaleMixture, 0.5, 1.0, 0.0025)]
[Posterior(MeanField, InitialRho = -4)]
public partial class TinySampledMixtureClassifier
{
    [Dense(4, 8, Tanh)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(8, 3)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>A point estimate whose penalty is the scale mixture's −log p(θ), with a Normal prior on the output layer.</summary>
[BayesianNetwork(Likelihood.Categorical)]
[Prior(ScaleMixture, 0.25, 1.0, 0.05)]
[Posterior(MAP)]
public partial class TinyMapMixtureClassifier
{
    [Dense(4, 8, ReLU)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(8, 3), Prior(Normal, 0.1, 0.5)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>Biases that start wider than the weights, declared for the network and overridden by a layer.</summary>
[BayesianNetwork(Likelihood.Categorical)]
[Prior(Normal, 0, 1)]
[Posterior(MeanField, InitialRho = -4, BiasInitialRho = -1, LocalReparameterization = true)]
public partial class TinyBiasRhoClassifier
{
    [Dense(4, 8, ReLU), Posterior(MeanField, InitialRho = -6)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(8, 3), Posterior(MeanField, BiasInitialRho = 0)] private partial torch.Tensor Output(torch.Tensor input);
}

[BayesianNetwork(Likelihood.Categorical)]
[Prior(Normal, 0, 1)]
[Posterior(MAP)]
public partial class TinyMapClassifier
{
    [Dense(4, 8, Sigmoid)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(8, 3)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>Bayesian linear regression: the conjugate model of docs/METHODS.md §8, as a one-layer network.</summary>
[BayesianNetwork(Likelihood.Gaussian, NoiseStd = 0.5)]
[Prior(Normal, 0, 1)]
[Posterior(MeanField, InitialRho = -3)]
public partial class LinearRegression
{
    [Dense(3, 1)] public partial torch.Tensor Linear(torch.Tensor input);
}

/// <summary>A small Fashion-MNIST classifier for end-to-end runs on the embedded data.</summary>
[BayesianNetwork(Likelihood.Categorical)]
[Prior(ScaleMixture, 0.5, 1.0, 0.0025)]
[Posterior(MeanField, LocalReparameterization = true)]
public partial class SmallFashionMeanField
{
    [Dense(784, 200, ReLU)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(200, 10)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>The MAP counterpart of <see cref="SmallFashionMeanField"/>.</summary>
[BayesianNetwork(Likelihood.Categorical)]
[Prior(Normal, 0, 1)]
[Posterior(MAP)]
public partial class SmallFashionMap
{
    [Dense(784, 200, ReLU)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(200, 10)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>Regression whose noise depends on the input: the last layer gives a mean and a raw variance.</summary>
[BayesianNetwork(Likelihood.Gaussian, Heteroscedastic = true)]
[Prior(Normal, 0, 1)]
[Posterior(MAP)]
public partial class HeteroscedasticRegression
{
    [Dense(1, 16, Tanh)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(16, 2)] private partial torch.Tensor MeanAndVariance(torch.Tensor input);
}

/// <summary>A small convolutional network under mean-field VI with local reparameterisation (mean and variance convolutions).</summary>
[BayesianNetwork(Likelihood.Categorical, Input = new[] { 1, 8, 8 })]
[Prior(Normal, 0, 1)]
[Posterior(MeanField, InitialRho = -3, LocalReparameterization = true)]
public partial class TinyConvClassifier
{
    [Conv2d(1, 3, 3, ReLU, Padding = 1)] private partial torch.Tensor Conv(torch.Tensor input);
    [MaxPool2d(2)] private partial torch.Tensor Pool(torch.Tensor input);
    [Flatten] private partial torch.Tensor Flat(torch.Tensor input);
    [Dense(48, 3)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>Per-weight sampling in a convolution under a scale mixture (a Monte Carlo KL at the forward pass's draw).</summary>
[BayesianNetwork(Likelihood.Categorical, Input = new[] { 1, 8, 8 })]
[Prior(ScaleMixture, 0.5, 1.0, 0.0025)]
[Posterior(MeanField, InitialRho = -4)]
public partial class TinySampledConvClassifier
{
    [Conv2d(1, 2, 3, Tanh, Stride = 2)] private partial torch.Tensor Conv(torch.Tensor input);
    [Flatten] private partial torch.Tensor Flat(torch.Tensor input);
    [Dense(18, 3), Prior(Normal, 0, 0.5)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>A point-estimate convolution under a scale mixture penalty.</summary>
[BayesianNetwork(Likelihood.Categorical, Input = new[] { 1, 8, 8 })]
[Prior(ScaleMixture, 0.25, 1.0, 0.05)]
[Posterior(MAP)]
public partial class TinyConvMap
{
    [Conv2d(1, 3, 3, ReLU)] private partial torch.Tensor Conv(torch.Tensor input);
    [MaxPool2d(3, Stride = 2)] private partial torch.Tensor Pool(torch.Tensor input);
    [Flatten] private partial torch.Tensor Flat(torch.Tensor input);
    [Dense(12, 3)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>A forward pass of the user's own: a residual connection around a convolution.</summary>
[BayesianNetwork(Likelihood.Categorical, Input = new[] { 1, 8, 8 })]
[Posterior(MeanField, InitialRho = -4)]
public partial class TinyResidual
{
    [Conv2d(1, 2, 3, ReLU, Padding = 1)] private partial torch.Tensor Stem(torch.Tensor input);
    [Conv2d(2, 2, 3, Padding = 1)] private partial torch.Tensor Block(torch.Tensor input);
    [Flatten] private partial torch.Tensor Flat(torch.Tensor input);
    [Dense(128, 3)] private partial torch.Tensor Output(torch.Tensor input);

    public override torch.Tensor forward(torch.Tensor input)
    {
        var stem = Stem(AsInputShape(input));
        return Output(Flat(torch.nn.functional.relu(stem + Block(stem))));
    }
}

/// <summary>LeNet-5 shrunk to 28×28 inputs and few channels, for end-to-end runs on the embedded subset.</summary>
[BayesianNetwork(Likelihood.Categorical, Input = new[] { 1, 28, 28 })]
[Prior(Normal, 0, 1)]
[Posterior(MeanField, InitialRho = -6, LocalReparameterization = true)]
public partial class SmallFashionConvMeanField
{
    [Conv2d(1, 4, 5, ReLU, Padding = 2)] private partial torch.Tensor Conv1(torch.Tensor input);
    [MaxPool2d(2)] private partial torch.Tensor Pool1(torch.Tensor input);
    [Conv2d(4, 8, 5, ReLU)] private partial torch.Tensor Conv2(torch.Tensor input);
    [MaxPool2d(2)] private partial torch.Tensor Pool2(torch.Tensor input);
    [Flatten] private partial torch.Tensor Flat(torch.Tensor input);
    [Dense(200, 10), Posterior(MeanField, InitialRho = -2)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>MNF with coupling flows on the hidden layer and planar flows on a mean-field network's output layer.</summary>
[BayesianNetwork(Likelihood.Categorical)]
[Prior(Normal, 0, 1)]
[Posterior(MNF, flows: 2, CouplingWidth = 6, AuxiliaryWidth = 5, InitialLogVariance = -4)]
public partial class TinyMnfClassifier
{
    [Dense(4, 8, Tanh)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(8, 3), Posterior(MeanField, LocalReparameterization = true)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>An MNF convolution with a planar flow between mean-field and MNF dense layers.</summary>
[BayesianNetwork(Likelihood.Categorical, Input = new[] { 1, 5, 5 })]
[Prior(Normal, 0, 1)]
[Posterior(MeanField, LocalReparameterization = true, InitialRho = -3)]
public partial class TinyMnfConvClassifier
{
    [Conv2d(1, 3, 3, ReLU), Posterior(MNF, flows: 1, Flow = Planar, AuxiliaryFlows = 1, InitialLogVariance = -4)] private partial torch.Tensor Conv(torch.Tensor input);
    [Flatten] private partial torch.Tensor Flat(torch.Tensor input);
    [Dense(27, 3), Posterior(MNF, flows: 2, CouplingWidth = 4, AuxiliaryWidth = 4)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>Conjugate linear regression under MNF (docs/METHODS.md §8), as LinearRegression under mean-field.</summary>
[BayesianNetwork(Likelihood.Gaussian, NoiseStd = 0.5)]
[Prior(Normal, 0, 1)]
[Posterior(MNF, flows: 2, CouplingWidth = 16, AuxiliaryWidth = 16, InitialLogVariance = -6)]
public partial class MnfLinearRegression
{
    [Dense(3, 1)] public partial torch.Tensor Linear(torch.Tensor input);
}

/// <summary>A small Fashion-MNIST MNF classifier for end-to-end runs on the embedded data.</summary>
[BayesianNetwork(Likelihood.Categorical)]
[Prior(Normal, 0, 1)]
[Posterior(MNF, flows: 2)]
public partial class SmallFashionMnf
{
    [Dense(784, 200, ReLU)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(200, 10)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>Conjugate linear regression as a point estimate, the start of a Laplace approximation (docs/METHODS.md §8).</summary>
[BayesianNetwork(Likelihood.Gaussian, NoiseStd = 0.5)]
[Prior(Normal, 0, 1)]
[Posterior(MAP)]
public partial class MapLinearRegression
{
    [Dense(3, 1)] public partial torch.Tensor Linear(torch.Tensor input);
}

/// <summary>A small Fashion-MNIST classifier under last-layer Laplace (Kron, GGN, probit) for end-to-end runs.</summary>
[BayesianNetwork(Likelihood.Categorical)]
[Prior(Normal, 0, 1)]
[Posterior(Laplace)]
public partial class SmallFashionLaplace
{
    [Dense(784, 200, ReLU)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(200, 10)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>Linear regression with its noise learned, under last-layer (here: only-layer) Laplace.</summary>
[BayesianNetwork(Likelihood.Gaussian)]
[Prior(Normal, 0, 1)]
[Posterior(Laplace, Hessian = Full)]
public partial class LaplaceLinearRegression
{
    [Dense(3, 1)] public partial torch.Tensor Linear(torch.Tensor input);
}

/// <summary>A tiny classifier under last-layer Laplace with the Kronecker-factored default.</summary>
[BayesianNetwork(Likelihood.Categorical)]
[Prior(Normal, 0, 1)]
[Posterior(Laplace)]
public partial class TinyLaplaceClassifier
{
    [Dense(4, 8, Tanh)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(8, 3)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>A small convolutional net under all-weights Laplace: a convolution's curvature comes from its unfolded inputs.</summary>
[BayesianNetwork(Likelihood.Categorical, Input = new[] { 1, 8, 8 })]
[Prior(Normal, 0, 1)]
[Posterior(Laplace, Subset = All)]
public partial class TinyConvLaplace
{
    [Conv2d(1, 3, 3, ReLU)] private partial torch.Tensor Conv(torch.Tensor input);
    [MaxPool2d(3, Stride = 2)] private partial torch.Tensor Pool(torch.Tensor input);
    [Flatten] private partial torch.Tensor Flat(torch.Tensor input);
    [Dense(12, 3)] private partial torch.Tensor Output(torch.Tensor input);
}

[BayesianNetwork(Likelihood.Categorical)]
[Prior(Normal, 0, 1)]
[Posterior(Laplace, Subset = All, Hessian = Kron, PriorPrecision = PerLayer)]
public partial class SmallFashionLaplaceAllKron
{
    [Dense(784, 200, ReLU)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(200, 10)] private partial torch.Tensor Output(torch.Tensor input);
}

[BayesianNetwork(Likelihood.Categorical)]
[Prior(Normal, 0, 1)]
[Posterior(SGLD, Samples = 4, StepSize = 0.02)]
public partial class TinySgldClassifier
{
    [Dense(4, 8, Tanh)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(8, 3)] private partial torch.Tensor Output(torch.Tensor input);
}

[BayesianNetwork(Likelihood.Categorical)]
[Prior(Normal, 0, 1)]
[Posterior(SGHMC, StepSize = 0.05, Friction = 0.1, Cycles = 4)]
public partial class SmallFashionCyclicalSghmc
{
    [Dense(784, 200, ReLU)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(200, 10)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>As <see cref="TinySgldClassifier"/>, with memory for one of its four samples (268 bytes each): three go to disk.</summary>
[BayesianNetwork(Likelihood.Categorical)]
[Prior(Normal, 0, 1)]
[Posterior(SGLD, Samples = 4, StepSize = 0.02, SampleMemory = 0.0004)]
public partial class TinySpillingSgldClassifier
{
    [Dense(4, 8, Tanh)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(8, 3)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>One dense layer under MC dropout: its predictive is an average over the 16 masks of its 4 inputs.</summary>
[BayesianNetwork(Likelihood.Categorical)]
[Prior(Normal, 0, 1)]
[Posterior(Dropout, Rate = 0.3)]
public partial class TinyDropoutLogistic
{
    [Dense(4, 3)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>As <see cref="TinyMapClassifier"/>, declared as an ensemble of four.</summary>
[BayesianNetwork(Likelihood.Categorical, Ensemble = 4)]
[Prior(Normal, 0, 1)]
[Posterior(MAP)]
public partial class TinyMapEnsemble
{
    [Dense(4, 8, Sigmoid)] private partial torch.Tensor Hidden(torch.Tensor input);
    [Dense(8, 3)] private partial torch.Tensor Output(torch.Tensor input);
}
