using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Spectre.Console;
using static TorchSharp.torch;

namespace BnnDsl.Examples.Cli;

/// <summary>
/// The seed's two uncertainty experiments on Fashion-MNIST (Louizos &amp; Welling 2017, §4): predictions on test images
/// rotated through 0–180° by saved models (<c>bnndsl rotation</c>), and training on classes 0–4 only, judged by how
/// much more uncertain the predictive is on the five unseen classes (<c>bnndsl five-classes</c>).
/// </summary>
public static class Experiments
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// <c>bnndsl rotation --models A.bin B.bin …</c>: each model's test error, NLL and mean predictive entropy on the
    /// first <c>--test-size</c> test images rotated by every <c>--angle-step</c> degrees from 0 to 180; writes
    /// rotation.json and rotation.png (error and entropy against the angle, one colour per model).
    /// </summary>
    public static int Rotation(Options options)
    {
        if (options.Models is not { Length: > 0 } paths) throw new UsageException("rotation needs --models FILE..., checkpoints the main job wrote.");
        var angles = Angles(options.AngleStep);
        var models = paths.Select(path => (Path: path, Loaded: FashionJob.Load(path))).ToList(); // every checkpoint checked before any work
        try
        {
            var (dataDirectory, description) = DataSources.Fashion(options.Data);
            AnsiConsole.MarkupLine($"[bold]Data:[/] {Markup.Escape(description)}");
            using var fullTest = DataSources.Read(dataDirectory, "t10k");
            using var test = fullTest.Take(options.TestSize ?? 2000);
            AnsiConsole.MarkupLine($"[bold]Rotating[/] {test.Count} test images by {string.Join(", ", angles)}°; {options.Samples} posterior samples");
            var rows = new List<Dictionary<string, object?>>();
            var curves = new List<(string Label, double[] Errors, double[] Entropies)>();
            foreach (var (path, (model, network, method)) in models)
            {
                string label = $"{network} {method}";
                var (errors, nlls, entropies) = RotationCurve(inputs => model.Predict(inputs, options.Samples), test, angles, options.Seed, label);
                curves.Add((label, errors, entropies));
                rows.Add(new()
                {
                    ["model"] = path, ["network"] = model.GetType().Name, ["network_kind"] = network, ["method"] = method,
                    ["test_error"] = errors, ["nll"] = nlls, ["mean_entropy"] = entropies,
                });
            }
            Directory.CreateDirectory(options.Out);
            File.WriteAllText(Path.Combine(options.Out, "rotation.json"), JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["dataset"] = description, ["test_size"] = test.Count, ["posterior_samples"] = options.Samples, ["seed"] = options.Seed,
                ["angles_degrees"] = angles, ["models"] = rows,
            }, Indented));
            Plots.AgainstAngle(angles.Select(a => (double)a).ToArray(), curves, $"Rotated Fashion-MNIST test images ({test.Count})",
                Path.Combine(options.Out, "rotation.png"));
            Console.WriteLine($"Wrote {Path.Combine(options.Out, "rotation.json")} and rotation.png.");
            return 0;
        }
        finally
        {
            foreach (var (_, loaded) in models) loaded.Model.Dispose();
        }
    }

    /// <summary>Every <paramref name="step"/> degrees from 0 to 180.</summary>
    static int[] Angles(int step) => Enumerable.Range(0, 180 / step + 1).Select(i => i * step).ToArray();

    /// <summary>
    /// The error, NLL and mean predictive entropy of <paramref name="predict"/> on <paramref name="test"/> rotated by
    /// each angle (each predictive's draws seeded alike); printed as two lines under <paramref name="label"/>.
    /// </summary>
    static (double[] Errors, double[] Nlls, double[] Entropies) RotationCurve(Func<Tensor, Predictive> predict, LabelledData test,
        int[] angles, long seed, string label)
    {
        var errors = new double[angles.Length];
        var entropies = new double[angles.Length];
        var nlls = new double[angles.Length];
        for (int a = 0; a < angles.Length; a++)
        {
            using var scope = NewDisposeScope();
            random.manual_seed(seed);
            var rotated = ImageData.Rotate(test.Inputs, angles[a]);
            using var predictive = predict(rotated);
            var metrics = Metrics.Evaluate(predictive, test.Targets);
            (errors[a], nlls[a], entropies[a]) = (metrics.Error, metrics.Nll, metrics.MeanEntropy);
        }
        Console.WriteLine($"{label,-18} error  {string.Join(" ", errors.Select(e => (100 * e).ToString("F1", CultureInfo.InvariantCulture).PadLeft(5)))} %");
        Console.WriteLine($"{"",-18} entropy {string.Join(" ", entropies.Select(e => e.ToString("F3", CultureInfo.InvariantCulture).PadLeft(5)))}");
        return (errors, nlls, entropies);
    }

    /// <summary>
    /// <c>bnndsl five-classes --methods map,mean-field,mnf</c>: trains each method on the training images of classes 0–4,
    /// then reports the test error on those classes and the entropy AUROC between their test images and the unseen
    /// classes' (5–9); writes five-classes.json, one entropy histogram PNG per method and each model's checkpoint.
    /// </summary>
    public static int FiveClasses(Options options)
    {
        var methods = options.Methods.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var method in methods) FashionJob.CreateNetwork(method, options.Network).Dispose(); // a bad name fails before training
        var (dataDirectory, description) = DataSources.Fashion(options.Data);
        AnsiConsole.MarkupLine($"[bold]Data:[/] {Markup.Escape(description)}");
        using var fullTrain = DataSources.Read(dataDirectory, "train");
        using var fullTest = DataSources.Read(dataDirectory, "t10k");
        using var train = Select(fullTrain, seen: true, options.TrainSize);
        using var seenTest = Select(fullTest, seen: true);
        using var unseenTest = Select(fullTest, seen: false);
        AnsiConsole.MarkupLine($"[bold]Classes 0–4:[/] {train.Count} training images; test {seenTest.Count} seen, {unseenTest.Count} unseen (classes 5–9)");
        Directory.CreateDirectory(options.Out);
        var rows = new List<Dictionary<string, object?>>();
        foreach (var method in methods)
        {
            random.manual_seed(options.Seed);
            using var model = FashionJob.CreateNetwork(method, options.Network);
            var fit = FashionJob.FitFor(method, options);
            var epochsRun = Trainer.Fit(model, train, fit);
            model.Save(Path.Combine(options.Out, $"{method}.bin"));
            var (metrics, seenEntropies, unseenEntropies, auroc) = JudgeAgainstOutliers(inputs => model.Predict(inputs, options.Samples), seenTest, unseenTest, options.Seed);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{options.Network} {method,-10} seen-class error {metrics.Error:P2}  NLL {metrics.Nll:F3}  entropy seen {seenEntropies.Average():F3} unseen {unseenEntropies.Average():F3}  AUROC {auroc:F3}  ({Statistics.Median(epochsRun.Select(e => e.Seconds)):F1} s/epoch)"));
            Plots.EntropyHistogram(seenEntropies, unseenEntropies, "classes 0–4 (seen)", "classes 5–9 (unseen)",
                $"{model.GetType().Name} trained on classes 0–4: AUROC {auroc.ToString("F3", CultureInfo.InvariantCulture)}",
                Path.Combine(options.Out, $"five-classes-{method}.png"));
            rows.Add(new()
            {
                ["method"] = method, ["network"] = model.GetType().Name, ["test_error"] = metrics.Error, ["nll"] = metrics.Nll, ["ece"] = metrics.Ece,
                ["seen_mean_entropy"] = seenEntropies.Average(), ["unseen_mean_entropy"] = unseenEntropies.Average(), ["unseen_auroc"] = auroc,
                ["seconds_per_epoch"] = Statistics.Median(epochsRun.Select(e => e.Seconds)), ["model"] = Path.Combine(options.Out, $"{method}.bin"),
            });
        }
        File.WriteAllText(Path.Combine(options.Out, "five-classes.json"), JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["dataset"] = description, ["network_kind"] = options.Network, ["train_size"] = train.Count, ["seen_test_size"] = seenTest.Count,
            ["unseen_test_size"] = unseenTest.Count, ["epochs"] = options.Epochs ?? 20, ["posterior_samples"] = options.Samples, ["seed"] = options.Seed,
            ["methods"] = rows,
        }, Indented));
        Console.WriteLine($"Wrote {Path.Combine(options.Out, "five-classes.json")} and five-classes-METHOD.png.");
        return 0;
    }

    /// <summary>
    /// The seed's rows — L2 (MAP), dropout, a deep ensemble, FFG (mean-field), FFLU (<c>mean-field-lu</c>, its KL warmed
    /// up over half the epochs), MNF — plus Laplace and a sampler.
    /// </summary>
    public const string CompareRows = "map,dropout,ensemble,mean-field,mean-field-lu,mnf,laplace-ll-kron,csghmc";

    /// <summary>
    /// <c>bnndsl compare</c>: trains every row (<c>--methods</c>) on the experiment's training images and judges each on
    /// its test images — the error, NLL and ECE on the classes it was trained on, and the entropy AUROC and mean entropy
    /// on the outliers (the unseen classes 5–9, the MNIST digits, or the test images rotated by 90°). Writes compare.md
    /// (the seed's table), compare.json and compare-entropy.png (each row's outlier-entropy CDF); the rotation experiment
    /// adds each row's error and entropy over 0–180° (compare-rotation.png). A row that fails is reported and the rest go on.
    /// </summary>
    public static int Compare(Options options)
    {
        var methods = options.Methods.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var method in methods) FashionJob.CreateNetwork(method, options.Network).Dispose(); // a bad name fails before training
        bool fiveClasses = options.Experiment == "five-classes", rotation = options.Experiment == "rotation";
        var (fullTest, ood, dataDirectory, description) = FashionJob.ReadEvaluationData(options with { Ood = options.Experiment == "digits" ? options.Ood : "none" });
        using var disposeTest = fullTest;
        using var disposeOod = ood;
        using var fullTrain = DataSources.Read(dataDirectory, "train");
        using var train = fiveClasses ? Select(fullTrain, seen: true, options.TrainSize) : fullTrain.Take(options.TrainSize ?? fullTrain.Count);
        using var seenTest = fiveClasses ? Select(fullTest, seen: true) : fullTest.Take(fullTest.Count);
        using var outliers = fiveClasses ? Select(fullTest, seen: false)
            : rotation ? new LabelledData(ImageData.Rotate(fullTest.Inputs, 90), fullTest.Targets.clone(), $"{fullTest.Description}, rotated 90°")
            : ood?.Take(ood.Count) ?? throw new UsageException("--experiment digits needs an out-of-distribution set: leave --ood at its default.");
        string outlierName = fiveClasses ? "unseen classes 5–9" : rotation ? "test images rotated 90°" : "MNIST digits";
        // The rotation experiment's curves: each row's error and entropy on the first --test-size test images at every angle.
        using var curveTest = rotation ? fullTest.Take(Math.Min(options.TestSize ?? 2000, fullTest.Count)) : null;
        var angles = Angles(options.AngleStep);
        var rotationCurves = new List<(string Label, double[] Errors, double[] Entropies)>();
        AnsiConsole.MarkupLine($"[bold]{options.Experiment}:[/] {train.Count} training images; {seenTest.Count} test images; {outliers.Count} outliers ({outlierName})");
        Directory.CreateDirectory(options.Out);
        var rows = new List<Dictionary<string, object?>>();
        var curves = new List<(string Label, double[] Entropies)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int r = 0; r < methods.Length; r++)
        {
            string method = methods[r];
            AnsiConsole.MarkupLine($"[bold]Row {r + 1} of {methods.Length}:[/] {method}");
            try
            {
                var rowClock = System.Diagnostics.Stopwatch.StartNew();
                var fit = FashionJob.FitFor(method, options);
                random.manual_seed(options.Seed);
                using var model = FashionJob.CreateNetwork(method, options.Network);
                using var ensemble = FashionJob.Ensembles.TryGetValue((options.Network, method), out var makeEnsemble) ? makeEnsemble() : null;
                Func<Tensor, Predictive> predict;
                if (ensemble is not null)
                {
                    ensemble.Fit(train, fit);
                    predict = inputs => ensemble.Predict(inputs, options.Samples);
                }
                else
                {
                    Trainer.Fit(model, train, fit);
                    predict = inputs => model.Predict(inputs, options.Samples);
                }
                double trainSeconds = rowClock.Elapsed.TotalSeconds;
                var (metrics, seenEntropies, unseenEntropies, auroc) = JudgeAgainstOutliers(predict, seenTest, outliers, options.Seed);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{method,-16} error {metrics.Error:P2}  NLL {metrics.Nll:F3}  ECE {metrics.Ece:F3}  outlier entropy {unseenEntropies.Average():F3}  AUROC {auroc:F3}  ({trainSeconds:F0} s training)"));
                curves.Add((method, unseenEntropies));
                var row = new Dictionary<string, object?>
                {
                    ["method"] = method, ["network"] = model.GetType().Name, ["test_error"] = metrics.Error, ["nll"] = metrics.Nll, ["ece"] = metrics.Ece,
                    ["outlier_auroc"] = auroc, ["outlier_mean_entropy"] = unseenEntropies.Average(), ["seen_mean_entropy"] = seenEntropies.Average(),
                    ["train_seconds"] = trainSeconds,
                };
                if (curveTest is not null)
                {
                    var (errors, nlls, entropies) = RotationCurve(predict, curveTest, angles, options.Seed, method);
                    rotationCurves.Add((method, errors, entropies));
                    (row["rotation_error"], row["rotation_nll"], row["rotation_mean_entropy"]) = (errors, nlls, entropies);
                }
                rows.Add(row);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(method)} failed:[/] {Markup.Escape(e.Message)}");
                rows.Add(new() { ["method"] = method, ["error"] = e.Message });
            }
        }
        var table = new System.Text.StringBuilder();
        table.AppendLine($"{options.Network}, {options.Experiment} ({train.Count} training images, {options.Epochs ?? 20} epochs, seed {options.Seed}; outliers: {outlierName})");
        table.AppendLine();
        table.AppendLine("| method | test error | NLL | ECE | outlier AUROC | outlier mean entropy | train s |");
        table.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var row in rows)
            table.AppendLine(row.ContainsKey("error")
                ? $"| {row["method"]} | failed: {row["error"]} | | | | | |"
                : string.Create(CultureInfo.InvariantCulture,
                    $"| {row["method"]} | {(double)row["test_error"]!:P2} | {(double)row["nll"]!:F3} | {(double)row["ece"]!:F3} | {(double)row["outlier_auroc"]!:F3} | {(double)row["outlier_mean_entropy"]!:F3} | {(double)row["train_seconds"]!:F0} |"));
        File.WriteAllText(Path.Combine(options.Out, "compare.md"), table.ToString());
        File.WriteAllText(Path.Combine(options.Out, "compare.json"), JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["experiment"] = options.Experiment, ["dataset"] = description, ["network_kind"] = options.Network, ["train_size"] = train.Count,
            ["test_size"] = seenTest.Count, ["outliers"] = outlierName, ["outlier_size"] = outliers.Count, ["epochs"] = options.Epochs ?? 20,
            ["posterior_samples"] = options.Samples, ["seed"] = options.Seed, ["wall_seconds"] = clock.Elapsed.TotalSeconds,
            ["angles_degrees"] = curveTest is null ? null : angles, ["rotation_test_size"] = curveTest?.Count, ["rows"] = rows,
        }, Indented));
        if (curves.Count > 0)
            Plots.EntropyCdfs(curves, $"{options.Network}, {options.Experiment}: predictive entropy on the {outlierName}", Path.Combine(options.Out, "compare-entropy.png"));
        if (rotationCurves.Count > 0)
            Plots.AgainstAngle(angles.Select(a => (double)a).ToArray(), rotationCurves,
                $"{options.Network}: rotated Fashion-MNIST test images ({curveTest!.Count})", Path.Combine(options.Out, "compare-rotation.png"));
        Console.Write(table);
        Console.WriteLine($"Wrote compare.md, compare.json{(rotationCurves.Count > 0 ? ", compare-rotation.png" : "")} and compare-entropy.png to {options.Out} ({clock.Elapsed.TotalMinutes:F1} min).");
        return rows.Any(r => r.ContainsKey("error")) ? 1 : 0;
    }

    /// <summary>
    /// The metrics on the classes trained on, each image's predictive entropy there and on the outliers, and the entropy
    /// AUROC between them; the predictive's draws seeded by <paramref name="seed"/>.
    /// </summary>
    static (ClassificationMetrics Metrics, double[] Seen, double[] Outliers, double Auroc) JudgeAgainstOutliers(
        Func<Tensor, Predictive> predict, LabelledData test, LabelledData outliers, long seed)
    {
        random.manual_seed(seed);
        using var seen = predict(test.Inputs);
        using var unseen = predict(outliers.Inputs);
        var seenEntropies = Metrics.Entropies(seen);
        var unseenEntropies = Metrics.Entropies(unseen);
        return (Metrics.Evaluate(seen, test.Targets), seenEntropies, unseenEntropies, Metrics.Auroc(seenEntropies, unseenEntropies));
    }

    /// <summary>The examples of classes 0–4 (<paramref name="seen"/>) or 5–9, the first <paramref name="limit"/> of them.</summary>
    static LabelledData Select(LabelledData data, bool seen, int? limit = null)
    {
        using var mask = seen ? data.Targets.lt(5) : data.Targets.ge(5);
        using var indices = mask.nonzero().squeeze(1);
        var chosen = limit is int n ? indices.narrow(0, 0, Math.Min(n, indices.shape[0])) : indices;
        return new LabelledData(data.Inputs.index_select(0, chosen), data.Targets.index_select(0, chosen),
            $"{data.Description}, classes {(seen ? "0–4" : "5–9")}");
    }
}
