using System;
using System.IO;
using System.Linq;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// The last-layer Laplace approximation against exact answers (docs/METHODS.md §5, §8): the conjugate regression's
/// posterior and evidence, the structures against each other, a logistic model's autograd Hessian, the marginal
/// likelihood's slope, and the linearised predictive against sampling the weights.
/// </summary>
public class LaplaceTests(ITestOutputHelper output)
{
    const int N = 200;
    const double NoiseStd = 0.5, PriorStd = 1.0; // as declared on MapLinearRegression

    static T InDouble<T>(Func<T> body)
    {
        set_default_dtype(ScalarType.Float64);
        try { return body(); }
        finally { set_default_dtype(ScalarType.Float32); }
    }

    static PointDense LastLayer(BayesianModule model) => (PointDense)model.Layers[^1];

    static (MapLinearRegression Model, LabelledData Data, Tensor Precision, Tensor MN, double LogEvidence) ConjugateProblem()
    {
        random.manual_seed(3);
        var x = randn(N, 3);
        var y = (x.matmul(tensor(new[] { 1.0, -2.0, 0.5 })) + 0.3 + randn(N) * NoiseStd).reshape(N, 1);
        var design = cat(new[] { x, ones(N, 1) }, 1);
        var precision = eye(4) / (PriorStd * PriorStd) + design.t().matmul(design) / (NoiseStd * NoiseStd);
        var mN = linalg.solve(precision, design.t().matmul(y.squeeze(1))) / (NoiseStd * NoiseStd);
        var marginal = eye(N) * (NoiseStd * NoiseStd) + design.matmul(design.t()) * (PriorStd * PriorStd);
        var targets = y.squeeze(1);
        double logEvidence = -0.5 * (targets.dot(linalg.solve(marginal, targets)).item<double>() + linalg.slogdet(marginal).Item2.item<double>()
            + N * Math.Log(2 * Math.PI));
        var model = new MapLinearRegression();
        using (no_grad())
        {
            // The mode of the conjugate posterior is m_N: set it exactly, as a perfect MAP fit would.
            LastLayer(model).Weight.copy_(mN.narrow(0, 0, 3).view(1, 3));
            LastLayer(model).Bias.copy_(mN.narrow(0, 3, 1));
        }
        return (model, new LabelledData(x, y, "conjugate regression"), precision, mN, logEvidence);
    }

    [Theory]
    [InlineData(LaplaceHessian.Full)]
    [InlineData(LaplaceHessian.Kron)]
    public void OnConjugateRegressionTheExactStructuresGiveThePosteriorAndTheEvidence(LaplaceHessian hessian) => InDouble(() =>
    {
        var (model, data, precision, _, logEvidence) = ConjugateProblem();
        using (model)
        using (data)
        {
            using var laplace = LaplaceApproximation.OfLastLayer(LastLayer(model), 0, hessian);
            laplace.Fit(model, data, new FitOptions());
            double atDeclaredPrior = laplace.LogMarginalLikelihood(1 / (PriorStd * PriorStd));
            output.WriteLine($"{hessian}: log evidence {logEvidence:F10}, Laplace at τ = 1 {atDeclaredPrior:F10}, tuned τ {laplace.PriorPrecision:F4}");
            // Exact up to the network's float32 noise constant: log s in float32 is off by ≤ 6e-8, times N = 200 examples.
            Assert.True(Math.Abs(logEvidence - atDeclaredPrior) < 200 * 6e-8, $"log evidence {logEvidence}, Laplace {atDeclaredPrior}");
            // The covariance at τ = 1 is S_N: the fit tuned τ, so compare H + τ I for the declared τ.
            var exactLikelihoodPrecision = precision - eye(4);
            Assert.True(laplace.LikelihoodCurvature().allclose(exactLikelihoodPrecision, rtol: 1e-10, atol: 1e-9), "H is not X̃ᵀX̃/σ²");
            // The tuned τ maximises the evidence over τ: the slope vanishes there and the evidence is no lower.
            Assert.True(Math.Abs(laplace.LogMarginalLikelihoodSlope(laplace.PriorPrecision)) < 1e-8);
            Assert.True(laplace.LogMarginalLikelihood() >= atDeclaredPrior);
            var covariance = laplace.Covariance();
            var expected = linalg.inv(exactLikelihoodPrecision + eye(4) * laplace.PriorPrecision);
            Assert.True(covariance.allclose(expected, rtol: 1e-9, atol: 1e-12), "covariance is not (H + τ I)⁻¹");
        }
        return 0;
    });

