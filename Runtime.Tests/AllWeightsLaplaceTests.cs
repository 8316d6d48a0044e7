using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// Laplace over all weights against exact answers built by brute force (docs/METHODS.md §5, §8): the per-example
/// Jacobians of every output with respect to every weight, one autograd call each, give the exact GGN Σ_n Jᵀ Λ J, the
/// empirical Fisher's diagonal Σ_n g_n², and the linearised covariance J Σ Jᵀ — on a dense net and on a convolutional one.
/// </summary>
public class AllWeightsLaplaceTests(ITestOutputHelper output)
{
    static T InDouble<T>(Func<T> body)
    {
        set_default_dtype(ScalarType.Float64);
        try { return body(); }
        finally { set_default_dtype(ScalarType.Float32); }
    }

    static PointLayer[] PointLayers(BayesianModule model) => model.Layers.Cast<PointLayer>().ToArray();

    /// <summary>The trace index of each point layer: the dense net's are 0 and 1; TinyConvLaplace's conv is 0 and its output 3.</summary>
    static int[] Indices(BayesianModule model) => model is TinyConvLaplace ? new[] { 0, 3 } : new[] { 0, 1 };

    static LaplaceApproximation AllWeights(BayesianModule model, LaplaceHessian hessian, LaplaceCurvature curvature = LaplaceCurvature.Ggn,
        LaplaceLink link = LaplaceLink.Probit, LaplacePriorPrecision priorPrecision = LaplacePriorPrecision.Scalar) =>
        new(LaplaceSubset.All, PointLayers(model), Indices(model), hessian, curvature, link, priorPrecision);

    static BayesianModule Network(string kind) => kind == "dense" ? new TinyMapClassifier() : new TinyConvLaplace();

    static Tensor Inputs(string kind, int n) => kind == "dense" ? randn(n, 4) : randn(n, 1, 8, 8);

    /// <summary>∂ of <paramref name="scalar"/> with respect to every covered weight, in the approximation's order: per layer [W | b] row by row.</summary>
    static Tensor FlatGradient(BayesianModule model, Tensor scalar)
    {
        var layers = PointLayers(model);
        var parameters = layers.SelectMany(l => new Tensor[] { l.Weight, l.Bias }).ToArray();
        var gradients = autograd.grad(new[] { scalar }, parameters, retain_graph: true);
        return cat(layers.Select((l, i) => cat(new[] { gradients[2 * i].reshape(l.Weight.shape[0], -1), gradients[2 * i + 1].unsqueeze(1) }, 1).flatten()).ToArray());
    }

    /// <summary>J [n, K, P]: each example's Jacobian of its outputs, one autograd call per output and example.</summary>
    static (Tensor Jacobian, Tensor Logits) Jacobians(BayesianModule model, Tensor x)
    {
        model.Mode = SampleMode.Mean;
        var logits = model.forward(x);
        var rows = new List<Tensor>();
        for (long n = 0; n < x.shape[0]; n++)
            rows.Add(stack(Enumerable.Range(0, (int)logits.shape[1]).Select(k => FlatGradient(model, logits[n, k])).ToArray()));
        return (stack(rows.ToArray()), logits.detach());
    }

