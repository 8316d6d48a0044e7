using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary><see cref="BayesianModule.Predict"/>: the Monte Carlo posterior predictive, and its memory.</summary>
public class PredictiveTests
{
    [Theory]
    [InlineData(false, 1000, true)]
    [InlineData(true, 1000, true)]  // local reparameterisation: the first layer's moments are computed once per batch
    [InlineData(true, 2, true)]     // and afresh for each batch
    [InlineData(true, 1000, false)] // the libtorch route, where the kernels do not run
    public void ClassProbabilitiesAreTheAverageOfEachDrawsSoftmax(bool localReparameterization, int batchSize, bool kernels)
    {
        using var kernelSwitch = new KernelSwitch(kernels);
        using BayesianModule model = localReparameterization ? new TinyMixtureClassifier() : new TinyClassifier();
        random.manual_seed(3);
        var inputs = randn(5, 4);
        const int samples = 7;

        var expected = DrawByDraw(model, inputs, samples, batchSize, seed: 11);
        random.manual_seed(11);
        using var predictive = model.Predict(inputs, samples, batchSize);

        Assert.Equal(samples, predictive.Samples);
        // Reused moments are drawn from with the arithmetic of the route they came from: the very same values.
        Assert.True(predictive.Probabilities.eq(expected).all().item<bool>(), "not the draw-by-draw predictive");
        // Averaged probabilities, not the softmax of averaged logits: the draws must differ for the test to mean anything.
        random.manual_seed(11);
        using (no_grad())
        {
            var first = nn.functional.softmax(model.forward(inputs), 1);
            Assert.False(first.allclose(expected, rtol: 0, atol: 1e-4));
        }
    }

    [Fact]
    public void ReusingTheFirstLayersMomentsChangesNoDrawAtFullSize()
    {
        // At the shapes of real data the kernels split their passes over threads, and a square root taken by libtorch
        // rather than the kernel differed in the last bit for 0.15% of a layer's outputs: the same check as above.
        using var model = new SmallFashionMeanField();
        random.manual_seed(5);
        var inputs = rand(1000, 784);
        var expected = DrawByDraw(model, inputs, samples: 3, batchSize: 1000, seed: 12);
        random.manual_seed(12);
        using var predictive = model.Predict(inputs, samples: 3);
        Assert.True(predictive.Probabilities.eq(expected).all().item<bool>(), "not the draw-by-draw predictive");
    }

    [Fact]
    public void ReusingAFirstConvolutionsMomentsChangesNoDraw()
    {
        // LeNet-like: the first convolution's mean and variance convolutions run once a batch instead of once a draw.
        using var model = new SmallFashionConvMeanField();
        random.manual_seed(5);
        var inputs = rand(300, 784);
        var expected = DrawByDraw(model, inputs, samples: 3, batchSize: 200, seed: 13);
        random.manual_seed(13);
        using var predictive = model.Predict(inputs, samples: 3, batchSize: 200);
        Assert.True(predictive.Probabilities.eq(expected).all().item<bool>(), "not the draw-by-draw predictive");
    }

    [Fact]
    public void ReusingWhatMnfLayersDoNotDrawChangesNoDraw()
    {
        // An MNF convolution's two convolutions and an MNF dense layer's standard deviation do not depend on z.
        foreach (var (model, width) in new (BayesianModule, int)[] { (new TinyMnfConvClassifier(), 25), (new SmallFashionMnf(), 784) })
            using (model)
            {
                random.manual_seed(5);
                var inputs = rand(300, width);
                var expected = DrawByDraw(model, inputs, samples: 3, batchSize: 200, seed: 14);
                random.manual_seed(14);
                using var predictive = model.Predict(inputs, samples: 3, batchSize: 200);
                Assert.True(predictive.Probabilities.eq(expected).all().item<bool>(), $"{model.GetType().Name}: not the draw-by-draw predictive");
            }
    }

    /// <summary>
    /// The predictive by hand, one forward pass at a time, from <paramref name="seed"/>: S sampled passes over each
    /// batch in turn, as Predict makes them, their class probabilities averaged.
    /// </summary>
    static Tensor DrawByDraw(BayesianModule model, Tensor inputs, int samples, int batchSize, int seed)
    {
        random.manual_seed(seed);
        using var noGrad = no_grad();
        return cat(inputs.split(batchSize).Select(batch => Enumerable.Range(0, samples)
            .Select(_ => nn.functional.softmax(model.forward(batch), 1)).Aggregate((a, b) => a + b) / samples).ToArray(), 0);
    }

