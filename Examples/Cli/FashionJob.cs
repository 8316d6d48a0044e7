using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using BnnDsl.Examples.Networks;
using Spectre.Console;
using static TorchSharp.torch;

namespace BnnDsl.Examples.Cli;

/// <summary>The main job: train a Fashion-MNIST MLP declaration, judge its predictive, write metrics and pictures.</summary>
public static class FashionJob
{
    /// <summary>The declaration the main job trains for <paramref name="network"/> and <paramref name="method"/>.</summary>
    public static BayesianModule CreateNetwork(string method, string network = "mlp") => network switch
    {
        "lenet5" => method switch
        {
            "map" => new LeNet5Map(),
            "mean-field" => new LeNet5MeanField(),
            _ => throw new UsageException($"No LeNet-5 declaration for --method {method}: use map or mean-field."),
        },
        _ => CreateMlp(method),
    };

    static BayesianModule CreateMlp(string method) => method switch
    {
        "map" => new FashionMap(),
        "peer-mf" => new FashionPeerMeanField(),
        "peer-mf-lrt" => new FashionPeerMeanFieldLrt(),
        _ => new FashionMeanField(),
    };

    /// <summary>
    /// The learning rate's course unless <c>--schedule</c> says otherwise: the peers' rows keep the peers' constant
    /// Adam; the default declaration and its MAP baseline anneal it (cosine), which fits both better in 20 epochs.
    /// </summary>
    public static LearningRateSchedule DefaultSchedule(string method) =>
        method.StartsWith("peer-", StringComparison.Ordinal) ? LearningRateSchedule.Constant : LearningRateSchedule.Cosine;

    public static int Run(Options options)
    {
        var (dataDirectory, dataDescription) = DataSources.Fashion(options.Data);
        AnsiConsole.MarkupLine($"[bold]Data:[/] {Markup.Escape(dataDescription)}");
        using var fullTrain = DataSources.Read(dataDirectory, "train");
        using var test = DataSources.Read(dataDirectory, "t10k");
        var train = options.TrainSize is int size ? fullTrain.Take(size) : fullTrain;
        LabelledData? ood = null;
        string oodDirectory = options.Ood ?? DataSources.EmbeddedDirectory;
        if (options.Ood != "none")
        {
            ood = DataSources.Read(oodDirectory, "ood");
            AnsiConsole.MarkupLine($"[bold]Out of distribution:[/] {ood.Count} MNIST digits from {Markup.Escape(oodDirectory)}");
        }
        AnsiConsole.MarkupLine($"[bold]Train / test:[/] {train.Count} / {test.Count} images");

        random.manual_seed(options.Seed);
        using var model = CreateNetwork(options.Method, options.Network);
        long parameterCount = model.parameters().Sum(p => p.numel());
        AnsiConsole.MarkupLine($"[bold]Network:[/] {Markup.Escape(model.GetType().Name)} — {Markup.Escape(model.Summary)} ({parameterCount:N0} parameters)");

        int epochs = options.Epochs ?? 20;
        var fit = new FitOptions { Epochs = epochs, Seed = options.Seed, BatchSize = options.BatchSize, LearningRate = options.LearningRate ?? 1e-3,
            Schedule = options.Schedule ?? DefaultSchedule(options.Method), Threads = options.Threads };
        AnsiConsole.MarkupLine(string.Format(CultureInfo.InvariantCulture, "[bold]Training:[/] {0} epochs, Adam {1} ({2}), batch {3}, seed {4}",
            epochs, fit.LearningRate, fit.Schedule.Name(), fit.BatchSize, fit.Seed));
        string complexityLabel = model.IsStochastic ? "kl" : "-log prior";
        IReadOnlyList<EpochSummary> epochsRun = Array.Empty<EpochSummary>();
        try
        {
            if (AnsiConsole.Profile.Capabilities.Interactive)
                AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn())
                    .Start(context => epochsRun = Trainer.Fit(model, train, fit, new ConsoleProgress(context, complexityLabel)));
            else
                epochsRun = Trainer.Fit(model, train, fit, new ConsoleProgress(null, complexityLabel));
        }
        catch (TrainingDivergedException e)
        {
            // The parameters are those of the last finite step: keep them rather than lose the run.
            string saved = Path.Combine(options.Out, "model-before-divergence.bin");
            model.Save(saved);
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            AnsiConsole.MarkupLine($"Saved the parameters before the failing step to {Markup.Escape(saved)}.");
            return 3;
        }
        foreach (var e in epochsRun)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {e.Epoch,2}: loss {e.Loss:F4}  nll {e.Nll:F4}  {complexityLabel} {e.Complexity:F0}  {e.Seconds:F2} s  resident {e.ResidentBytes / 1048576.0:F0} MiB"));

