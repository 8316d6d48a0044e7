using System;
using System.Diagnostics;
using BnnDsl;
using static TorchSharp.torch;

namespace BnnDsl.Benchmarks;

/// <summary>One timed training epoch (Adam 1e-3, batch 128, shuffled), as a closure that keeps its optimiser and order.</summary>
public static class EpochRunner
{
    const int BatchSize = 128;

    /// <summary>A generated network, trained by the runtime's own loop (<see cref="TrainingSession"/>).</summary>
    public static Func<double> ForNetwork(BayesianModule network, LabelledData data, int plannedEpochs = 20)
    {
        // The planned epochs set a sampler's schedule and the steps after which it keeps samples.
        var session = new TrainingSession(network, data, new FitOptions { Seed = 7, Epochs = plannedEpochs });
        return () => session.RunEpoch().Seconds;
    }

    /// <summary>A plain TorchSharp module trained on cross-entropy.</summary>
    public static Func<double> ForModule(nn.Module<Tensor, Tensor> module, LabelledData data)
    {
        var optimizer = optim.Adam(module.parameters(), 1e-3);
        var order = new TorchSharp.torch.Generator(7);
        return () => Time(data, order, (inputs, targets) =>
        {
            var loss = nn.functional.cross_entropy(module.forward(inputs), targets);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            return loss;
        });
    }

    static double Time(LabelledData data, TorchSharp.torch.Generator order, Func<Tensor, Tensor, Tensor> step)
    {
        var clock = Stopwatch.StartNew();
        int n = data.Count;
        using var permutation = randperm(n, generator: order);
        for (int start = 0; start < n; start += BatchSize)
        {
            using var scope = NewDisposeScope();
            var indices = permutation.narrow(0, start, Math.Min(BatchSize, n - start));
            // Read the loss as the trainer does (it reports progress and checks for divergence every step).
            _ = step(data.Inputs.index_select(0, indices), data.Targets.index_select(0, indices)).item<float>();
        }
        return clock.Elapsed.TotalSeconds;
    }
}
