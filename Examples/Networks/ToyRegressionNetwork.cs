using BnnDsl;
using TorchSharp;

namespace BnnDsl.Examples.Networks;

/// <summary>
/// Regression on Blundell et al.'s curve: a mean-field MLP with a learned noise level. Per-weight sampling draws
/// whole functions, so the band on a grid is smooth (local reparameterisation would draw each point independently).
/// </summary>
[BayesianNetwork(Likelihood.Gaussian)]
[Prior(Normal, 0, 1)]
[Posterior(MeanField, InitialRho = -5)]
public partial class ToyRegressionNetwork
{
    [Dense(1, 100, ReLU)] private partial torch.Tensor Hidden1(torch.Tensor input);
    [Dense(100, 100, ReLU)] private partial torch.Tensor Hidden2(torch.Tensor input);
    [Dense(100, 1)] private partial torch.Tensor Output(torch.Tensor input);
}

/// <summary>
/// The same curve under last-layer Laplace: trained as MAP with the noise learned, then the output layer's full
/// curvature (101 weights) and the linearised predictive, whose band is f ± sqrt(J Σ Jᵀ + s²).
/// </summary>
[BayesianNetwork(Likelihood.Gaussian)]
[Prior(Normal, 0, 1)]
[Posterior(Laplace, Hessian = Full)]
public partial class ToyRegressionLaplace
{
    [Dense(1, 100, ReLU)] private partial torch.Tensor Hidden1(torch.Tensor input);
    [Dense(100, 100, ReLU)] private partial torch.Tensor Hidden2(torch.Tensor input);
    [Dense(100, 1)] private partial torch.Tensor Output(torch.Tensor input);
}
