using System;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// Loss gradients of generated networks against central finite differences, in double precision. Reseeding before
/// every evaluation fixes the posterior draws, so the sampled loss is a deterministic function of the parameters.
/// </summary>
public class GradientTests
{
    internal static void CheckGradients(Func<BayesianModule> create, int inputs = 4, double tolerance = 1e-6)
    {
        set_default_dtype(ScalarType.Float64);
        try
        {
            random.manual_seed(1);
            using var model = create();
            var x = randn(6, inputs);
            var y = tensor(new long[] { 0, 1, 2, 2, 1, 0 });
            double Loss()
            {
                using var scope = NewDisposeScope();
                // With gradients on, as in training: a sampled forward pass then keeps its draw for the Monte Carlo KL.
                using var gradients = enable_grad();
                random.manual_seed(99);
                return model.Loss(x, y, datasetSize: 50).Loss.item<double>();
            }

            random.manual_seed(99);
            var loss = model.Loss(x, y, datasetSize: 50).Loss;
            loss.backward();
            const double h = 1e-6;
            foreach (var (name, parameter) in model.named_parameters())
            {
                var analytic = parameter.grad!.flatten().data<double>().ToArray();
                using var noGrad = no_grad();
                var flat = parameter.view(-1);
                for (int i = 0; i < analytic.Length; i += Math.Max(1, analytic.Length / 7))
                {
                    double original = flat[i].item<double>();
                    flat[i] = original + h;
                    double up = Loss();
                    flat[i] = original - h;
                    double down = Loss();
                    flat[i] = original;
                    double numeric = (up - down) / (2 * h);
                    // Central differences err by O(h²) ≈ 1e-12 plus rounding ≈ 1e-16/h ≈ 1e-10.
                    Assert.True(Math.Abs(numeric - analytic[i]) < tolerance * (1 + Math.Abs(numeric)),
                        $"{name}[{i}]: autograd {analytic[i]}, finite difference {numeric}");
                }
            }
        }
        finally { set_default_dtype(ScalarType.Float32); }
    }

    [Fact] public void MeanFieldWithWeightSamplingAndClosedFormKl() => CheckGradients(() => new TinyClassifier());
    [Fact] public void MnfDenseWithCouplingFlowsBesideMeanField() => CheckGradients(() => new TinyMnfClassifier());
    [Fact] public void MnfConvolutionWithAPlanarFlowBesideMeanField() => CheckGradients(() => new TinyMnfConvClassifier(), inputs: 25);
    [Fact] public void MeanFieldWithLocalReparameterisationAndMonteCarloKl() => CheckGradients(() => new TinyMixtureClassifier());
    [Fact] public void MeanFieldWithWeightSamplingAndMonteCarloKl() => CheckGradients(() => new TinySampledMixtureClassifier());
    [Fact] public void MapWithLogPriorPenalty() => CheckGradients(() => new TinyMapClassifier());
    [Fact] public void MapWithScaleMixtureAndShiftedNormalPenalties() => CheckGradients(() => new TinyMapMixtureClassifier());

    [Fact]
    public void TheTraceGivesEachLayersInputAndOutputGradient()
    {
        // For a dense layer s = a Wᵀ + b, ∂L/∂W = Σ_n g_n a_nᵀ with g = ∂L/∂s: the per-example factors of curvature.
        random.manual_seed(2);
        using var model = new TinyMapClassifier { Trace = new LayerTrace() };
        var x = randn(5, 4);
        var output = model.forward(x);
        var loss = model.LogLikelihood(output, tensor(new long[] { 0, 1, 2, 0, 1 })).sum().neg();
        loss.backward();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(2, model.Trace.Count);
        foreach (var (layer, name) in new[] { (0, "Hidden"), (1, "Output") })
        {
            var fromTrace = model.Trace.OutputGradient(layer).t().matmul(model.Trace.Input(layer));
            Assert.True(MaxDifference(fromTrace, parameters[$"{name}.weight"].grad!) < 1e-5, $"{name}: Σ g aᵀ differs from ∂L/∂W");
            Assert.True(MaxDifference(model.Trace.OutputGradient(layer).sum(dim: 0), parameters[$"{name}.bias"].grad!) < 1e-5, $"{name}: Σ g differs from ∂L/∂b");
        }
        Assert.Same(x, model.Trace.Input(0));
    }

    static double MaxDifference(Tensor a, Tensor b) => (a - b).abs().max().item<float>();
}