    [Theory]
    [InlineData("dense", LaplaceHessian.Kron)]
    [InlineData("dense", LaplaceHessian.Diagonal)]
    [InlineData("dense", LaplaceHessian.Full)]
    [InlineData("conv", LaplaceHessian.Kron)]
    public void CurvatureSumsOfShardsAddUpToTheWholeFit(string kind, LaplaceHessian hessian) => InDouble(() =>
    {
        // The unit of a Laplace shard job: each slice's sums accumulated by its own approximation, added, and the fit
        // finished once — the same curvature, prior precision and evidence as one pass over all the data.
        random.manual_seed(12);
        using var model = Network(kind);
        var x = Inputs(kind, 30);
        using var data = new LabelledData(x, randint(0, 3, new long[] { 30 }), "thirty");
        using var whole = AllWeights(model, hessian);
        whole.Fit(model, data, new FitOptions());
        using var combined = AllWeights(model, hessian);
        foreach (var (start, count) in new[] { (0, 7), (7, 13), (20, 10) })
        {
            using var shard = AllWeights(model, hessian);
            using var slice = new LabelledData(x.narrow(0, start, count), data.Targets.narrow(0, start, count), "slice");
            shard.AccumulateCurvature(model, slice);
            combined.AddCurvature(shard);
        }
        Assert.Equal(30, combined.CurvatureExamples);
        combined.CompleteFit(model);
        Assert.True(combined.LikelihoodCurvature().allclose(whole.LikelihoodCurvature(), rtol: 1e-12, atol: 1e-12), "the shards' curvature differs");
        Assert.Equal(whole.PriorPrecision, combined.PriorPrecision, 1e-9 * whole.PriorPrecision);
        Assert.Equal(whole.LogMarginalLikelihood(), combined.LogMarginalLikelihood(), 1e-9);
        using var other = AllWeights(model, hessian == LaplaceHessian.Kron ? LaplaceHessian.Diagonal : LaplaceHessian.Kron);
        Assert.Throws<ArgumentException>(() => combined.AddCurvature(other));
        return 0;
    });

    [Theory]
    [InlineData("dense")]
    [InlineData("conv")]
    public void FullIsTheExactGgnAndDiagonalItsDiagonal(string kind) => InDouble(() =>
    {
        random.manual_seed(11);
        using var model = Network(kind);
        var x = Inputs(kind, 12);
        using var data = new LabelledData(x, randint(0, 3, new long[] { 12 }), "twelve");
        var (jacobian, logits) = Jacobians(model, x);
        var p = nn.functional.softmax(logits, 1);
        var lambda = diag_embed(p) - p.unsqueeze(2) * p.unsqueeze(1);
        var expected = einsum("nkp,nkl,nlq->pq", jacobian, lambda, jacobian);

        using var full = AllWeights(model, LaplaceHessian.Full);
        full.Fit(model, data, new FitOptions());
        var difference = (full.LikelihoodCurvature() - expected).abs().max().item<double>();
        output.WriteLine($"{kind}: {jacobian.shape[2]} weights; Full against Σ Jᵀ Λ J: {difference:E2}");
        Assert.True(difference < 1e-10, $"Full differs by {difference}");

        using var diagonal = AllWeights(model, LaplaceHessian.Diagonal);
        diagonal.Fit(model, data, new FitOptions());
        Assert.True(diagonal.LikelihoodCurvature().diagonal().allclose(expected.diagonal(), rtol: 1e-10, atol: 1e-12), "Diagonal is not the GGN's diagonal");
        return 0;
    });

    /// <summary>The empirical Fisher's diagonal is Σ_n g_n², g_n each example's gradient of its own negative log likelihood (METHODS §5's slip).</summary>
    [Theory]
    [InlineData("dense")]
    [InlineData("conv")]
    public void EmpiricalFisherDiagonalIsTheSumOfSquaredPerExampleGradients(string kind) => InDouble(() =>
    {
        random.manual_seed(12);
        using var model = Network(kind);
        var x = Inputs(kind, 10);
        var y = randint(0, 3, new long[] { 10 });
        using var data = new LabelledData(x, y, "ten");
        model.Mode = SampleMode.Mean;
        var squares = zeros(1);
        for (long n = 0; n < 10; n++)
        {
            var nll = -nn.functional.log_softmax(model.forward(x.narrow(0, n, 1)), 1)[0, y[n].item<long>()];
            squares = squares + FlatGradient(model, nll).square();
        }
        using var laplace = AllWeights(model, LaplaceHessian.Diagonal, LaplaceCurvature.EmpiricalFisher);
        laplace.Fit(model, data, new FitOptions());
        Assert.True(laplace.LikelihoodCurvature().diagonal().allclose(squares, rtol: 1e-10, atol: 1e-12));
        return 0;
    });

