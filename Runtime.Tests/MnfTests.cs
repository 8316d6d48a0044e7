using System;
using System.Linq;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// Multiplicative normalising flows against exact answers (docs/METHODS.md §4, §8): each flow's log-determinant against
/// its autograd Jacobian, the KL bound against the true KL of a one-weight layer (computed by quadrature), and the
/// conditional KL against the mean-field closed form. In double precision.
/// </summary>
public class MnfTests(ITestOutputHelper output)
{
    static T InDouble<T>(Func<T> body)
    {
        set_default_dtype(ScalarType.Float64);
        try { return body(); }
        finally { set_default_dtype(ScalarType.Float32); }
    }

    [Theory]
    [InlineData(FlowKind.Coupling)]
    [InlineData(FlowKind.Planar)]
    public void FlowLogDeterminantIsTheLogAbsDeterminantOfItsJacobian(FlowKind kind) => InDouble(() =>
    {
        random.manual_seed(5);
        const int D = 5;
        using var flow = new FlowSequence(kind, D, count: 3, hiddenWidth: 7);
        // Away from the starting point (a gate near 0.88, a planar u small), so that every step bends.
        using (no_grad()) foreach (var p in flow.parameters()) p.add_(randn_like(p) * 0.7);
        var points = randn(4, D) * 1.5;
        var (images, logDeterminants) = flow.Forward(points);
        Assert.True(flow.Transform(points).eq(images).all().item<bool>(), "Transform differs from Forward's output");
        for (int row = 0; row < 4; row++)
        {
            var z = points[row].detach().clone().requires_grad_(true);
            var image = flow.Forward(z.unsqueeze(0)).Output.squeeze(0);
            var jacobian = zeros(D, D);
            for (int i = 0; i < D; i++)
            {
                var gradient = autograd.grad(new[] { image[i] }, new[] { z }, retain_graph: true)[0];
                jacobian[i] = gradient;
            }
            double exact = linalg.slogdet(jacobian).Item2.item<double>();
            double computed = logDeterminants[row].item<double>();
            output.WriteLine($"{kind} row {row}: log|det J| {exact:F12}, flow {computed:F12}");
            Assert.True(Math.Abs(exact - computed) < 1e-10, $"row {row}: autograd {exact}, flow {computed}");
        }
        return 0;
    });

    [Fact]
    public void ConditionalKlIsTheMeanFieldKlAtTheScaledMeans() => InDouble(() =>
    {
        random.manual_seed(2);
        var prior = Prior.Normal(0.3, 0.7);
        var z = randn(4).abs() + 0.5;
        var mu = randn(3, 4);
        var logVariance = randn(3, 4) - 3;
        double mnf = MnfLayer.ConditionalKl(mu * z, logVariance, prior).item<double>();
        double meanField = Kl.GaussianVsNormal(mu * z, (logVariance * 0.5).exp(), prior.Mean, prior.Std).item<double>();
        Assert.Equal(meanField, mnf, 10);
        return 0;
    });

    [Fact]
    public void FactoredConditionalKlEqualsTheWeightByWeightSum() => InDouble(() =>
    {
        random.manual_seed(4);
        var prior = Prior.Normal(0.2, 0.8);
        using var dense = new MnfDense(5, 3, prior, MnfOptions.Default);
        using var convolution = new MnfConv2d(2, 4, 3, prior, MnfOptions.Default);
        foreach (var (layer, scaled) in new (MnfLayer, Func<Tensor, Tensor>)[]
        {
            (dense, z => dense.WeightMu * z.unsqueeze(0)),
            (convolution, z => convolution.WeightMu * z.view(-1, 1, 1, 1)),
        })
        {
            using (no_grad()) layer.WeightLogVariance.add_(randn_like(layer.WeightLogVariance));
            var z = randn(layer.ZMu.shape[0]);
            double factored = layer.ConditionalWeightKl(z).item<double>();
            double direct = MnfLayer.ConditionalKl(scaled(z), layer.WeightLogVariance, prior).item<double>();
            Assert.Equal(direct, factored, 9);
        }
        return 0;
    });

