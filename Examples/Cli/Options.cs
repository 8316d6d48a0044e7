using System;

namespace BnnDsl.Examples.Cli;

/// <summary>A command-line mistake found by a job (not by the parser): printed as one line, never a stack trace.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>What the command line asked for, as the jobs read it (<see cref="CommandLine"/> parses it).</summary>
public sealed record Options
{
    public string Job { get; init; } = "train";
    public string Method { get; init; } = "mean-field";
    public string Network { get; init; } = "mlp";
    public string? Model { get; init; }
    public string[]? Models { get; init; }
    public string Methods { get; init; } = "map,mean-field,mnf";
    public string Experiment { get; init; } = "five-classes";
    public int AngleStep { get; init; } = 15;
    public int? TestSize { get; init; }
    public int? Epochs { get; init; }
    public string? Data { get; init; }
    public string? Ood { get; init; }
    public int Samples { get; init; } = 32;
    public long Seed { get; init; } = 1;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public string Out { get; init; } = "out";
    public int? TrainSize { get; init; }
    public int BatchSize { get; init; } = 128;
    public double? LearningRate { get; init; }
    public double? Temperature { get; init; }
    public double? KlWarmUp { get; init; }
    /// <summary>--kl-weight: the KL term's weight β once warmed up (1: the ELBO; below 1 a tempered posterior).</summary>
    public double? KlWeight { get; init; }
    /// <summary>The run directory of plan's units (work, run-local, gather).</summary>
    public string? Run { get; init; }
    /// <summary>Whether --out was given (gather writes into the run directory otherwise).</summary>
    public bool OutGiven { get; init; }
    public int? Members { get; init; }
    public int? Chains { get; init; }
    public string? Sweep { get; init; }
    public int? Shards { get; init; }
    public int? Index { get; init; }
    public bool AllUnits { get; init; }
    public int Workers { get; init; } = 1;
    /// <summary>Seconds between a unit's resume points (work).</summary>
    public double ResumeEvery { get; init; } = 60;
    /// <summary>Threads per worker process (plan's job files, run-local).</summary>
    public int? WorkerThreads { get; init; }
    public LearningRateSchedule? Schedule { get; init; }
}

/// <summary>Names of the option values as the command line and metrics.json spell them.</summary>
public static class OptionNames
{
    /// <summary>"constant" or "cosine", as <c>--schedule</c> takes them.</summary>
    public static string Name(this LearningRateSchedule schedule) => schedule.ToString().ToLowerInvariant();
}