    /// <summary>For one example, a dense layer's KFAC block (ã ãᵀ) ⊗ (Σ_c g_c g_cᵀ) is that layer's exact GGN block.</summary>
    [Fact]
    public void KronOfOneExampleIsEachDenseLayersGgnBlock() => InDouble(() =>
    {
        random.manual_seed(13);
        using var model = new TinyMapClassifier();
        using var one = new LabelledData(randn(1, 4), tensor(new long[] { 2 }), "one");
        using var full = AllWeights(model, LaplaceHessian.Full);
        full.Fit(model, one, new FitOptions());
        using var kron = AllWeights(model, LaplaceHessian.Kron);
        kron.Fit(model, one, new FitOptions());
        var exact = full.LikelihoodCurvature();
        var factored = kron.LikelihoodCurvature();
        foreach (var (start, size) in new[] { (0L, 8L * 5), (40L, 3L * 9) })
        {
            var block = exact.narrow(0, start, size).narrow(1, start, size);
            Assert.True(factored.narrow(0, start, size).narrow(1, start, size).allclose(block, rtol: 1e-10, atol: 1e-12), $"block at {start}");
        }
        return 0;
    });

    /// <summary>
    /// The linearised predictive's covariance V_n = J_n Σ J_nᵀ, which every structure computes per layer from the traced
    /// inputs and the output Jacobians in the pre-activations, against the brute-force Jacobian of all weights.
    /// </summary>
    [Theory]
    [InlineData("dense", LaplaceHessian.Full)]
    [InlineData("dense", LaplaceHessian.Kron)]
    [InlineData("dense", LaplaceHessian.Diagonal)]
    [InlineData("conv", LaplaceHessian.Full)]
    [InlineData("conv", LaplaceHessian.Kron)]
    [InlineData("conv", LaplaceHessian.Diagonal)]
    public void OutputCovarianceIsJacobianSigmaJacobianTransposed(string kind, LaplaceHessian hessian) => InDouble(() =>
    {
        random.manual_seed(14);
        using var model = Network(kind);
        using var data = new LabelledData(Inputs(kind, 30), randint(0, 3, new long[] { 30 }), "thirty");
        using var laplace = AllWeights(model, hessian, priorPrecision: hessian == LaplaceHessian.Full ? LaplacePriorPrecision.Scalar : LaplacePriorPrecision.PerLayer);
        laplace.Fit(model, data, new FitOptions());
        var x = Inputs(kind, 5);
        var (jacobian, _) = Jacobians(model, x);
        var expected = jacobian.matmul(laplace.Covariance()).matmul(jacobian.transpose(1, 2));
        var actual = laplace.OutputCovariance(model, x);
        double scale = expected.abs().max().item<double>(), difference = (actual - expected).abs().max().item<double>();
        output.WriteLine($"{kind} {hessian}: V up to {scale:E2}, differs by {difference:E2}; τ {string.Join(", ", laplace.PriorPrecisions.Select(t => t.ToString("F3")))}");
        Assert.True(difference < 1e-10 * Math.Max(1, scale), $"{difference}");
        return 0;
    });

