using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// The two ways the trainer reads a step: on the host every step (the CPU's default), or accumulated on the device and
/// read once an epoch (other devices' default) — the same training either way — and the gradient check that keeps a
/// non-finite gradient from reaching the parameters.
/// </summary>
public class StepReadingTests
{
    static (float[] Parameters, IReadOnlyList<EpochSummary> Epochs) Train(bool readEveryStep)
    {
        random.manual_seed(9);
        using var model = new TinyMixtureClassifier();
        var x = randn(64, 4);
        var y = randint(0, 3, new long[] { 64 });
        using var data = new LabelledData(x, y, "random");
        var epochs = Trainer.Fit(model, data, new FitOptions { Epochs = 3, BatchSize = 16, Seed = 3, Threads = 2, ReadEveryStep = readEveryStep });
        return (model.parameters().SelectMany(p => p.detach().flatten().data<float>().ToArray()).ToArray(), epochs);
    }

    [Fact]
    public void ReadingOnceAnEpochTrainsExactlyAsReadingEveryStep()
    {
        var (everyStep, stepEpochs) = Train(readEveryStep: true);
        var (onceAnEpoch, epochEpochs) = Train(readEveryStep: false);
        Assert.Equal(everyStep, onceAnEpoch);
        // The reported means are sums of the same float32 terms, in double on the host or on the device.
        foreach (var (a, b) in stepEpochs.Zip(epochEpochs))
        {
            Assert.Equal(a.Nll, b.Nll, 1e-6);
            Assert.Equal(a.Loss, b.Loss, 1e-6);
            Assert.Equal(a.Complexity, b.Complexity, 1e-3);
        }
    }

    [Fact]
    public void ADivergenceFoundOnceAnEpochNamesTheEpochAndWhereTheTermsStayed()
    {
        random.manual_seed(10);
        using var model = new TinyMapClassifier();
        var x = randn(32, 4);
        x[5, 1] = float.NaN; // one corrupt value: its step's loss is NaN
        using var data = new LabelledData(x, randint(0, 3, new long[] { 32 }), "one NaN");
        var error = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Fit(model, data, new FitOptions { Epochs = 2, BatchSize = 16, ReadEveryStep = false }));
        Assert.Equal(1, error.Epoch);
        Assert.Equal(0, error.Step);
        Assert.Contains("checked once an epoch", error.Message);
    }

    [Fact]
    public void AGradientThatIsNotFiniteUnderAFiniteLossIsFoundWhenTheTermsStayOnTheDevice()
    {
        // d√w/dw = 1/(2√w) is infinite at w = 0, where the loss is finite: only the gradient check can see it.
        using var model = new SquareRootProbe();
        using var data = new LabelledData(ones(8, 2), zeros(8, dtype: ScalarType.Int64), "ones");
        var error = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Fit(model, data, new FitOptions { Epochs = 1, BatchSize = 8, ReadEveryStep = false }));
        Assert.Equal(1, error.Epoch);
        Assert.Contains("stopped being finite during epoch 1", error.Message);
    }

    /// <summary>A network whose weights enter through a square root, one of them at 0.</summary>
    sealed class SquareRootProbe : BayesianModule
    {
        readonly TorchSharp.Modules.Parameter weight;

        public SquareRootProbe() : base(nameof(SquareRootProbe))
        {
            weight = new TorchSharp.Modules.Parameter(tensor(new float[,] { { 0f, 1f }, { 1f, 1f } }));
            register_parameter("weight", weight);
        }

        public override Likelihood Likelihood => Likelihood.Categorical;
        public override PosteriorMethod Method => PosteriorMethod.MAP;
        public override IReadOnlyList<IBayesianLayer> Layers => Array.Empty<IBayesianLayer>();
        public override IReadOnlyList<int> InputShape => new[] { 2 };
        public override int OutputSize => 2;
        public override string Summary => "probe";
        public override Tensor forward(Tensor input) => input.matmul(weight.sqrt());
    }
}