    /// <summary>
    /// With the noise learned, the fit maximises the marginal likelihood over s and τ. For Bayesian linear regression at
    /// the posterior mode of the best (s, τ), the envelope theorem makes that the exact type-II maximum likelihood, which
    /// MacKay's fixed point finds: γ = Σ λ_i/(λ_i + α), α = γ/‖m_N‖², 1/s² = (N − γ)/‖y − X̃ m_N‖².
    /// </summary>
    [Fact]
    public void WithTheNoiseLearnedTheFitFindsTheEvidenceMaximum() => InDouble(() =>
    {
        random.manual_seed(10);
        var x = randn(N, 3);
        var y = (x.matmul(tensor(new[] { 1.0, -2.0, 0.5 })) + 0.3 + randn(N) * 0.3).reshape(N, 1);
        var design = cat(new[] { x, ones(N, 1) }, 1);
        var gram = design.t().matmul(design);
        var eigenvalues = linalg.eigvalsh(gram);
        double alpha = 1, beta = 1;
        Tensor mN = zeros(4);
        for (int i = 0; i < 1000; i++)
        {
            var precision = gram * beta + eye(4) * alpha;
            mN = linalg.solve(precision, design.t().matmul(y.squeeze(1))) * beta;
            double gamma = (eigenvalues * beta / (eigenvalues * beta + alpha)).sum().item<double>();
            alpha = gamma / mN.square().sum().item<double>();
            beta = (N - gamma) / (y.squeeze(1) - design.matmul(mN)).square().sum().item<double>();
        }
        using var model = new LaplaceLinearRegression();
        using (no_grad())
        {
            LastLayer(model).Weight.copy_(mN.narrow(0, 0, 3).view(1, 3));
            LastLayer(model).Bias.copy_(mN.narrow(0, 3, 1));
        }
        using var data = new LabelledData(x, y, "regression with unknown noise");
        var laplace = (LaplaceApproximation)model.AfterTraining!;
        laplace.Fit(model, data, new FitOptions());
        output.WriteLine($"exact: s {1 / Math.Sqrt(beta):F8}, τ {alpha:F8}; Laplace: s {laplace.NoiseStd:F8}, τ {laplace.PriorPrecision:F8}");
        Assert.Equal(1 / Math.Sqrt(beta), laplace.NoiseStd!.Value, 7);
        Assert.Equal(alpha, laplace.PriorPrecision, 6);
        return 0;
    });

    [Fact]
    public void KronOfOneExampleAndTheDiagonalAgreeWithFull() => InDouble(() =>
    {
        random.manual_seed(4);
        using var model = new TinyMapClassifier();
        var x = randn(7, 4);
        var y = tensor(new long[] { 0, 1, 2, 1, 0, 2, 2 });
        using var all = new LabelledData(x, y, "seven");
        using var one = new LabelledData(x.narrow(0, 0, 1), y.narrow(0, 0, 1), "one");
        LaplaceApproximation Fit(LaplaceHessian hessian, LabelledData data)
        {
            var laplace = LaplaceApproximation.OfLastLayer(LastLayer(model), 1, hessian);
            laplace.Fit(model, data, new FitOptions());
            return laplace;
        }
        using var full = Fit(LaplaceHessian.Full, all);
        using var diagonal = Fit(LaplaceHessian.Diagonal, all);
        Assert.True(diagonal.LikelihoodCurvature().diagonal().allclose(full.LikelihoodCurvature().diagonal(), rtol: 1e-12, atol: 1e-14));
        using var fullOne = Fit(LaplaceHessian.Full, one);
        using var kronOne = Fit(LaplaceHessian.Kron, one);
        Assert.True(kronOne.LikelihoodCurvature().allclose(fullOne.LikelihoodCurvature(), rtol: 1e-12, atol: 1e-14), "KFAC of one example is not the GGN block");
        return 0;
    });

