using System;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// The log-uniform prior's KL (Molchanov et al. 2017) against the exact KL by numerical integration: with
/// q = N(μ, α μ²), KL(q ‖ p) = −½ log α + E_ε log |1 + √α ε| + C, and C = −(γ + ln 2)/2 makes it vanish as α → ∞, as the
/// approximation does. Their fit's stated error is below 0.01 nats per weight.
/// </summary>
public class LogUniformTests(ITestOutputHelper output)
{
    /// <summary>E log|1 + √α ε| for ε ~ N(0, 1), by the midpoint rule on [−12, 12] (the logarithmic singularity is integrable).</summary>
    static double ExpectedLogAbs(double alpha)
    {
        const int Points = 4_000_000;
        double width = 24.0 / Points, sum = 0, root = Math.Sqrt(alpha);
        for (int i = 0; i < Points; i++)
        {
            double e = -12 + (i + 0.5) * width;
            sum += Math.Log(Math.Abs(1 + root * e)) * Math.Exp(-0.5 * e * e);
        }
        return sum * width / Math.Sqrt(2 * Math.PI);
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.1)]
    [InlineData(1.0)]
    [InlineData(10.0)]
    [InlineData(100.0)]
    public void TheApproximationIsWithinItsStatedErrorOfTheIntegral(double alpha)
    {
        const double EulerGamma = 0.5772156649015329;
        double exact = -0.5 * Math.Log(alpha) + ExpectedLogAbs(alpha) + (EulerGamma + Math.Log(2)) / 2;
        set_default_dtype(ScalarType.Float64);
        try
        {
            var mu = tensor(new[] { 0.7 });
            var sigma = tensor(new[] { 0.7 * Math.Sqrt(alpha) });
            double approximate = Kl.GaussianVsLogUniform(mu, sigma).item<double>();
            output.WriteLine($"α = {alpha}: exact {exact:F5}, approximation {approximate:F5}");
            Assert.True(Math.Abs(approximate - exact) < 0.01, $"{approximate} against {exact}");
        }
        finally { set_default_dtype(ScalarType.Float32); }
    }

    /// <summary>The published constants, and the closed-form gradients in μ and σ against autograd of the same formula.</summary>
    [Fact]
    public void TheConstantsAreMolchanovsAndTheGradientsAutograds()
    {
        Assert.Equal((0.63576, 1.87320, 1.48695), (Kl.K1, Kl.K2, Kl.K3));
        set_default_dtype(ScalarType.Float64);
        try
        {
            random.manual_seed(60);
            var mu = (randn(50) * 0.3).requires_grad_(true);
            var sigma = (rand(50) * 0.5 + 0.01).requires_grad_(true);
            Kl.GaussianVsLogUniform(mu, sigma).backward();
            var (closedMu, closedSigma) = (mu.grad!.clone(), sigma.grad!.clone());
            var mu2 = mu.detach().clone().requires_grad_(true);
            var sigma2 = sigma.detach().clone().requires_grad_(true);
            var logAlpha = 2 * (sigma2.log() - mu2.abs().log());
            (Kl.K1 - Kl.K1 * (Kl.K2 + Kl.K3 * logAlpha).sigmoid() + 0.5 * nn.functional.softplus(-logAlpha)).sum().backward();
            Assert.True(closedMu.allclose(mu2.grad!, rtol: 1e-10, atol: 1e-12), "∂/∂μ");
            Assert.True(closedSigma.allclose(sigma2.grad!, rtol: 1e-10, atol: 1e-12), "∂/∂σ");
        }
        finally { set_default_dtype(ScalarType.Float32); }
    }
}
