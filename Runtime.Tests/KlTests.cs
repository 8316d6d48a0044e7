using System;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>KL terms and prior densities against closed forms and Monte Carlo (docs/METHODS.md §2, §3, §8).</summary>
public class KlTests
{
    [Fact]
    public void ClosedFormKlMatchesTheFormulaPerWeight()
    {
        double mu = 0.3, rho = -1.2, m0 = 0.1, s0 = 0.7;
        double sigma = Math.Log(1 + Math.Exp(rho));
        double expected = Math.Log(s0 / sigma) + (sigma * sigma + (mu - m0) * (mu - m0)) / (2 * s0 * s0) - 0.5;
        using var kl = Kl.GaussianVsNormal(tensor(new[] { mu }), Reparameterization.Sigma(tensor(new[] { rho })), m0, s0);
        Assert.Equal(expected, kl.item<double>(), 12);
    }

    [Fact]
    public void ClosedFormKlAgreesWithMonteCarloWithinFourStandardErrors()
    {
        // KL(q‖p) = E_q[log q(w) − log p(w)]: average S independent draws of the summed log ratio. The estimate's
        // standard error is the sample standard deviation over √S; a correct closed form lies within 4 SE
        // except with probability 6e-5.
        random.manual_seed(11);
        var mu = randn(2000, dtype: ScalarType.Float64) * 0.5;
        var rho = randn(2000, dtype: ScalarType.Float64) - 2;
        var prior = Prior.Normal(0.2, 0.8);
        double closed = Kl.GaussianVsNormal(mu, Reparameterization.Sigma(rho), 0.2, 0.8).item<double>();
        const int S = 4000;
        var draws = Enumerable.Range(0, S).Select(_ =>
        {
            using var scope = NewDisposeScope();
            return Kl.MonteCarlo(prior, Reparameterization.Draw(mu, rho)).item<double>();
        }).ToArray();
        double mean = draws.Average();
        double standardError = Math.Sqrt(draws.Select(d => (d - mean) * (d - mean)).Sum() / (S - 1) / S);
        Assert.True(Math.Abs(mean - closed) < 4 * standardError, $"closed form {closed}, Monte Carlo {mean} ± {standardError}");
    }

    [Fact]
    public void MonteCarloKlOfOneDrawIsLogQMinusLogPAtThatDraw()
    {
        random.manual_seed(12);
        var mu = randn(50, dtype: ScalarType.Float64);
        var rho = randn(50, dtype: ScalarType.Float64) - 1;
        var draw = Reparameterization.Draw(mu, rho);
        var prior = Prior.ScaleMixture(0.5, 1, 0.01);
        // log q(w) from its definition, Σ log N(w; μ, σ²), as the reference for the ε-based form.
        var sigma = nn.functional.softplus(rho);
        double logQ = ((draw.Sample - mu) / sigma).square().mul(-0.5).sub(sigma.log()).sum().item<double>() - 0.5 * Math.Log(2 * Math.PI) * 50;
        Assert.Equal(logQ - prior.LogProb(draw.Sample).item<double>(), Kl.MonteCarlo(prior, draw).item<double>(), 9);
    }

    [Fact]
    public void DensitiesOfSeveralTensorsAreTheSumOfTheirDensities()
    {
        var a = tensor(new[] { 0.3, -1.0 });
        var b = tensor(new[] { 0.01, 2.0, -0.2 });
        foreach (Prior prior in new Prior[] { Prior.Normal(0.1, 0.5), Prior.ScaleMixture(0.3, 1, 0.01) })
        {
            double separate = prior.LogProb(a).item<double>() + prior.LogProb(b).item<double>();
            Assert.Equal(separate, prior.LogProb(a, b).item<double>(), 10);
            Assert.Equal(-separate, prior.NegativeLogProb(a, b).item<double>(), 10);
        }
    }

    [Fact]
    public void NormalLogDensityMatchesTheFormula()
    {
        var w = new[] { -1.5, 0.0, 0.25, 2.0 };
        double expected = w.Sum(x => -0.5 * Math.Log(2 * Math.PI * 0.09) - (x - 0.1) * (x - 0.1) / (2 * 0.09));
        Assert.Equal(expected, Prior.Normal(0.1, 0.3).LogProb(tensor(w)).item<double>(), 10);
    }

