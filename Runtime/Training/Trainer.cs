using System;
using System.Collections.Generic;
using System.Diagnostics;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>Settings of <see cref="Trainer.Fit"/>. The defaults are the peers' setting: Adam 1e-3, batch 128.</summary>
public sealed record FitOptions
{
    public int Epochs { get; init; } = 20;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Posterior samples per training step (averaged in the loss).</summary>
    public int TrainingSamples { get; init; } = 1;
    /// <summary>Seeds the minibatch order and every posterior draw; with a fixed thread count a CPU run repeats bit for bit.</summary>
    public long Seed { get; init; } = 0;
    /// <summary>libtorch CPU threads for the run (null: leave the process setting alone). Results repeat bit for bit only at the same count.</summary>
    public int? Threads { get; init; }
}

/// <summary>What the trainer reports after each minibatch and each epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Step">Steps done in this epoch.</param>
/// <param name="StepsPerEpoch">Steps in an epoch.</param>
/// <param name="Loss">Running mean of the loss over this epoch's steps so far.</param>
/// <param name="Nll">Running mean of the NLL term.</param>
/// <param name="Complexity">Running mean of the complexity term (KL, or −log prior for MAP), in nats.</param>
public readonly record struct TrainingProgress(int Epoch, int Step, int StepsPerEpoch, double Loss, double Nll, double Complexity);

/// <summary>One finished epoch: its mean loss terms, wall time and the process's resident memory after it.</summary>
public sealed record EpochSummary(int Epoch, double Loss, double Nll, double Complexity, double Seconds, long ResidentBytes);

/// <summary>Thrown when the loss stops being finite; the parameters are left as they were before the failing step.</summary>
public sealed class TrainingDivergedException : Exception
{
    public TrainingDivergedException(int epoch, int step, double nll, double complexity)
        : base($"The loss diverged at epoch {epoch}, step {step} (NLL {nll}, complexity {complexity}); the parameters " +
               "are those before this step. Lower the learning rate, or start ρ lower (smaller initial σ).")
    {
        Epoch = epoch;
        Step = step;
    }

    public int Epoch { get; }
    public int Step { get; }
}

/// <summary>Fits a generated network by minimising its per-example loss (<see cref="BayesianModule.Loss"/>) with Adam.</summary>
public static class Trainer
{
    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="data"/>: each epoch visits every example once in a fresh
    /// random order; every step runs in its own dispose scope, so native memory stays flat across epochs.
    /// </summary>
    public static IReadOnlyList<EpochSummary> Fit(BayesianModule model, LabelledData data, FitOptions options,
        IProgress<TrainingProgress>? progress = null)
    {
        if (options.Epochs < 0) throw new ArgumentOutOfRangeException(nameof(options), "Epochs must not be negative.");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "The batch size must be positive.");
        if (options.Threads is int threads)
        {
            if (threads < 1) throw new ArgumentOutOfRangeException(nameof(options), "The thread count must be positive.");
            set_num_threads(threads);
        }
        NativeAllocator.KeepLargeBlocks();
        random.manual_seed(options.Seed);
        var order = new Generator((ulong)options.Seed);
        using var optimizer = optim.Adam(model.parameters(), options.LearningRate);
        int n = data.Count;
        int steps = (n + options.BatchSize - 1) / options.BatchSize;
        var summaries = new List<EpochSummary>();
        model.train();
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            double loss = 0, nll = 0, complexity = 0;
            using (var permutation = randperm(n, generator: order).to(data.Inputs.device))
            {
                for (int step = 0; step < steps; step++)
                {
                    using var scope = NewDisposeScope();
                    int start = step * options.BatchSize;
                    var indices = permutation.narrow(0, start, Math.Min(options.BatchSize, n - start));
                    var terms = model.Loss(data.Inputs.index_select(0, indices), data.Targets.index_select(0, indices), n,
                        options.TrainingSamples);
                    double stepLoss = terms.Loss.item<float>();
                    if (!double.IsFinite(stepLoss))
                        throw new TrainingDivergedException(epoch, step + 1, terms.Nll.item<float>(), terms.Complexity.item<float>());
                    optimizer.zero_grad();
                    terms.Loss.backward();
                    optimizer.step();
                    loss += stepLoss;
                    nll += terms.Nll.item<float>();
                    complexity += terms.Complexity.item<float>();
                    progress?.Report(new TrainingProgress(epoch, step + 1, steps, loss / (step + 1), nll / (step + 1), complexity / (step + 1)));
                }
            }
            clock.Stop();
            summaries.Add(new EpochSummary(epoch, loss / steps, nll / steps, complexity / steps, clock.Elapsed.TotalSeconds,
                Process.GetCurrentProcess().WorkingSet64));
        }
        model.eval();
        return summaries;
    }
}
