using System;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// The KL's gradient added directly to the parameters' gradients (<see cref="MeanFieldDense.AddKlGradient"/>, what the
/// trainer does) against autograd through the full loss (<see cref="BayesianModule.Loss"/>, whose KL gradients
/// <see cref="KlTests"/> and <see cref="GradientTests"/> check against the formulas and finite differences).
/// </summary>
public class DirectKlTests
{
    public static TheoryData<string, bool> Networks() => new()
    {
        { nameof(TinyClassifier), true },                // Normal prior, per-weight sampling
        { nameof(TinyMixtureClassifier), true },         // scale mixture with local reparameterisation (a draw made for the KL) and a Normal layer
        { nameof(TinySampledMixtureClassifier), true },  // scale mixture at the forward pass's own draw
        { nameof(TinyClassifier), false },               // the libtorch formulation of each
        { nameof(TinyMixtureClassifier), false },
        { nameof(TinySampledMixtureClassifier), false },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void TheDirectGradientEqualsAutogradThroughTheFullLoss(string network, bool fusedKernels)
    {
        CpuKernels.Enabled = fusedKernels;
        try
        {
            const int N = 50; // a small N so that the KL's share of the gradient is large
            random.manual_seed(3);
            var x = randn(16, 4);
            var y = randint(0, 3, new long[] { 16 });
            using var model = Create(network);
            foreach (var p in model.parameters()) p.grad = null;
            // Both routes seed libtorch's generator alike, so the forward noise and the Monte Carlo draws are the same.
            random.manual_seed(11);
            model.Loss(x, y, N).Loss.backward();
            var viaAutograd = model.parameters().Select(p => p.grad!.clone()).ToArray();
            foreach (var p in model.parameters()) p.grad = null;
            random.manual_seed(11);
            model.NegativeLogLikelihood(x, y).backward();
            foreach (var (layer, prior) in model.MeanFieldPriors!) Assert.True(layer.AddKlGradient(prior, 1.0 / N));
            var direct = model.parameters().Select(p => p.grad!).ToArray();
            // The two sum the same float32 terms in a different order (and the kernel fuses multiply-adds): each element
            // agrees to a few units in the last place of the largest term, bounded here by 1e-5 of the largest gradient.
            foreach (var (a, b) in direct.Zip(viaAutograd))
            {
                double bound = 1e-5 * b.abs().max().item<float>() + 1e-7;
                Assert.True((a - b).abs().max().item<float>() <= bound,
                    $"direct and autograd gradients differ by {(a - b).abs().max().item<float>()} (bound {bound})");
            }
            // The KL's share is not negligible: without it the gradients differ well beyond the bound.
            foreach (var p in model.parameters()) p.grad = null;
            random.manual_seed(11);
            model.NegativeLogLikelihood(x, y).backward();
            Assert.Contains(model.parameters().Zip(viaAutograd), pair => (pair.First.grad! - pair.Second).abs().max().item<float>() > 1e-3);
        }
        finally { CpuKernels.Enabled = true; }
    }

    [Fact]
    public void TheNetworkListsEveryLayerWithItsPriorInTheOrderOfItsKl()
    {
        using var model = new TinyMixtureClassifier();
        var priors = model.MeanFieldPriors!;
        // Closed-form layers first, then the Monte Carlo groups, as Complexity() evaluates them.
        Assert.Equal(2, priors.Count);
        Assert.Equal(8, priors[0].Layer.Inputs);
        Assert.Equal(0.5, Assert.IsType<NormalPrior>(priors[0].Prior).Std);
        Assert.Equal(0.0025, Assert.IsType<ScaleMixturePrior>(priors[1].Prior).Sigma2);
        using var map = new TinyMapClassifier();
        Assert.Null(map.MeanFieldPriors);
    }

    [Fact]
    public void AKlThatIsNotFiniteStopsTheFitBeforeTheUpdate()
    {
        // libtorch's σ = softplus(−200) is 0 in float32: the likelihood stays finite, the KL's log σ and −1/σ do not.
        // (The kernels' σ stays a normal number there — their exponential stops at e^−87.3 — so they run off.)
        CpuKernels.Enabled = false;
        try { StopsBeforeTheUpdate(); }
        finally { CpuKernels.Enabled = true; }
    }

    static void StopsBeforeTheUpdate()
    {
        random.manual_seed(4);
        using var model = new TinyMixtureClassifier();
        var hidden = model.MeanFieldPriors![1].Layer;
        using (no_grad()) hidden.WeightRho[0, 0] = -200f;
        var before = model.parameters().Select(p => p.detach().clone()).ToArray();
        var (x, y) = (randn(32, 4), randint(0, 3, new long[] { 32 }));
        using var data = new LabelledData(x, y, "random");
        var error = Assert.Throws<TrainingDivergedException>(() => Trainer.Fit(model, data, new FitOptions { Epochs = 1, BatchSize = 16 }));
        Assert.Equal(1, error.Step);
        Assert.All(model.parameters().Zip(before), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>()));
        // The check the trainer makes after backward, on each step: the gradient added is reported as not finite.
        model.NegativeLogLikelihood(x, y).backward();
        Assert.False(hidden.AddKlGradient(model.MeanFieldPriors[1].Prior, 1.0 / 32));
    }

    static BayesianModule Create(string network) => network switch
    {
        nameof(TinyClassifier) => new TinyClassifier(),
        nameof(TinyMixtureClassifier) => new TinyMixtureClassifier(),
        nameof(TinySampledMixtureClassifier) => new TinySampledMixtureClassifier(),
        _ => throw new ArgumentOutOfRangeException(nameof(network)),
    };
}
