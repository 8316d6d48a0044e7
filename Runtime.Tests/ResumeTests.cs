using System;
using System.IO;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>A run stopped after an epoch and resumed from its point ends bit for bit as the run that did not stop.</summary>
public class ResumeTests
{
    [Theory]
    [InlineData("mean-field")]     // Adam's moments, the KL added by the layers
    [InlineData("sgld-spilling")]  // a sampler's kept samples, three of four in the file beside the checkpoint
    [InlineData("sghmc")]          // the momenta, cyclical step sizes
    public void ARunResumedFromAnEpochEndsAsTheRunThatDidNotStop(string kind)
    {
        Func<BayesianModule> create = kind switch
        {
            "mean-field" => () => new TinyClassifier(),
            "sgld-spilling" => () => new TinySpillingSgldClassifier(),
            _ => () => new SmallFashionCyclicalSghmc(),
        };
        int width = kind == "sghmc" ? 784 : 4, classes = kind == "sghmc" ? 10 : 3;
        random.manual_seed(21);
        using var data = new LabelledData(randn(64, width), randint(0, classes, new long[] { 64 }), "random");
        var options = new FitOptions { Epochs = 6, BatchSize = kind == "sghmc" ? 2 : 8, Seed = 4, LearningRate = 0.01 };
        string directory = Path.Combine(Path.GetTempPath(), "bnndsl-resume-" + Guid.NewGuid().ToString("N"));
        try
        {
            random.manual_seed(5);
            using var straight = create();
            Trainer.Fit(straight, data, options);

            random.manual_seed(5);
            using (var stopped = create())
            using (var session = new TrainingSession(stopped, data, options))
                for (int epoch = 0; epoch < 3; epoch++)
                {
                    session.RunEpoch();
                    session.SaveResumePoint(directory);
                }
            Assert.Equal(new[] { "epoch3.bin", "epoch3.state", "resume.json" },
                Directory.GetFiles(directory).Select(Path.GetFileName).Where(f => !f!.EndsWith(".samples", StringComparison.Ordinal)).Order());

            random.manual_seed(99); // other initial weights: the point must replace them
            using var resumed = create();
            var ran = Trainer.Fit(resumed, data, options, resumeDirectory: directory);
            Assert.Equal(new[] { 4, 5, 6 }, ran.Select(e => e.Epoch));
            var expected = straight.state_dict();
            foreach (var (name, tensor) in resumed.state_dict())
                Assert.True(tensor.eq(expected[name]).all().item<bool>(), $"{name} differs from the run that did not stop");
            if (straight.Predictor is SampleStore store)
            {
                var other = (SampleStore)resumed.Predictor;
                Assert.Equal(store.Kept, other.Kept);
                for (int k = 0; k < store.Kept; k++) Assert.True(store.Sample(k).eq(other.Sample(k)).all().item<bool>(), $"sample {k} differs");
            }

            // A point of another run is refused, naming its file.
            using var mismatched = create();
            var error = Assert.Throws<InvalidDataException>(() => Trainer.Fit(mismatched, data, options with { Seed = 5 }, resumeDirectory: directory));
            Assert.Contains("resume.json", error.Message);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }
}