    /// <summary>
    /// A softmax model is linear in its last layer, so the GGN over that layer is the Hessian of the negative log
    /// likelihood exactly: the Full posterior covariance is the inverse of autograd's Hessian plus τ I.
    /// </summary>
    [Fact]
    public void FullCovarianceIsTheInverseOfAutogradsHessian() => InDouble(() =>
    {
        random.manual_seed(5);
        using var model = new TinyMapClassifier();
        var x = randn(40, 4);
        var y = randint(0, 3, new long[] { 40 });
        using var data = new LabelledData(x, y, "logistic");
        Trainer.Fit(model, data, new FitOptions { Epochs = 200, BatchSize = 40, LearningRate = 0.05, Seed = 5 });
        using var laplace = LaplaceApproximation.OfLastLayer(LastLayer(model), 1, LaplaceHessian.Full);
        laplace.Fit(model, data, new FitOptions());

        var layer = LastLayer(model);
        Tensor features;
        using (no_grad())
        {
            model.Mode = SampleMode.Mean;
            var trace = new LayerTrace();
            model.Trace = trace;
            model.forward(x);
            features = cat(new[] { trace.Input(1), ones(40, 1) }, 1).detach();
            model.Trace = null;
        }
        var theta = cat(new[] { layer.Weight.detach(), layer.Bias.detach().unsqueeze(1) }, 1).flatten().requires_grad_(true);
        var logits = features.matmul(theta.view(3, 9).t());
        var nll = -nn.functional.log_softmax(logits, 1).gather(1, y.view(-1, 1)).sum();
        var gradient = autograd.grad(new[] { nll }, new[] { theta }, retain_graph: true, create_graph: true)[0];
        var hessian = stack(Enumerable.Range(0, 27).Select(i => autograd.grad(new[] { gradient[i] }, new[] { theta }, retain_graph: true)[0]).ToArray());
        var expected = linalg.inv(hessian + eye(27) * laplace.PriorPrecision);
        var difference = (laplace.Covariance() - expected).abs().max().item<double>();
        output.WriteLine($"largest difference {difference:E2}; τ {laplace.PriorPrecision:F4}");
        Assert.True(difference < 1e-9, $"covariance differs by {difference}");
        return 0;
    });

    [Fact]
    public void MarginalLikelihoodSlopeMatchesFiniteDifferences() => InDouble(() =>
    {
        random.manual_seed(6);
        using var model = new TinyMapClassifier();
        using var data = new LabelledData(randn(30, 4), randint(0, 3, new long[] { 30 }), "random");
        using var laplace = LaplaceApproximation.OfLastLayer(LastLayer(model), 1, LaplaceHessian.Kron);
        laplace.Fit(model, data, new FitOptions());
        foreach (double tau in new[] { 0.1, 1.0, 10.0 })
        {
            const double h = 1e-5;
            double numeric = (laplace.LogMarginalLikelihood(tau * Math.Exp(h)) - laplace.LogMarginalLikelihood(tau * Math.Exp(-h))) / (2 * h);
            Assert.Equal(numeric, laplace.LogMarginalLikelihoodSlope(tau), 6);
        }
        return 0;
    });