    [Fact]
    public void AScopeReusesTheMomentsOfARepeatedInputAndOnlyOfIt()
    {
        // σ = softplus(−30) ≈ 1e−13: a draw is its mean to float32 precision, so a stale mean shows.
        using var layer = new MeanFieldDense(4, 3, Prior.Normal(0, 1), initialRho: -30);
        random.manual_seed(6);
        var x = randn(5, 4);
        using var noGrad = no_grad();
        using (RepeatedInputMoments.Open())
        {
            var before = layer.LocalReparameterizedLinear(x);
            layer.WeightMu.add_(1); // every mean rises by the row's Σ x
            var sameInput = layer.LocalReparameterizedLinear(x);
            var equalButNew = layer.LocalReparameterizedLinear(x.clone());
            Assert.True(sameInput.allclose(before, rtol: 0, atol: 1e-6), "the repeated input's moments were recomputed");
            Assert.True(equalButNew.allclose(before + x.sum(1, keepdim: true), rtol: 0, atol: 1e-5), "another input reused them");
        }
        layer.WeightMu.add_(1);
        Assert.Null(RepeatedInputMoments.Active);
        Assert.True(layer.LocalReparameterizedLinear(x).allclose(layer.MeanLinear(x), rtol: 0, atol: 1e-5), "a closed scope kept them");
    }

    [Fact]
    public void APredictionLeavesNoTensorAlive()
    {
        using var model = new TinyMixtureClassifier(); // its layers keep moments during the prediction
        random.manual_seed(4);
        var inputs = randn(9, 4);
        long before = Tensor.TotalCount;
        using (model.Predict(inputs, samples: 5, batchSize: 4)) { }
        // Only fewer, if the finaliser freed some tensor an earlier test let go of meanwhile.
        Assert.True(Tensor.TotalCount <= before, $"{Tensor.TotalCount - before} tensors outlived the prediction");
    }

    [Fact]
    public void RegressionPredictiveIsTheMomentsOfTheGaussianMixture()
    {
        using var model = new LinearRegression();
        random.manual_seed(5);
        var inputs = randn(6, 3);
        const int samples = 9;

        random.manual_seed(2);
        Tensor[] draws;
        using (no_grad())
            draws = Enumerable.Range(0, samples).Select(_ => model.forward(inputs)).ToArray();
        var stacked = stack(draws);
        var mean = stacked.mean(new long[] { 0 });
        // Mixture of N(f_s, s²): E[f²] − E[f]² + s², with the declared noise s = 0.5.
        var variance = stacked.square().mean(new long[] { 0 }) - mean.square() + 0.25;
        random.manual_seed(2);
        using var predictive = model.Predict(inputs, samples);

        Assert.True(predictive.Mean.allclose(mean, rtol: 0, atol: 1e-6));
        Assert.True(predictive.Variance.allclose(variance, rtol: 0, atol: 1e-6));
        Assert.True((predictive.Variance - 0.25).min().item<float>() > 0, "the weights' spread adds to the noise");
    }

    [Fact]
    public void APointEstimateMakesOnePassWhateverTheSampleCount()
    {
        using var model = new TinyMapClassifier();
        random.manual_seed(8);
        var inputs = randn(4, 4);
        using var predictive = model.Predict(inputs, samples: 50);
        Assert.Equal(1, predictive.Samples);
        using (no_grad())
            Assert.True(predictive.Probabilities.allclose(nn.functional.softmax(model.forward(inputs), 1), rtol: 0, atol: 1e-7));
    }

    [Theory]
    [InlineData(Likelihood.Categorical)]
    [InlineData(Likelihood.Gaussian)]
    public void LiveTensorsDoNotGrowWithTheNumberOfDraws(Likelihood likelihood)
    {
        // Each draw's activations must be freed before the next: with them kept until the batch ended, 512 draws of
        // the Fashion-MNIST MLP held 13 GB. The probe counts libtorch tensors alive at every forward pass.
        using var probe = new LiveTensorProbe(likelihood);
        random.manual_seed(1);
        var inputs = randn(10, 4);
        using var predictive = probe.Predict(inputs, samples: 40);

        Assert.Equal(40, probe.LiveAtForward.Count);
        long growth = probe.LiveAtForward.Skip(2).Max() - probe.LiveAtForward[1];
        Assert.True(growth <= 0, $"live tensors grew by {growth} over 38 draws: {string.Join(", ", probe.LiveAtForward)}");
    }

    /// <summary>A hand-written stochastic network whose forward pass records how many tensors are alive.</summary>
    sealed class LiveTensorProbe : BayesianModule
    {
        readonly TorchSharp.Modules.Parameter weight;

        public LiveTensorProbe(Likelihood likelihood) : base(nameof(LiveTensorProbe))
        {
            Likelihood = likelihood;
            weight = new TorchSharp.Modules.Parameter(randn(4, 3));
            register_parameter("weight", weight);
        }

        public List<long> LiveAtForward { get; } = new();
        public override Likelihood Likelihood { get; }
        public override PosteriorMethod Method => PosteriorMethod.MeanField;
        public override IReadOnlyList<IBayesianLayer> Layers => System.Array.Empty<IBayesianLayer>();
        public override bool IsStochastic => true;
        public override IReadOnlyList<int> InputShape => new[] { 4 };
        public override int OutputSize => 3;
        public override string Summary => "probe";
        public override Tensor Complexity() => zeros(1);
        public override Tensor NoiseStd() => tensor(0.5f);

        public override Tensor forward(Tensor input)
        {
            LiveAtForward.Add(Tensor.TotalCount);
            var noisy = weight + randn_like(weight) * 0.1;
            return input.matmul(noisy).tanh() * 2 + 1;
        }
    }
}