    /// <summary>
    /// Per-layer prior precisions: each layer's own slope of the marginal likelihood in log τ_l is zero at the tuned
    /// values (checked by central differences of the marginal likelihood itself), and the tuned evidence is at least the
    /// best scalar τ's.
    /// </summary>
    [Fact]
    public void PerLayerPrecisionsMaximiseTheMarginalLikelihood() => InDouble(() =>
    {
        random.manual_seed(15);
        using var model = new TinyMapClassifier();
        var x = randn(60, 4);
        using var data = new LabelledData(x, randint(0, 3, new long[] { 60 }), "sixty");
        Trainer.Fit(model, data, new FitOptions { Epochs = 100, BatchSize = 60, LearningRate = 0.05, Seed = 15 });
        using var perLayer = AllWeights(model, LaplaceHessian.Kron, priorPrecision: LaplacePriorPrecision.PerLayer);
        perLayer.Fit(model, data, new FitOptions());
        using var scalar = AllWeights(model, LaplaceHessian.Kron);
        scalar.Fit(model, data, new FitOptions());
        var taus = perLayer.PriorPrecisions;
        output.WriteLine($"τ per layer {taus[0]:F4}, {taus[1]:F4}; scalar {scalar.PriorPrecision:F4}; evidence {perLayer.LogMarginalLikelihood():F6} ≥ {scalar.LogMarginalLikelihood():F6}");
        const double h = 1e-4;
        for (int layer = 0; layer < 2; layer++)
        {
            double[] Moved(double factor) => taus.Select((t, i) => i == layer ? t * factor : t).ToArray();
            double slope = (perLayer.LogMarginalLikelihood(Moved(Math.Exp(h))) - perLayer.LogMarginalLikelihood(Moved(Math.Exp(-h)))) / (2 * h);
            Assert.True(Math.Abs(slope) < 1e-6, $"layer {layer}: slope {slope}");
        }
        Assert.True(perLayer.LogMarginalLikelihood() >= perLayer.LogMarginalLikelihood(scalar.PriorPrecision) - 1e-9);
        Assert.Equal(scalar.LogMarginalLikelihood(), perLayer.LogMarginalLikelihood(scalar.PriorPrecision), 9);
        return 0;
    });

    /// <summary>
    /// On the conjugate regression (one Dense layer, known noise) the all-weights path — backward passes and all —
    /// gives the exact posterior, and sampling the weights gives the exact predictive mean x̃ᵀm_N and variance
    /// x̃ᵀ S_N x̃ + s² within Monte Carlo error.
    /// </summary>
    [Fact]
    public void SamplingTheWeightsOfTheConjugateRegressionGivesItsPredictive() => InDouble(() =>
    {
        random.manual_seed(16);
        const int N = 100;
        const double Noise = 0.5;
        var x = randn(N, 3);
        var y = (x.matmul(tensor(new[] { 1.0, -2.0, 0.5 })) + 0.3 + randn(N) * Noise).reshape(N, 1);
        var design = cat(new[] { x, ones(N, 1) }, 1);
        var precision = eye(4) + design.t().matmul(design) / (Noise * Noise);
        var mN = linalg.solve(precision, design.t().matmul(y.squeeze(1))) / (Noise * Noise);
        using var model = new MapLinearRegression();
        var layer = (PointDense)model.Layers[0];
        using (no_grad())
        {
            layer.Weight.copy_(mN.narrow(0, 0, 3).view(1, 3));
            layer.Bias.copy_(mN.narrow(0, 3, 1));
        }
        using var data = new LabelledData(x, y, "conjugate regression");
        using var laplace = new LaplaceApproximation(LaplaceSubset.All, new PointLayer[] { layer }, new[] { 0 }, LaplaceHessian.Full, link: LaplaceLink.Sampling);
        laplace.Fit(model, data, new FitOptions());
        var exact = linalg.inv(design.t().matmul(design) / (Noise * Noise) + eye(4) * laplace.PriorPrecision);
        Assert.True(laplace.Covariance().allclose(exact, rtol: 1e-10, atol: 1e-12));

        const int Samples = 20000;
        var test = randn(4, 3) * 2;
        var testDesign = cat(new[] { test, ones(4, 1) }, 1);
        var mean = testDesign.matmul(mN);
        var latent = (testDesign.matmul(exact) * testDesign).sum(dim: 1);
        random.manual_seed(17);
        using var predictive = laplace.Predict(model, test, Samples, 100);
        // The sample mean's standard error is √(latent/S); the sample variance's is about latent·√(2/S).
        var meanError = (predictive.Mean.squeeze(1) - mean).abs() / (latent / Samples).sqrt();
        var varianceError = (predictive.Variance.squeeze(1) - latent - Noise * Noise).abs() / (latent * Math.Sqrt(2.0 / Samples));
        output.WriteLine($"mean errors in standard errors {meanError.max().item<double>():F2}, variance errors {varianceError.max().item<double>():F2}");
        Assert.True(meanError.max().item<double>() < 4.5);
        Assert.True(varianceError.max().item<double>() < 4.5);
        return 0;
    });
}