    /// <summary>
    /// For the last layer the linearised model is the model, so Monte Carlo over the outputs' Gaussian must agree with
    /// sampling the weights from N(θ_MAP, Σ) and running the layer, within Monte Carlo error; the probit approximation
    /// is an approximation, checked within 0.05 of either.
    /// </summary>
    [Theory]
    [InlineData(LaplaceHessian.Full)]
    [InlineData(LaplaceHessian.Kron)]
    [InlineData(LaplaceHessian.Diagonal)]
    public void LinearisedPredictiveEqualsSamplingTheLastLayer(LaplaceHessian hessian) => InDouble(() =>
    {
        random.manual_seed(7);
        using var model = new TinyMapClassifier();
        var x = randn(20, 4);
        using var data = new LabelledData(x, randint(0, 3, new long[] { 20 }), "few");
        using var laplace = LaplaceApproximation.OfLastLayer(LastLayer(model), 1, hessian, link: LaplaceLink.MonteCarlo);
        laplace.Fit(model, data, new FitOptions());
        const int Samples = 20000;
        random.manual_seed(8);
        using var monteCarlo = laplace.Predict(model, x.narrow(0, 0, 5), Samples, 100);

        var layer = LastLayer(model);
        Tensor features;
        using (no_grad())
        {
            model.Mode = SampleMode.Mean;
            var trace = new LayerTrace();
            model.Trace = trace;
            model.forward(x.narrow(0, 0, 5));
            features = cat(new[] { trace.Input(1), ones(5, 1) }, 1);
            model.Trace = null;
        }
        var mode = cat(new[] { layer.Weight.detach(), layer.Bias.detach().unsqueeze(1) }, 1).flatten();
        var cholesky = linalg.cholesky(laplace.Covariance());
        var thetas = mode + randn(Samples, 27).matmul(cholesky.t()); // [S, 27]
        var sampled = nn.functional.softmax(einsum("nd,skd->snk", features, thetas.view(Samples, 3, 9)), 2).mean(new long[] { 0 });
        var difference = (monteCarlo.Probabilities - sampled).abs().max().item<double>();
        output.WriteLine($"{hessian}: largest difference {difference:E2}");
        // Two estimates of 20,000 draws each: a probability's standard error is at most 0.5/√20000 = 0.0035 per estimate.
        Assert.True(difference < 4 * Math.Sqrt(2) * 0.0035, $"{hessian}: {difference}");

        using var probit = LaplaceApproximation.OfLastLayer(LastLayer(model), 1, hessian);
        probit.Fit(model, data, new FitOptions());
        using var approximate = probit.Predict(model, x.narrow(0, 0, 5), 1, 100);
        Assert.True((approximate.Probabilities - sampled).abs().max().item<double>() < 0.05);
        return 0;
    });

    [Fact]
    public void AFittedApproximationSavesAndLoadsWithTheCheckpoint() => InDouble(() =>
    {
        string directory = Directory.CreateTempSubdirectory("bnndsl-laplace-").FullName;
        try
        {
            random.manual_seed(9);
            using var model = new TinyMapClassifier();
            using var laplace = LaplaceApproximation.OfLastLayer(LastLayer(model), 1, LaplaceHessian.Kron);
            model.register_module("Laplace", laplace);
            using var data = new LabelledData(randn(30, 4), randint(0, 3, new long[] { 30 }), "random");
            laplace.Fit(model, data, new FitOptions());
            string path = Path.Combine(directory, "model.bin");
            model.Save(path);
            using var restoredModel = new TinyMapClassifier();
            using var restored = LaplaceApproximation.OfLastLayer(LastLayer(restoredModel), 1, LaplaceHessian.Kron);
            restoredModel.register_module("Laplace", restored);
            Assert.False(restored.IsFitted);
            restoredModel.Load(path);
            Assert.True(restored.IsFitted);
            Assert.Equal(laplace.PriorPrecision, restored.PriorPrecision);
            var x = randn(4, 4);
            using var before = laplace.Predict(model, x, 1, 10);
            using var after = restored.Predict(restoredModel, x, 1, 10);
            Assert.True(before.Probabilities.eq(after.Probabilities).all().item<bool>());
        }
        finally { Directory.Delete(directory, recursive: true); }
        return 0;
    });
}