        Directory.CreateDirectory(options.Out);
        model.Save(Path.Combine(options.Out, "model.bin"));

        // Prediction time (S forward passes per image) is reported beside training time: it grows with --samples.
        var predictionClock = Stopwatch.StartNew();
        using var predictive = model.Predict(test.Inputs, options.Samples);
        // The predictive as plain rows once, for the metrics, the entropies and the reliability diagram.
        var probabilities = Metrics.ToRows(predictive.Probabilities);
        predictionClock.Stop();
        var labels = Metrics.ToLabels(test.Targets);
        var metrics = Metrics.Evaluate(probabilities, labels);
        var testEntropy = probabilities.Select(Metrics.Entropy).ToArray();
        double? auroc = null;
        double[]? oodEntropy = null;
        if (ood is not null)
        {
            predictionClock.Start();
            using var oodPredictive = model.Predict(ood.Inputs, options.Samples);
            oodEntropy = Metrics.Entropies(oodPredictive);
            predictionClock.Stop();
            auroc = Metrics.Auroc(testEntropy, oodEntropy);
            ood.Dispose();
        }

        double? secondsPerEpoch = epochsRun.Count == 0 ? null : Statistics.Median(epochsRun.Select(e => e.Seconds));
        var report = new Dictionary<string, object?>
        {
            ["method"] = options.Method,
            ["network_kind"] = options.Network,
            ["network"] = model.GetType().Name,
            ["declaration"] = model.Summary,
            ["dataset"] = dataDescription,
            ["train_size"] = train.Count,
            ["test_size"] = test.Count,
            ["epochs"] = epochs,
            ["learning_rate"] = fit.LearningRate,
            ["schedule"] = fit.Schedule.Name(),
            ["test_error"] = metrics.Error,
            ["nll"] = metrics.Nll,
            ["brier"] = metrics.Brier,
            ["ece"] = metrics.Ece,
            ["mean_entropy"] = metrics.MeanEntropy,
            ["ood_auroc"] = auroc,
            ["ood_mean_entropy"] = oodEntropy?.Average(),
            ["seconds_per_epoch"] = secondsPerEpoch,
            ["posterior_samples"] = predictive.Samples,
            ["prediction_seconds"] = predictionClock.Elapsed.TotalSeconds,
            ["seed"] = options.Seed,
            ["threads"] = get_num_threads(),
            ["mkl_by_instruction_sets"] = CpuKernels.MklChoosesByInstructionSets,
            ["epoch_seconds"] = epochsRun.Select(e => Math.Round(e.Seconds, 3)).ToArray(),
            ["resident_mib"] = epochsRun.Select(e => Math.Round(e.ResidentBytes / 1048576.0, 1)).ToArray(),
        };
        string json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.Replace(Path.Combine(options.Out, "metrics.json"), temporary => File.WriteAllText(temporary, json));

        var bins = Metrics.Reliability(probabilities, labels);
        Plots.ReliabilityDiagram(bins, $"{model.GetType().Name}: reliability (ECE {metrics.Ece:F4})", Path.Combine(options.Out, "reliability.png"));
        Plots.EntropyHistogram(testEntropy, oodEntropy, "Fashion-MNIST test (in distribution)", "MNIST digits (out of distribution)",
            auroc is null ? "predictive entropy" : $"predictive entropy (OOD AUROC {auroc:F3})", Path.Combine(options.Out, "entropy.png"));

        var table = new Table().AddColumns("metric", "value");
        table.AddRow("test error", $"{metrics.Error:P2}");
        table.AddRow("NLL", $"{metrics.Nll:F4}");
        table.AddRow("Brier", $"{metrics.Brier:F4}");
        table.AddRow("ECE (15 bins)", $"{metrics.Ece:F4}");
        table.AddRow("mean entropy", $"{metrics.MeanEntropy:F4}");
        table.AddRow("OOD AUROC (entropy)", auroc is null ? "n/a" : $"{auroc:F4}");
        table.AddRow("s / epoch (median)", secondsPerEpoch is null ? "n/a" : $"{secondsPerEpoch:F2}");
        table.AddRow("posterior samples", predictive.Samples.ToString(CultureInfo.InvariantCulture));
        table.AddRow(ood is null ? "prediction s" : "prediction s (test + OOD)", predictionClock.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Wrote {Markup.Escape(Path.Combine(options.Out, "metrics.json"))}, reliability.png, entropy.png and model.bin.");
        return 0;
    }
}
