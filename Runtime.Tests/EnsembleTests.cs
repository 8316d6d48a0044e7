using System;
using System.IO;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>Deep ensembles: members on their own seeds, the predictive their average, the checkpoints one per member.</summary>
public class EnsembleTests
{
    static LabelledData Data()
    {
        random.manual_seed(50);
        return new LabelledData(randn(64, 4), randint(0, 3, new long[] { 64 }), "random");
    }

    static readonly FitOptions Options = new() { Epochs = 5, BatchSize = 16, Seed = 51, Threads = 1 };

    /// <summary>Members that share one seed are one network: the ensemble's predictive is that network's, exactly.</summary>
    [Fact]
    public void AnEnsembleOfIdenticalSeedsEqualsOneMember()
    {
        using var data = Data();
        using var ensemble = new Ensemble(() => new TinyMapClassifier(), 3, memberSeed: (seed, _) => seed);
        ensemble.Fit(data, Options);
        random.manual_seed(Options.Seed);
        using var single = new TinyMapClassifier();
        Trainer.Fit(single, data, Options);
        using var averaged = ensemble.Predict(data.Inputs);
        using var alone = single.Predict(data.Inputs);
        Assert.True(averaged.Probabilities.allclose(alone.Probabilities, rtol: 1e-6, atol: 1e-7));
        Assert.Equal(3, averaged.Samples);
    }

    /// <summary>
    /// Members on their own seeds differ, the predictive is the mean of theirs, member 0 is the single network of the
    /// run's seed, and the members save and load one checkpoint each; a missing one fails naming it.
    /// </summary>
    [Fact]
    public void MembersDifferAverageAndRoundTrip()
    {
        using var data = Data();
        using var ensemble = TinyMapEnsemble.CreateEnsemble();
        Assert.Equal(4, ensemble.Count);
        ensemble.Fit(data, Options);
        using var first = ensemble.Members[0]!.Predict(data.Inputs);
        using var second = ensemble.Members[1]!.Predict(data.Inputs);
        Assert.False(first.Probabilities.allclose(second.Probabilities), "two members on different seeds agree");
        var mean = zeros_like(first.Probabilities);
        foreach (var member in ensemble.Members)
            using (var predictive = member!.Predict(data.Inputs)) mean.add_(predictive.Probabilities);
        using var averaged = ensemble.Predict(data.Inputs);
        Assert.True(averaged.Probabilities.allclose(mean / 4, rtol: 1e-6, atol: 1e-7));

        random.manual_seed(Options.Seed);
        using var single = new TinyMapEnsemble();
        Trainer.Fit(single, data, Options);
        using var alone = single.Predict(data.Inputs);
        Assert.True(alone.Probabilities.eq(first.Probabilities).all().item<bool>(), "member 0 is not the network of the run's seed");

        string directory = Directory.CreateTempSubdirectory("bnndsl-ensemble-").FullName;
        try
        {
            string path = Path.Combine(directory, "model.bin");
            ensemble.Save(path);
            using var restored = TinyMapEnsemble.CreateEnsemble();
            restored.Load(path);
            using var again = restored.Predict(data.Inputs);
            Assert.True(again.Probabilities.eq(averaged.Probabilities).all().item<bool>());
            File.Delete(Ensemble.MemberPath(path, 2));
            using var broken = TinyMapEnsemble.CreateEnsemble();
            Assert.Contains("model.member2.bin", Assert.Throws<FileNotFoundException>(() => broken.Load(path)).Message);
        }
        finally { Directory.Delete(directory, recursive: true); }
    }
}
