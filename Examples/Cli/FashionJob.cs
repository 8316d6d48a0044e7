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

/// <summary>
/// The main job: train a Fashion-MNIST declaration (or load one trained before), judge its predictive, write metrics,
/// pictures and the checkpoint.
/// </summary>
public static class FashionJob
{
    /// <summary>Every declaration the main job can train: the network kind, the method, and how to create it.</summary>
    static readonly (string Network, string Method, Type Class, Func<BayesianModule> Create)[] Declarations =
    {
        ("mlp", "mean-field", typeof(FashionMeanField), () => new FashionMeanField()),
        ("mlp", "map", typeof(FashionMap), () => new FashionMap()),
        ("mlp", "peer-mf", typeof(FashionPeerMeanField), () => new FashionPeerMeanField()),
        ("mlp", "peer-mf-lrt", typeof(FashionPeerMeanFieldLrt), () => new FashionPeerMeanFieldLrt()),
        ("lenet5", "mean-field", typeof(LeNet5MeanField), () => new LeNet5MeanField()),
        ("lenet5", "map", typeof(LeNet5Map), () => new LeNet5Map()),
        ("mlp", "mnf", typeof(FashionMnf), () => new FashionMnf()),
        ("lenet5", "mnf", typeof(LeNet5Mnf), () => new LeNet5Mnf()),
        ("mlp", "laplace-ll", typeof(FashionLaplace), () => new FashionLaplace()),
        ("mlp", "laplace-ll-kron", typeof(FashionLaplaceKron), () => new FashionLaplaceKron()),
        ("lenet5", "laplace-ll", typeof(LeNet5Laplace), () => new LeNet5Laplace()),
        ("lenet5", "laplace-ll-kron", typeof(LeNet5LaplaceKron), () => new LeNet5LaplaceKron()),
        ("mlp", "laplace-diag", typeof(FashionLaplaceDiagonal), () => new FashionLaplaceDiagonal()),
        ("mlp", "laplace-kron", typeof(FashionLaplaceAllKron), () => new FashionLaplaceAllKron()),
        ("lenet5", "laplace-diag", typeof(LeNet5LaplaceDiagonal), () => new LeNet5LaplaceDiagonal()),
        ("lenet5", "laplace-kron", typeof(LeNet5LaplaceAllKron), () => new LeNet5LaplaceAllKron()),
        ("mlp", "ensemble", typeof(FashionMapEnsemble), () => new FashionMapEnsemble()),
        ("lenet5", "ensemble", typeof(LeNet5MapEnsemble), () => new LeNet5MapEnsemble()),
        ("mlp", "mean-field-lu", typeof(FashionLogUniform), () => new FashionLogUniform()),
        ("lenet5", "mean-field-lu", typeof(LeNet5LogUniform), () => new LeNet5LogUniform()),
        ("mlp", "dropout", typeof(FashionDropout), () => new FashionDropout()),
        ("lenet5", "dropout", typeof(LeNet5Dropout), () => new LeNet5Dropout()),
        ("mlp", "sgld", typeof(FashionSgld), () => new FashionSgld()),
        ("mlp", "psgld", typeof(FashionPsgld), () => new FashionPsgld()),
        ("mlp", "sghmc", typeof(FashionSghmc), () => new FashionSghmc()),
        ("mlp", "csghmc", typeof(FashionCyclicalSghmc), () => new FashionCyclicalSghmc()),
        ("lenet5", "sgld", typeof(LeNet5Sgld), () => new LeNet5Sgld()),
        ("lenet5", "psgld", typeof(LeNet5Psgld), () => new LeNet5Psgld()),
        ("lenet5", "sghmc", typeof(LeNet5Sghmc), () => new LeNet5Sghmc()),
        ("lenet5", "csghmc", typeof(LeNet5CyclicalSghmc), () => new LeNet5CyclicalSghmc()),
    };

    /// <summary>The declarations with <c>Ensemble = k</c> the main job trains as deep ensembles (<c>--method ensemble</c>).</summary>
    internal static readonly Dictionary<(string Network, string Method), Func<Ensemble>> Ensembles = new()
    {
        [("mlp", "ensemble")] = () => FashionMapEnsemble.CreateEnsemble(),
        [("lenet5", "ensemble")] = () => LeNet5MapEnsemble.CreateEnsemble(),
    };

    /// <summary>The declaration the main job trains for <paramref name="network"/> and <paramref name="method"/>.</summary>
    public static BayesianModule CreateNetwork(string method, string network = "mlp")
    {
        foreach (var d in Declarations)
            if (d.Network == network && d.Method == method) return d.Create();
        var methods = Declarations.Where(d => d.Network == network).Select(d => d.Method);
        throw new UsageException($"No {network} declaration for --method {method}: use {string.Join(", ", methods)}.");
    }

