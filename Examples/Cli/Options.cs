using System;
using System.Collections.Generic;
using System.Globalization;

namespace BnnDsl.Examples.Cli;

/// <summary>A command-line mistake: printed as one line with the usage, never a stack trace.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The options of both jobs. Unknown options and bad values are errors that name the option.</summary>
public sealed record Options
{
    public string Job { get; init; } = "fashion";
    public string Method { get; init; } = "mean-field";
    public string Network { get; init; } = "mlp";
    public string? Model { get; init; }
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
    public LearningRateSchedule? Schedule { get; init; }

    public const string Usage = """
        Usage: bnndsl [fashion|evaluate|toy-regression] [options]

          fashion          train a Fashion-MNIST network (--network) and judge its uncertainty (default)
          evaluate         judge a saved model (--model FILE) as the fashion job does after training,
                           with --data, --ood, --samples, --seed and --out
          toy-regression   fit Blundell et al.'s curve and plot the predictive band

        Options:
          --network NAME   mlp (default: 784-400-400-10 ReLU) or lenet5 (conv 6@5x5 pad 2, pool,
                           conv 16@5x5, pool, 120, 84, 10)
          --method NAME    mean-field (default: the best mean-field declaration), map (baseline),
                           peer-mf, peer-mf-lrt (the peers' setting: Normal(0,1), rho0 = -3; mlp only)
          --epochs N       training epochs (fashion: 20; toy-regression: 1500)
          --data DIR       directory with the Fashion-MNIST IDX files (train-images-idx3-ubyte[.gz], ...);
                           default /usr/share/datasets/fashion-mnist if present, else the embedded subset
          --ood DIR|none   out-of-distribution set (ood-images-idx3-ubyte[.gz] + labels); default: the
                           embedded 10,000 MNIST digits
          --samples S      posterior samples for prediction (default 32); more take longer and estimate the
                           predictive's entropies better, which raises the OOD AUROC slightly (README)
          --seed N         seed for initialisation, minibatch order and posterior draws (default 1)
          --threads N      CPU threads for libtorch (default: all cores)
          --train-size N   use only the first N training examples
          --batch-size N   minibatch size (default 128)
          --lr X           Adam learning rate (fashion: 0.001; toy-regression: 0.01)
          --schedule NAME  constant or cosine: the learning rate's course over the epochs (fashion:
                           cosine, constant for the peer-* rows; toy-regression: constant)
          --out DIR        where metrics.json, the PNGs and the checkpoint go (default ./out)
          --model FILE     evaluate: the checkpoint to judge (out/model.bin after a fashion run)
        """;

    public static Options Parse(IReadOnlyList<string> args)
    {
        var options = new Options();
        int i = 0;
        if (args.Count > 0 && !args[0].StartsWith('-'))
        {
            if (args[0] is not ("fashion" or "evaluate" or "toy-regression")) throw new UsageException($"Unknown job '{args[0]}'.");
            options = options with { Job = args[0] };
            i = 1;
        }
        for (; i < args.Count; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help") throw new UsageException("");
            string Value() => i + 1 < args.Count ? args[++i] : throw new UsageException($"{name} needs a value.");
            options = name switch
            {
                "--method" => options with { Method = Choice(name, Value(), "mean-field", "map", "peer-mf", "peer-mf-lrt") },
                "--network" => options with { Network = Choice(name, Value(), "mlp", "lenet5") },
                "--epochs" => options with { Epochs = Int(name, Value(), 0) },
                "--data" => options with { Data = Value() },
                "--ood" => options with { Ood = Value() },
                "--samples" => options with { Samples = Int(name, Value(), 1) },
                "--seed" => options with { Seed = Int(name, Value(), 0) },
                "--threads" => options with { Threads = Int(name, Value(), 1) },
                "--train-size" => options with { TrainSize = Int(name, Value(), 1) },
                "--batch-size" => options with { BatchSize = Int(name, Value(), 1) },
                "--lr" => options with { LearningRate = Positive(name, Value()) },
                "--schedule" => options with { Schedule = Enum.Parse<LearningRateSchedule>(Choice(name, Value(), "constant", "cosine"), ignoreCase: true) },
                "--out" => options with { Out = Value() },
                "--model" => options with { Model = Value() },
                _ => throw new UsageException($"Unknown option '{name}'."),
            };
        }
        return options;
    }

    static string Choice(string name, string value, params string[] choices) =>
        Array.IndexOf(choices, value) >= 0 ? value : throw new UsageException($"{name} must be one of {string.Join(", ", choices)}; got '{value}'.");

    static int Int(string name, string value, int minimum) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed) && parsed >= minimum
            ? parsed
            : throw new UsageException($"{name} needs an integer ≥ {minimum}; got '{value}'.");

    static double Positive(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) && parsed > 0 && double.IsFinite(parsed)
            ? parsed
            : throw new UsageException($"{name} needs a positive number; got '{value}'.");
}

/// <summary>Names of the option values as the command line and metrics.json spell them.</summary>
public static class OptionNames
{
    /// <summary>"constant" or "cosine", as <c>--schedule</c> takes them.</summary>
    public static string Name(this LearningRateSchedule schedule) => schedule.ToString().ToLowerInvariant();
}
