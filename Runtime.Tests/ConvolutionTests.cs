using System;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// Convolutions under each family against what they must equal: the moments of a locally reparameterised convolution
/// against its per-weight definition, the KL against its closed form, gradients against finite differences, the direct
/// complexity gradient against autograd, and a forward pass of the user's own.
/// </summary>
public class ConvolutionTests
{
    [Fact]
    public void LocalReparameterisationHasTheMomentsOfPerWeightSampling()
    {
        // Given the input, each output of a convolution with independent Gaussian weights is Gaussian with mean x ⋆ μ + μ_b
        // and variance x² ⋆ σ² + σ_b². Both routes are sampled S times; each empirical moment must lie within five
        // standard errors of the formula (mean: sqrt(v/S); variance: v sqrt(2/S) for a Gaussian).
        random.manual_seed(3);
        using var layer = new MeanFieldConv2d(2, 3, 3, Prior.Normal(0, 1), initialRho: -1, stride: 2, padding: 1);
        var x = randn(1, 2, 6, 6);
        const int S = 4000;
        using var noGrad = no_grad();
        var mean = nn.functional.conv2d(x, layer.WeightMu, layer.BiasMu, new long[] { 2, 2 }, new long[] { 1, 1 });
        var sigmaW = nn.functional.softplus(layer.WeightRho);
        var sigmaB = nn.functional.softplus(layer.BiasRho);
        var variance = nn.functional.conv2d(x.square(), sigmaW.square(), sigmaB.square(), new long[] { 2, 2 }, new long[] { 1, 1 });
        foreach (var route in new Func<Tensor, Tensor>[] { layer.LocalReparameterizedConvolve, layer.SampledConvolve })
        {
            var draws = stack(Enumerable.Range(0, S).Select(_ => route(x)).ToArray());
            var meanError = (draws.mean(new long[] { 0 }) - mean).abs() / (variance / S).sqrt();
            var varianceError = (draws.var(0) - variance).abs() / (variance * Math.Sqrt(2.0 / S));
            Assert.True(meanError.max().item<float>() < 5, $"mean off by {meanError.max().item<float>()} standard errors");
            Assert.True(varianceError.max().item<float>() < 5, $"variance off by {varianceError.max().item<float>()} standard errors");
        }
    }

    [Fact]
    public void TheClosedFormKlOfAConvolutionSumsEveryWeightAndBias()
    {
        // KL(N(μ, σ²) ‖ N(m, s²)) = log(s/σ) + (σ² + (μ − m)²) / (2 s²) − ½ per element, in double precision.
        random.manual_seed(4);
        using var layer = new MeanFieldConv2d(3, 4, 3, Prior.Normal(0.1, 0.7), initialRho: -2);
        double expected = 0;
        foreach (var (mu, rho) in new[] { (layer.WeightMu, layer.WeightRho), (layer.BiasMu, layer.BiasRho) })
        {
            var m = mu.detach().to(ScalarType.Float64).flatten().data<double>().ToArray();
            var r = rho.detach().to(ScalarType.Float64).flatten().data<double>().ToArray();
            for (int i = 0; i < m.Length; i++)
            {
                double sigma = Math.Log(1 + Math.Exp(r[i]));
                expected += Math.Log(0.7 / sigma) + (sigma * sigma + (m[i] - 0.1) * (m[i] - 0.1)) / (2 * 0.49) - 0.5;
            }
        }
        using var noGrad = no_grad();
        double kl = layer.Complexity().item<float>();
        Assert.Equal(expected, kl, Math.Max(1e-4, 1e-6 * Math.Abs(expected)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheTrainersDirectComplexityGradientEqualsAutogradOfTheLoss(bool fusedKernels)
    {
        using var kernels = new KernelSwitch(fusedKernels);
        const int N = 40;
        foreach (Func<BayesianModule> create in new Func<BayesianModule>[] { () => new TinyConvClassifier(), () => new TinySampledConvClassifier(), () => new TinyConvMap() })
        {
            random.manual_seed(5);
            using var model = create();
            var x = randn(8, 64);
            var y = randint(0, 3, new long[] { 8 });
            random.manual_seed(11);
            foreach (var p in model.parameters()) p.grad = null;
            model.Loss(x, y, N).Loss.backward();
            var viaAutograd = model.parameters().Select(p => p.grad!.clone()).ToArray();
            foreach (var p in model.parameters()) p.grad = null;
            random.manual_seed(11);
            model.NegativeLogLikelihood(x, y).backward();
            foreach (var layer in model.Layers)
            {
                Assert.True(layer.AddComplexityGradient(1.0 / N));
                // Weight decay is the step rule's part of the complexity gradient: add it here as Adam would.
                foreach (var (parameter, precision) in layer.WeightDecay)
                    using (no_grad()) parameter.grad!.add_(parameter.detach() * (precision / N));
            }
            foreach (var (direct, autograd) in model.parameters().Select(p => p.grad!).Zip(viaAutograd))
            {
                double bound = 1e-5 * autograd.abs().max().item<float>() + 1e-7;
                Assert.True((direct - autograd).abs().max().item<float>() <= bound, $"{model.GetType().Name}: direct and autograd gradients differ");
            }
        }
    }

    [Fact]
    public void GradientsOfConvolutionalNetworksMatchFiniteDifferences()
    {
        foreach (Func<BayesianModule> create in new Func<BayesianModule>[] { () => new TinyConvClassifier(), () => new TinySampledConvClassifier(), () => new TinyConvMap() })
            GradientTests.CheckGradients(create, inputs: 64);
    }

    [Fact]
    public void FlatAndImageShapedInputsGiveTheSameOutputAndOthersAreRefusedWithTheShape()
    {
        random.manual_seed(6);
        using var model = new TinyConvClassifier();
        model.Mode = SampleMode.Mean;
        var images = randn(5, 1, 8, 8);
        using var noGrad = no_grad();
        Assert.True(model.forward(images).allclose(model.forward(images.view(5, 64))));
        using var predictive = model.Predict(images.view(5, 64), samples: 2);
        Assert.Equal(new long[] { 5, 3 }, predictive.Probabilities.shape);
        var error = Assert.Throws<ArgumentException>(() => model.Predict(randn(5, 63)));
        Assert.Contains("[batch, 1, 8, 8] or [batch, 64]", error.Message);
    }

    [Fact]
    public void AForwardPassOfTheUsersOwnIsDifferentiatedAndPredicts()
    {
        // The residual connection the user wrote: its loss gradients against finite differences, then a predictive.
        GradientTests.CheckGradients(() => new TinyResidual(), inputs: 64);
        random.manual_seed(7);
        using var model = new TinyResidual();
        using var predictive = model.Predict(randn(10, 64), samples: 4);
        Assert.Equal(4, predictive.Samples);
        Assert.True(predictive.Probabilities.sum(1).allclose(ones(10), rtol: 1e-5, atol: 1e-5));
    }
}