    /// <summary>The network kind and method of the declaration class <paramref name="className"/>, for a checkpoint.</summary>
    static (string Network, string Method, Func<BayesianModule> Create)? FindDeclaration(string className)
    {
        foreach (var d in Declarations)
            if (d.Class.Name == className) return (d.Network, d.Method, d.Create);
        return null;
    }

    /// <summary>
    /// The declaration that wrote the checkpoint at <paramref name="path"/>, created and loaded, with its network kind and
    /// method; a checkpoint of another declaration, or one that cannot be read, fails naming the file.
    /// </summary>
    public static (BayesianModule Model, string Network, string Method) Load(string path)
    {
        var header = Checkpoint.ReadHeader(path);
        var declaration = FindDeclaration(header.Network)
            ?? throw new InvalidDataException($"'{path}' was written by {header.Network}, which is not a declaration of this tool.");
        var model = declaration.Create();
        try { model.Load(path); }
        catch { model.Dispose(); throw; }
        return (model, declaration.Network, declaration.Method);
    }

    /// <summary>
    /// The learning rate's course unless <c>--schedule</c> says otherwise: the peers' rows keep the peers' constant
    /// Adam; the default declaration and its MAP baseline anneal it (cosine), which fits both better in 20 epochs.
    /// </summary>
    public static LearningRateSchedule DefaultSchedule(string method) =>
        method.StartsWith("peer-", StringComparison.Ordinal) ? LearningRateSchedule.Constant : LearningRateSchedule.Cosine;

    /// <summary>
    /// The KL warm-up unless <c>--kl-warmup</c> says otherwise: the log-uniform prior's KL is warmed over the first half
    /// of the epochs (without it every weight is pruned, docs/BENCHMARKS.md); every other row has the full KL throughout.
    /// </summary>
    public static double DefaultKlWarmUp(string method, int epochs) => method == "mean-field-lu" ? epochs / 2.0 : 0;

    /// <summary>The fit a training command runs for <paramref name="method"/>: its options, else each method's defaults.</summary>
    public static FitOptions FitFor(string method, Options options)
    {
        int epochs = options.Epochs ?? 20;
        return new FitOptions
        {
            Epochs = epochs, Seed = options.Seed, BatchSize = options.BatchSize, LearningRate = options.LearningRate ?? 1e-3,
            Schedule = options.Schedule ?? DefaultSchedule(method), Threads = options.Threads,
            KlWarmUpEpochs = options.KlWarmUp ?? DefaultKlWarmUp(method, epochs),
            KlWeight = options.KlWeight ?? 1,
        };
    }

    /// <summary>A sampler's step size and temperature are its own: --lr and --temperature, when given, replace the declared η0 and T.</summary>
    internal static void ApplySamplerOptions(BayesianModule model, Options options)
    {
        if (model.Predictor is SampleStore declared)
            declared.Settings = declared.Settings with
            {
                StepSize = options.LearningRate ?? declared.Settings.StepSize,
                Temperature = options.Temperature ?? declared.Settings.Temperature,
            };
    }

    /// <summary>The test set and, unless <c>--ood none</c>, the out-of-distribution set, announced as they load.</summary>
    internal static (LabelledData Test, LabelledData? Ood, string DataDirectory, string Description) ReadEvaluationData(Options options)
    {
        var (dataDirectory, dataDescription) = DataSources.Fashion(options.Data);
        AnsiConsole.MarkupLine($"[bold]Data:[/] {Markup.Escape(dataDescription)}");
        var test = DataSources.Read(dataDirectory, "t10k");
        LabelledData? ood = null;
        string oodDirectory = options.Ood ?? DataSources.EmbeddedDirectory;
        if (options.Ood != "none")
        {
            ood = DataSources.Read(oodDirectory, "ood");
            AnsiConsole.MarkupLine($"[bold]Out of distribution:[/] {ood.Count} MNIST digits from {Markup.Escape(oodDirectory)}");
        }
        return (test, ood, dataDirectory, dataDescription);
    }

