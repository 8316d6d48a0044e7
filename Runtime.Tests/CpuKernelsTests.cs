using System;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// The fused float32 CPU kernels against the libtorch formulas evaluated in float64 (which <see cref="Kl"/> uses for
/// every dtype but float32) on the same float32-representable inputs: values and the gradients that reach μ and ρ
/// through autograd. The kernels accumulate their sums in double and round each elementwise operation to 2⁻²⁴ ≈ 6e-8
/// relative, so the values agree to a few 1e-7 and the Normal KL's gradients to a few 1e-7 of the largest one: 1e-5
/// leaves a wide margin and still catches any wrong term. The scale mixture's gradient is more sensitive: its
/// exponent z = log(b/a) − w² gap is a difference of terms up to ~90 in size, rounded in float32 to ~5e-6 absolute,
/// and g = 2w (wide + gap · sigmoid(z)) turns that into 2|w| gap · ¼ · 5e-6 ≈ 6e-3 at the weights where the mixture
/// switches components (|w| ≈ 4e-3, gap ≈ 6e5), 2e-5 of the largest gradient here (~300): that comparison gets 1e-4.
/// </summary>
public class CpuKernelsTests
{
    const double Tolerance = 1e-5;
    const double MixtureGradientTolerance = 1e-4;

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.2, 0.1)]
    public void FusedNormalKlEqualsTheFormula(double priorMean, double priorStd)
    {
        // 1003 weights: the vectorised loop and its scalar tail both run.
        var (mu, rho) = Parameters(1003, seed: 21);
        var (value32, muGrad32, rhoGrad32) = Evaluate(ScalarType.Float32, mu, rho, (m, r) => Kl.GaussianVsNormal(m, Reparameterization.Sigma(r), priorMean, priorStd));
        var (value64, muGrad64, rhoGrad64) = Evaluate(ScalarType.Float64, mu, rho, (m, r) => Kl.GaussianVsNormal(m, Reparameterization.Sigma(r), priorMean, priorStd));
        AssertClose(value64, value32, "KL");
        AssertClose(muGrad64, muGrad32, "∂KL/∂μ");
        AssertClose(rhoGrad64, rhoGrad32, "∂KL/∂ρ");
    }

    [Theory]
    [InlineData(true)]  // the draw feeds the likelihood: the prior's gradient reaches μ and ρ through the sample
    [InlineData(false)] // a draw for the KL alone: the kernel applies g and g ε to μ and σ itself
    public void FusedScaleMixtureMonteCarloKlEqualsTheFormula(bool sampleInGraph)
    {
        var (mu, rho) = Parameters(1003, seed: 22);
        random.manual_seed(23);
        var noise = Representable(randn(1003, dtype: ScalarType.Float64));
        var prior = Prior.ScaleMixture(0.25, 1, 0.0009);
        Tensor KlOf(Tensor m, Tensor r)
        {
            var sigma = Reparameterization.Sigma(r);
            var e = noise.to(m.dtype);
            Tensor sample;
            using (sampleInGraph ? null : no_grad()) sample = m + sigma * e;
            return Kl.MonteCarlo(prior, new GaussianDraw(sample, m, sigma, e));
        }
        var (value32, muGrad32, rhoGrad32) = Evaluate(ScalarType.Float32, mu, rho, KlOf);
        var (value64, muGrad64, rhoGrad64) = Evaluate(ScalarType.Float64, mu, rho, KlOf);
        AssertClose(value64, value32, "Monte Carlo KL");
        AssertClose(muGrad64, muGrad32, "∂KL/∂μ", MixtureGradientTolerance);
        AssertClose(rhoGrad64, rhoGrad32, "∂KL/∂ρ", MixtureGradientTolerance);
    }

    [Fact]
    public void DisabledKernelsGiveTheLibTorchOperationsInFloat32()
    {
        var (mu, rho) = Parameters(1003, seed: 24);
        var prior = Prior.ScaleMixture(0.5, 1, 0.01);
        Tensor KlOf(Tensor m, Tensor r)
        {
            random.manual_seed(25);
            return Kl.MonteCarlo(prior, Reparameterization.Draw(m, r)) + Kl.GaussianVsNormal(m, Reparameterization.Sigma(r), 0, 1);
        }
        var fused = Evaluate(ScalarType.Float32, mu, rho, KlOf);
        CpuKernels.Enabled = false;
        try
        {
            var separate = Evaluate(ScalarType.Float32, mu, rho, KlOf);
            AssertClose(separate.Value, fused.Value, "KL");
            AssertClose(separate.MuGradient, fused.MuGradient, "∂KL/∂μ", MixtureGradientTolerance);
            AssertClose(separate.RhoGradient, fused.RhoGradient, "∂KL/∂ρ", MixtureGradientTolerance);
        }
        finally
        {
            CpuKernels.Enabled = true;
        }
    }

    /// <summary>μ over three scales (weights the narrow component holds, ordinary ones, far ones) and ρ over σ from 0.0003 to 0.7.</summary>
    static (Tensor Mu, Tensor Rho) Parameters(int n, int seed)
    {
        random.manual_seed(seed);
        var scale = tensor(new[] { 0.001, 0.05, 0.8 }, dtype: ScalarType.Float64).repeat((n + 2) / 3)[..n];
        return (Representable(randn(n, dtype: ScalarType.Float64) * scale), Representable(rand(n, dtype: ScalarType.Float64) * 8 - 8));
    }

    /// <summary>Rounds to float32 and back, so that both precisions start from the same inputs.</summary>
    static Tensor Representable(Tensor values) => values.to(ScalarType.Float32).to(ScalarType.Float64);

    static (double Value, Tensor MuGradient, Tensor RhoGradient) Evaluate(ScalarType dtype, Tensor mu, Tensor rho, Func<Tensor, Tensor, Tensor> term)
    {
        var m = mu.to(dtype).requires_grad_();
        var r = rho.to(dtype).requires_grad_();
        var value = term(m, r);
        value.backward();
        return (value.to(ScalarType.Float64).item<double>(),
            m.grad!.to(ScalarType.Float64), r.grad!.to(ScalarType.Float64));
    }

    static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(actual - expected) <= Tolerance * Math.Max(1, Math.Abs(expected)), $"{what}: {actual} against {expected}");

    static void AssertClose(Tensor expected, Tensor actual, string what, double tolerance = Tolerance)
    {
        double scale = expected.abs().max().item<double>();
        double error = (actual - expected).abs().max().item<double>();
        Assert.True(error <= tolerance * scale, $"{what}: largest difference {error} against a largest gradient of {scale}");
    }
}
