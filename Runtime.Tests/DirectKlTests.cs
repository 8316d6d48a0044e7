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
        { nameof(SmallFashionMeanField), true },         // 156,800 weights: 39 streams of 4096 noise values, the last one short
        { nameof(TinyClassifier), false },               // the libtorch formulation of each
        { nameof(TinyMixtureClassifier), false },
        { nameof(TinySampledMixtureClassifier), false },
        { nameof(SmallFashionMeanField), false },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void TheDirectGradientEqualsAutogradThroughTheFullLoss(string network, bool fusedKernels)
    {
        using var kernels = new KernelSwitch(fusedKernels);
        const int N = 50; // a small N so that the KL's share of the gradient is large
        using var model = Create(network);
        random.manual_seed(3);
        var x = randn(16, model.InputSize);
        var y = randint(0, 3, new long[] { 16 });
        foreach (var p in model.parameters()) p.grad = null;
        // Both routes seed libtorch's generator alike, so the forward noise and the Monte Carlo draws are the same.
        random.manual_seed(11);
        model.Loss(x, y, N).Loss.backward();
        var viaAutograd = model.parameters().Select(p => p.grad!.clone()).ToArray();
        foreach (var p in model.parameters()) p.grad = null;
        random.manual_seed(11);
        model.NegativeLogLikelihood(x, y).backward();
        foreach (var layer in model.Layers) Assert.True(layer.AddComplexityGradient(1.0 / N));
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

    [Fact]
    public void TheNetworkListsEveryLayerWithItsOwnPriorInDeclarationOrder()
    {
        using var model = new TinyMixtureClassifier();
        var layers = model.Layers;
        Assert.Equal(2, layers.Count);
        Assert.Equal(4, Assert.IsType<MeanFieldDense>(layers[0]).Inputs);
        Assert.Equal(0.0025, Assert.IsType<ScaleMixturePrior>(layers[0].Prior).Sigma2);
        Assert.Equal(0.5, Assert.IsType<NormalPrior>(layers[1].Prior).Std);
        Assert.All(layers, layer => Assert.Empty(layer.WeightDecay));
        // A point estimate under Normal(0, 1) leaves its prior's gradient to the step rule as weight decay τ = 1.
        using var map = new TinyMapClassifier();
        Assert.All(map.Layers, layer => Assert.Equal(new[] { 1.0, 1.0 }, layer.WeightDecay.Select(p => p.Precision)));
        // Priors are instances of each network, not shared constants: tuning one network's leaves another's alone.
        using var other = new TinyMapClassifier();
        ((NormalPrior)map.Layers[0].Prior).Std = 2;
        Assert.Equal(1.0, ((NormalPrior)other.Layers[0].Prior).Std);
        Assert.Equal(0.25, map.Layers[0].WeightDecay[0].Precision);
    }

    [Fact]
    public void AKlGradientThatIsNotFiniteStopsTheFitBeforeTheUpdate()
    {
        // libtorch's σ = softplus(−200) is 0 in float32: the likelihood stays finite, the KL's −1/σ does not. It is set
        // after the first step, so that the KL reported at the epoch's start is finite and only the gradient check of
        // the second step can catch it. (The kernels' σ stays a normal number there — their exponential stops at
        // e^−87.3 — so they run off; their own check is the next test's.)
        using var kernels = new KernelSwitch(false);
        random.manual_seed(4);
        using var model = new TinyMixtureClassifier();
        var hidden = (MeanFieldDense)model.Layers[0];
        using var data = new LabelledData(randn(32, 4), randint(0, 3, new long[] { 32 }), "random");
        TorchSharp.Modules.Parameter[] parameters = model.parameters().ToArray();
        Tensor[]? afterFirstStep = null;
        var corrupt = new Corruption(() =>
        {
            using (no_grad()) hidden.WeightRho[0, 0] = -200f;
            // Reports come inside the step's dispose scope: the copies must outlive it.
            afterFirstStep = parameters.Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
        });
        var error = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Fit(model, data, new FitOptions { Epochs = 1, BatchSize = 16 }, corrupt));
        Assert.Equal(2, error.Step);
        Assert.StartsWith("The complexity term's gradient diverged at epoch 1, step 2", error.Message);
        Assert.All(parameters.Zip(afterFirstStep!), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>()));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheGradientPassReportsAValueThatIsNotFinite(bool fusedKernels)
    {
        // σ = 0 at one weight out of 5000 (the second block of the kernel's 4096): −1/σ is infinite there.
        using var kernels = new KernelSwitch(fusedKernels);
        random.manual_seed(6);
        using var layer = new MeanFieldDense(50, 100, Prior.Normal(0, 1), -5);
        var sigma = nn.functional.softplus(layer.WeightRho.detach());
        Assert.True(Kl.AddGradient(layer.WeightMu, layer.WeightRho, sigma, Prior.Normal(0, 1), null, 1e-3));
        sigma[70, 20] = 0f;
        Assert.False(Kl.AddGradient(layer.WeightMu, layer.WeightRho, sigma, Prior.Normal(0, 1), null, 1e-3));
        var draw = GaussianDraw.Deferred(layer.WeightMu, sigma);
        Assert.False(Kl.AddGradient(layer.WeightMu, layer.WeightRho, sigma, Prior.ScaleMixture(0.5, 1, 0.01), draw, 1e-3));
    }

    /// <summary>Runs an action once, after the first training step.</summary>
    sealed class Corruption(Action action) : IProgress<TrainingProgress>
    {
        bool done;
        public void Report(TrainingProgress value)
        {
            if (done) return;
            done = true;
            action();
        }
    }

    static BayesianModule Create(string network) => network switch
    {
        nameof(TinyClassifier) => new TinyClassifier(),
        nameof(TinyMixtureClassifier) => new TinyMixtureClassifier(),
        nameof(TinySampledMixtureClassifier) => new TinySampledMixtureClassifier(),
        nameof(SmallFashionMeanField) => new SmallFashionMeanField(),
        _ => throw new ArgumentOutOfRangeException(nameof(network)),
    };
}