    [Fact]
    public void ScaleMixtureLogDensityMatchesTheFormulaIncludingFarTails()
    {
        // Values far in the tail of the narrow component check the logsumexp evaluation (a naive sum underflows).
        var w = new[] { -3.0, -0.01, 0.0, 0.002, 0.5, 40.0 };
        double pi = 0.25, s1 = 1.0, s2 = Math.Exp(-6);
        static double LogNormal(double x, double s) => -x * x / (2 * s * s) - 0.5 * Math.Log(2 * Math.PI * s * s);
        static double LogAddExp(double a, double b) => Math.Max(a, b) + Math.Log(1 + Math.Exp(-Math.Abs(a - b)));
        double expected = w.Sum(x => LogAddExp(Math.Log(pi) + LogNormal(x, s1), Math.Log(1 - pi) + LogNormal(x, s2)));
        Assert.Equal(expected, Prior.ScaleMixture(pi, s1, s2).LogProb(tensor(w)).item<double>(), 9);
    }

    /// <summary>The gradients of <paramref name="f"/> with respect to <paramref name="inputs"/> (fresh leaves).</summary>
    static double[][] Gradients(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var leaves = inputs.Select(t => t.detach().clone().requires_grad_(true)).ToArray();
        f(leaves).backward();
        return leaves.Select(l => l.grad!.data<double>().ToArray()).ToArray();
    }

    static void AssertSameGradients(double[][] expected, double[][] actual)
    {
        for (int t = 0; t < expected.Length; t++)
            for (int i = 0; i < expected[t].Length; i++)
                Assert.True(Math.Abs(expected[t][i] - actual[t][i]) <= 1e-9 * (1 + Math.Abs(expected[t][i])),
                    $"input {t}[{i}]: the formula's gradient {expected[t][i]}, the explicit one {actual[t][i]}");
    }

    [Fact]
    public void ExplicitGradientsOfTheComplexityTermsEqualAutogradOfTheirFormulas()
    {
        // The complexity terms compute their values without a graph and attach closed-form gradients; autograd
        // through the plain formulas, in double precision, is the reference.
        random.manual_seed(13);
        var mu = randn(30, dtype: ScalarType.Float64) * 0.3;
        var rho = randn(30, dtype: ScalarType.Float64) - 3;
        var noise = randn(30, dtype: ScalarType.Float64);
        double pi = 0.25, s1 = 1.0, s2 = 0.01;
        Tensor MixtureLogDensity(Tensor w) =>
            logaddexp(Math.Log(pi) - 0.5 * Math.Log(2 * Math.PI * s1 * s1) - w.square() / (2 * s1 * s1),
                Math.Log(1 - pi) - 0.5 * Math.Log(2 * Math.PI * s2 * s2) - w.square() / (2 * s2 * s2)).sum();
        var mixture = Prior.ScaleMixture(pi, s1, s2);

        // Closed-form KL against Normal(0.2, 0.8), through σ = softplus(ρ).
        AssertSameGradients(
            Gradients(p =>
            {
                var sigma = nn.functional.softplus(p[1]);
                return (Math.Log(0.8) - sigma.log() + (sigma.square() + (p[0] - 0.2).square()) / (2 * 0.64) - 0.5).sum();
            }, mu, rho),
            Gradients(p => Kl.GaussianVsNormal(p[0], nn.functional.softplus(p[1]), 0.2, 0.8), mu, rho));

        // Monte Carlo KL at w = μ + σ ε: log N(w; μ, σ²) − log p(w), both for a sample in the graph (it fed the
        // likelihood) and for a detached one (drawn for the KL alone).
        var reference = Gradients(p =>
        {
            var sigma = nn.functional.softplus(p[1]);
            var w = p[0] + sigma * noise;
            var logQ = (((w - p[0]) / sigma).square() * -0.5 - sigma.log() - 0.5 * Math.Log(2 * Math.PI)).sum();
            return logQ - MixtureLogDensity(w);
        }, mu, rho);
        AssertSameGradients(reference, Gradients(p =>
        {
            var sigma = nn.functional.softplus(p[1]);
            return Kl.MonteCarlo(mixture, new GaussianDraw(p[0] + sigma * noise, p[0], sigma, noise));
        }, mu, rho));
        AssertSameGradients(reference, Gradients(p =>
        {
            var sigma = nn.functional.softplus(p[1]);
            Tensor detached;
            using (no_grad()) detached = p[0] + sigma * noise;
            return Kl.MonteCarlo(mixture, new GaussianDraw(detached, p[0], sigma, noise));
        }, mu, rho));

        // Prior penalties: −log p(θ) for the scale mixture and a shifted Normal, over two tensors at once.
        var other = randn(7, dtype: ScalarType.Float64);
        AssertSameGradients(Gradients(p => -(MixtureLogDensity(p[0]) + MixtureLogDensity(p[1])), mu, other),
            Gradients(p => mixture.NegativeLogProb(p[0], p[1]), mu, other));
        AssertSameGradients(Gradients(p => ((p[0] - 0.1).square() / (2 * 0.09)).sum(), mu),
            Gradients(p => Prior.Normal(0.1, 0.3).NegativeLogProb(p[0]), mu));
    }

