using System;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// The route every device but the CPU takes: parameters created where the constructor says, and the whole training
/// loop and predictive as libtorch operations (the fused CPU kernels off).
/// </summary>
public class DeviceTests
{
    [Fact]
    public void EveryParameterAndBufferOfEveryEmittedLayerKindIsCreatedOnTheGivenDevice()
    {
        // The meta device allocates nothing and is never the default: anything created without the device argument
        // would land on the CPU and show here.
        var meta = device("meta");
        foreach (Func<Device, BayesianModule> create in new Func<Device, BayesianModule>[]
        {
            d => new TinyConvClassifier(d), d => new TinySampledConvClassifier(d), d => new TinyConvMap(d), d => new TinyResidual(d),
            d => new TinyClassifier(d), d => new TinyMapClassifier(d), d => new LinearRegression(d), d => new HeteroscedasticRegression(d),
            d => new TinyMnfClassifier(d), d => new TinyMnfConvClassifier(d), d => new TinyLaplaceClassifier(d), d => new LaplaceLinearRegression(d),
        })
        {
            using var model = create(meta);
            Assert.NotEmpty(model.parameters());
            Assert.All(model.parameters(), p => Assert.Equal(TorchSharp.DeviceType.META, p.device_type));
            Assert.All(model.buffers(), b => Assert.Equal(TorchSharp.DeviceType.META, b.device_type));
        }
    }

    [Fact]
    public void DataMovesToTheModelsDevice()
    {
        using var data = new LabelledData(randn(4, 3), tensor(new long[] { 0, 1, 2, 0 }), "random");
        using var moved = data.To(device("meta"));
        Assert.Equal(TorchSharp.DeviceType.META, moved.Inputs.device_type);
        Assert.Equal(TorchSharp.DeviceType.META, moved.Targets.device_type);
        Assert.Equal(4, moved.Count);
    }

    [Fact]
    public void TheWholeTrainingLoopRunsAsLibtorchOperationsWithTheKernelsOff()
    {
        using var kernels = new KernelSwitch(false);
        foreach (Func<BayesianModule> create in new Func<BayesianModule>[]
        {
            () => new TinyConvClassifier(), () => new TinySampledConvClassifier(), () => new TinyConvMap(),
            () => new TinyClassifier(), () => new TinyMixtureClassifier(), () => new TinyMapMixtureClassifier(),
            () => new TinyMnfClassifier(), () => new TinyMnfConvClassifier(), () => new TinyLaplaceClassifier(),
        })
        {
            random.manual_seed(8);
            using var model = create();
            int features = model.InputSize;
            var x = randn(96, features);
            var y = (x.narrow(1, 0, features / 2).sum(1) > 0).to(ScalarType.Int64) + (x.narrow(1, features / 2, features / 2).sum(1) > 0).to(ScalarType.Int64);
            using var data = new LabelledData(x, y, "random");
            var epochs = Trainer.Fit(model, data, new FitOptions { Epochs = 25, BatchSize = 32, LearningRate = 0.01, Seed = 2 });
            Assert.True(epochs[^1].Nll < epochs[0].Nll * 0.8, $"{model.GetType().Name}: NLL {epochs[0].Nll} → {epochs[^1].Nll}");
            using var predictive = model.Predict(x, samples: 3);
            Assert.True(predictive.Probabilities.sum(1).allclose(ones(96), rtol: 1e-5, atol: 1e-5));
        }
    }
}