    public static int Run(Options options)
    {
        var (test, ood, dataDirectory, dataDescription) = ReadEvaluationData(options);
        using var disposeTest = test;
        using var disposeOod = ood;
        using var fullTrain = DataSources.Read(dataDirectory, "train");
        var train = options.TrainSize is int size ? fullTrain.Take(size) : fullTrain;
        AnsiConsole.MarkupLine($"[bold]Train / test:[/] {train.Count} / {test.Count} images");

        random.manual_seed(options.Seed);
        using var model = CreateNetwork(options.Method, options.Network);
        Announce(model);

        int epochs = options.Epochs ?? 20;
        var fit = FitFor(options.Method, options);
        ApplySamplerOptions(model, options);
        string rule = model.Predictor is SampleStore sampler
            ? string.Format(CultureInfo.InvariantCulture, "{0} η {1} ({2}), T {4}, {3} samples", sampler.Settings.Method, sampler.Settings.StepSize,
                sampler.Settings.Cycles > 0 ? $"{sampler.Settings.Cycles} cosine cycles" : "polynomial decay", sampler.Settings.Samples, sampler.Settings.Temperature)
            : string.Format(CultureInfo.InvariantCulture, "Adam {0} ({1}{2})", fit.LearningRate, fit.Schedule.Name(),
                (fit.KlWarmUpEpochs > 0 ? $", KL warmed up over {fit.KlWarmUpEpochs} epochs" : "") + (fit.KlWeight != 1 ? $", KL weight {fit.KlWeight}" : ""));
        AnsiConsole.MarkupLine(string.Format(CultureInfo.InvariantCulture, "[bold]Training:[/] {0} epochs, {1}, batch {2}, seed {3}",
            epochs, Markup.Escape(rule), fit.BatchSize, fit.Seed));
        string complexityLabel = model.IsStochastic ? "kl" : "-log prior";
        IReadOnlyList<EpochSummary> epochsRun = Array.Empty<EpochSummary>();
        using var ensemble = Ensembles.TryGetValue((options.Network, options.Method), out var makeEnsemble) ? makeEnsemble() : null;
        try
        {
            if (ensemble is not null)
                // Each member is its own job on its own seed (Ensemble.FitMember); here they run one after another.
                epochsRun = Enumerable.Range(0, ensemble.Count).SelectMany(k =>
                {
                    AnsiConsole.MarkupLine($"[bold]Member {k + 1} of {ensemble.Count}[/] (seed {Ensemble.MemberSeed(fit.Seed, k)})");
                    return ensemble.FitMember(k, train, fit, new ConsoleProgress(null, complexityLabel));
                }).ToArray();
            else if (AnsiConsole.Profile.Capabilities.Interactive)
                AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn())
                    .Start(context => epochsRun = Trainer.Fit(model, train, fit, new ConsoleProgress(context, complexityLabel)));
            else
                epochsRun = Trainer.Fit(model, train, fit, new ConsoleProgress(null, complexityLabel));
        }
        catch (TrainingDivergedException e)
        {
            // The parameters are those of the last finite step: keep them rather than lose the run.
            Directory.CreateDirectory(options.Out);
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
        if (ensemble is not null) ensemble.Save(Path.Combine(options.Out, "model.bin"));
        else model.Save(Path.Combine(options.Out, "model.bin"));
        var training = new Dictionary<string, object?>
        {
            ["train_size"] = train.Count,
            ["epochs"] = epochs,
            ["learning_rate"] = model.Predictor is SampleStore store ? store.Settings.StepSize : fit.LearningRate,
            ["schedule"] = fit.Schedule.Name(),
            ["kl_warmup_epochs"] = fit.KlWarmUpEpochs,
            ["kl_weight"] = fit.KlWeight,
            ["seconds_per_epoch"] = epochsRun.Count == 0 ? null : Statistics.Median(epochsRun.Select(e => e.Seconds)),
            ["seed"] = options.Seed,
            ["epoch_seconds"] = epochsRun.Select(e => Math.Round(e.Seconds, 3)).ToArray(),
            ["resident_mib"] = epochsRun.Select(e => Math.Round(e.ResidentBytes / 1048576.0, 1)).ToArray(),
        };
        if (ensemble is not null)
        {
            training["ensemble_members"] = ensemble.Count;
            Judge(ensemble.Members[0]!, options.Method, options.Network, dataDescription, test, ood, options, training,
                $"model.member0.bin … model.member{ensemble.Count - 1}.bin", ensemble.Predict);
        }
        else Judge(model, options.Method, options.Network, dataDescription, test, ood, options, training, "model.bin");
        return 0;
    }