    [Fact]
    public void WithoutGradientsTheComplexityTermsBuildNoGraph()
    {
        var mu = randn(5).requires_grad_(true);
        var sigma = nn.functional.softplus(randn(5).requires_grad_(true));
        using var noGrad = no_grad();
        Assert.False(Kl.GaussianVsNormal(mu, sigma, 0, 1).requires_grad);
        Assert.False(Prior.ScaleMixture(0.5, 1, 0.1).NegativeLogProb(mu).requires_grad);
        Assert.False(Kl.MonteCarlo(Prior.Normal(0, 1), Reparameterization.DrawWithSigma(mu, sigma)).requires_grad);
    }

    [Fact]
    public void InvalidPriorParametersAreRejectedWithTheirName()
    {
        Assert.Equal("std", Assert.Throws<ArgumentOutOfRangeException>(() => Prior.Normal(0, 0)).ParamName);
        Assert.Equal("pi", Assert.Throws<ArgumentOutOfRangeException>(() => Prior.ScaleMixture(1.5, 1, 0.1)).ParamName);
        Assert.Equal("sigma1", Assert.Throws<ArgumentOutOfRangeException>(() => Prior.ScaleMixture(0.5, 0.1, 1)).ParamName);
    }

    [Fact]
    public void LocalReparameterisationHasTheMomentsOfTheSampledWeights()
    {
        // For a fixed input x the pre-activation under W ~ q has mean x μᵀ + μ_b and variance x² σ²ᵀ + σ_b²; the
        // local draw must have the same moments. 20,000 draws: 4 SE on the mean is 4σ/√20000 ≈ 0.03σ.
        random.manual_seed(5);
        var x = tensor(new[] { 0.5, -1.0, 2.0 }, dtype: ScalarType.Float64).reshape(1, 3).expand(20000, 3);
        var wMu = tensor(new[] { 0.2, 0.1, -0.3 }, dtype: ScalarType.Float64).reshape(1, 3);
        var wRho = tensor(new[] { -1.0, 0.0, -2.0 }, dtype: ScalarType.Float64).reshape(1, 3);
        var bMu = tensor(new[] { 0.05 }, dtype: ScalarType.Float64);
        var bRho = tensor(new[] { -3.0 }, dtype: ScalarType.Float64);
        var draws = Reparameterization.LocalLinear(x, wMu, wRho, bMu, bRho).Output;
        double expectedMean = 0.5 * 0.2 - 1.0 * 0.1 + 2.0 * -0.3 + 0.05;
        double Softplus(double r) => Math.Log(1 + Math.Exp(r));
        double expectedVariance = 0.25 * Math.Pow(Softplus(-1), 2) + 1.0 * Math.Pow(Softplus(0), 2) + 4.0 * Math.Pow(Softplus(-2), 2) + Math.Pow(Softplus(-3), 2);
        double mean = draws.mean().item<double>(), variance = draws.var().item<double>();
        double sd = Math.Sqrt(expectedVariance);
        Assert.True(Math.Abs(mean - expectedMean) < 4 * sd / Math.Sqrt(20000), $"mean {mean} vs {expectedMean}");
        // The sample variance of Gaussian draws has standard error σ²·√(2/(n−1)).
        Assert.True(Math.Abs(variance - expectedVariance) < 4 * expectedVariance * Math.Sqrt(2.0 / 19999), $"variance {variance} vs {expectedVariance}");
    }
}