    /// <summary>
    /// A one-in, one-out dense layer with planar flows: q(w) = ∫ N(w; f(z₀) μ, σ²) N(z₀; μ_z, σ_z²) dz₀ is a
    /// one-dimensional integral, so KL(q(w) ‖ p) is computable by quadrature. The bias's KL is exact in the bound. The
    /// bound's mean over draws must not fall below the truth by more than its Monte Carlo error.
    /// </summary>
    [Fact]
    public void KlBoundIsAtLeastTheTrueKl() => InDouble(() =>
    {
        random.manual_seed(11);
        var prior = Prior.Normal(0, 1);
        using var layer = new MnfDense(1, 1, prior, new MnfOptions(Flows: 2, Kind: FlowKind.Planar, AuxiliaryFlows: 1));
        using (no_grad())
        {
            layer.WeightMu.fill_(0.8);
            layer.WeightLogVariance.fill_(Math.Log(0.05));
            layer.BiasMu.fill_(0.2);
            layer.BiasLogVariance.fill_(Math.Log(0.3));
            layer.ZMu.fill_(1.0);
            layer.ZLogVariance.fill_(Math.Log(0.2));
            foreach (var p in layer.QFlow.parameters()) p.add_(randn_like(p) * 0.8);
        }

        double trueKl;
        using (no_grad())
        {
            // z₀ on a fine grid over ±8 sd, w on a grid wide enough for both q and p.
            double zMean = 1.0, zStd = Math.Sqrt(0.2), sigma = Math.Sqrt(0.05);
            var z0 = linspace(zMean - 8 * zStd, zMean + 8 * zStd, 4001);
            var zWeight = (-(z0 - zMean).square() / (2 * zStd * zStd)).exp() / (zStd * Math.Sqrt(2 * Math.PI)) * (16 * zStd / 4000);
            var zK = layer.QFlow.Forward(z0.unsqueeze(1)).Output.squeeze(1);
            var w = linspace(-12, 12, 6001);
            double dw = 24.0 / 6000;
            var means = (zK * 0.8).unsqueeze(0); // [1, nz]
            var density = ((-(w.unsqueeze(1) - means).square() / (2 * sigma * sigma)).exp() / (sigma * Math.Sqrt(2 * Math.PI)) * zWeight.unsqueeze(0)).sum(1);
            var logPrior = -w.square() / 2 - 0.5 * Math.Log(2 * Math.PI);
            var positive = density > 1e-300;
            trueKl = (density[positive] * (density[positive].log() - logPrior[positive])).sum().item<double>() * dw;
            double mass = density.sum().item<double>() * dw;
            Assert.True(Math.Abs(mass - 1) < 1e-6, $"quadrature mass {mass}");
        }
        double biasKl = MnfLayer.ConditionalKl(layer.BiasMu, layer.BiasLogVariance, (NormalPrior)prior).item<double>();

        const int Draws = 8000;
        var bounds = new double[Draws];
        using (no_grad())
            for (int i = 0; i < Draws; i++)
            {
                using var scope = NewDisposeScope();
                bounds[i] = layer.Complexity().item<double>();
            }
        double mean = bounds.Average();
        double standardError = Math.Sqrt(bounds.Select(b => (b - mean) * (b - mean)).Sum() / (Draws - 1) / Draws);
        double truth = trueKl + biasKl;
        output.WriteLine($"bound {mean:F5} ± {standardError:F5} (SE); true KL {truth:F5} (weight {trueKl:F5}, bias {biasKl:F5})");
        Assert.True(mean + 4 * standardError >= truth, $"bound {mean} ± {standardError} below the true KL {truth}");
        return 0;
    });

    /// <summary>Every MNF parameter, flows included, is in the checkpoint: a restored network predicts the same.</summary>
    [Fact]
    public void AnMnfCheckpointRoundTrips()
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("bnndsl-mnf-").FullName;
        try
        {
            random.manual_seed(8);
            using var trained = new TinyMnfConvClassifier();
            using (no_grad()) foreach (var p in trained.parameters()) p.add_(randn_like(p) * 0.1);
            string path = System.IO.Path.Combine(directory, "model.bin");
            trained.Save(path);
            random.manual_seed(9);
            using var restored = new TinyMnfConvClassifier();
            restored.Load(path);
            var x = randn(3, 25);
            foreach (var mode in new[] { SampleMode.Mean, SampleMode.Sample })
            {
                trained.Mode = restored.Mode = mode;
                random.manual_seed(1);
                var expected = trained.forward(x);
                random.manual_seed(1);
                Assert.True(expected.eq(restored.forward(x)).all().item<bool>(), $"{mode} pass differs after loading");
            }
        }
        finally { System.IO.Directory.Delete(directory, recursive: true); }
    }
}