    /// <summary>
    /// <c>bnndsl evaluate --model FILE</c>: the metrics, pictures and metrics.json of a saved model, without training. The
    /// checkpoint's header names the declaration that wrote it.
    /// </summary>
    public static int Evaluate(Options options)
    {
        string path = options.Model ?? throw new UsageException("evaluate needs --model FILE, a checkpoint the main job wrote.");
        var (loaded, network, method) = Load(path); // before the data: a checkpoint that cannot be read fails at once
        using var model = loaded;
        AnsiConsole.MarkupLine($"[bold]Model:[/] {Markup.Escape(path)}");
        var (test, ood, _, dataDescription) = ReadEvaluationData(options);
        using var disposeTest = test;
        using var disposeOod = ood;
        Announce(model);
        random.manual_seed(options.Seed);
        var training = new Dictionary<string, object?>
        {
            ["model"] = path, ["train_size"] = null, ["epochs"] = null, ["learning_rate"] = null, ["schedule"] = null,
            ["seconds_per_epoch"] = null, ["seed"] = options.Seed, ["epoch_seconds"] = null, ["resident_mib"] = null,
        };
        Judge(model, method, network, dataDescription, test, ood, options, training, checkpoint: null);
        return 0;
    }

    static void Announce(BayesianModule model)
    {
        long parameterCount = model.parameters().Sum(p => p.numel());
        AnsiConsole.MarkupLine($"[bold]Network:[/] {Markup.Escape(model.GetType().Name)} — {Markup.Escape(model.Summary)} ({parameterCount:N0} parameters)");
    }

    /// <summary>
    /// Predicts the test and out-of-distribution sets, prints the metrics table and writes metrics.json, reliability.png
    /// and entropy.png into <c>--out</c>: the same for a model just trained and for one loaded.
    /// </summary>
    internal static void Judge(BayesianModule model, string method, string network, string dataDescription, LabelledData test, LabelledData? ood,
        Options options, Dictionary<string, object?> training, string? checkpoint, Func<Tensor, int, int, Predictive>? predictor = null)
    {
        var predict = predictor ?? model.Predict;
        Directory.CreateDirectory(options.Out);
        // Prediction time (S forward passes per image) is reported beside training time: it grows with --samples.
        var predictionClock = Stopwatch.StartNew();
        using var predictive = predict(test.Inputs, options.Samples, 1000);
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
            using var oodPredictive = predict(ood.Inputs, options.Samples, 1000);
            oodEntropy = Metrics.Entropies(oodPredictive);
            predictionClock.Stop();
            auroc = Metrics.Auroc(testEntropy, oodEntropy);
        }

        var report = new Dictionary<string, object?>
        {
            ["method"] = method,
            ["network_kind"] = network,
            ["network"] = model.GetType().Name,
            ["declaration"] = model.Summary,
            ["dataset"] = dataDescription,
            ["test_size"] = test.Count,
            ["test_error"] = metrics.Error,
            ["nll"] = metrics.Nll,
            ["brier"] = metrics.Brier,
            ["ece"] = metrics.Ece,
            ["mean_entropy"] = metrics.MeanEntropy,
            ["ood_auroc"] = auroc,
            ["ood_mean_entropy"] = oodEntropy?.Average(),
            ["posterior_samples"] = predictive.Samples,
            ["prediction_seconds"] = predictionClock.Elapsed.TotalSeconds,
            ["threads"] = get_num_threads(),
            ["mkl_by_instruction_sets"] = CpuKernels.MklChoosesByInstructionSets,
        };
        if (model.AfterTraining is LaplaceApproximation laplace)
        {
            report["fit_seconds"] = laplace.FitSeconds;
            report["laplace_weights"] = laplace.ParameterCount;
            report["prior_precision"] = laplace.PriorPrecision;
            if (laplace.PriorPrecisions.Length > 1) report["prior_precisions"] = laplace.PriorPrecisions;
            report["log_marginal_likelihood"] = laplace.LogMarginalLikelihood();
        }
        if (model.Predictor is SampleStore store)
        {
            report["samples_kept"] = store.Kept;
            report["temperature"] = store.Settings.Temperature;
            report["sample_steps"] = store.SampleSteps;
        }
        foreach (var (key, value) in training) report[key] = value;
        string json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.Replace(Path.Combine(options.Out, "metrics.json"), temporary => File.WriteAllText(temporary, json));

        var bins = Metrics.Reliability(probabilities, labels);
        Plots.ReliabilityDiagram(bins, $"{model.GetType().Name}: reliability (ECE {metrics.Ece:F4})", Path.Combine(options.Out, "reliability.png"));
        Plots.EntropyHistogram(testEntropy, oodEntropy, "Fashion-MNIST test (in distribution)", "MNIST digits (out of distribution)",
            auroc is null ? "predictive entropy" : $"predictive entropy (OOD AUROC {auroc:F3})", Path.Combine(options.Out, "entropy.png"));

        var secondsPerEpoch = training.GetValueOrDefault("seconds_per_epoch") as double?;
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
        AnsiConsole.MarkupLine($"Wrote {Markup.Escape(Path.Combine(options.Out, "metrics.json"))}, reliability.png, entropy.png{(checkpoint is null ? "" : $" and {checkpoint}")}.");
    }
}
