using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using BnnDsl.Examples.Networks;
using Spectre.Console;
using static TorchSharp.torch;

namespace BnnDsl.Examples.Cli;

/// <summary>
/// Blundell et al.'s toy regression: y = x + 0.3 sin(2π(x+ε)) + 0.3 sin(4π(x+ε)) + ε, ε ~ N(0, 0.02²),
/// with training inputs in [0, 0.5]. The predictive band should hug the data there and widen away from it.
/// </summary>
public static class ToyRegressionJob
{
    const int TrainCount = 200;
    const double NoiseStd = 0.02;
    const int GridSamples = 500;

    public static (double[] X, double[] Y) Curve(int count, double low, double high, Random random)
    {
        var x = new double[count];
        var y = new double[count];
        for (int i = 0; i < count; i++)
        {
            x[i] = low + (high - low) * random.NextDouble();
            double noise = NoiseStd * Gaussian(random);
            y[i] = x[i] + 0.3 * Math.Sin(2 * Math.PI * (x[i] + noise)) + 0.3 * Math.Sin(4 * Math.PI * (x[i] + noise)) + noise;
        }
        return (x, y);
    }

    static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    static LabelledData ToData(double[] x, double[] y, string description) =>
        new(tensor(x.Select(v => (float)v).ToArray(), new long[] { x.Length, 1 }),
            tensor(y.Select(v => (float)v).ToArray(), new long[] { y.Length, 1 }), description);

    /// <summary>The noise the predictive uses: the Laplace fit's, tuned by the marginal likelihood, else the trained one.</summary>
    static double PredictiveNoiseStd(BayesianModule model) =>
        model.AfterTraining is LaplaceApproximation { NoiseStd: { } tuned } ? tuned : model.NoiseStd().item<float>();

    public static int Run(Options options)
    {
        var random = new Random((int)options.Seed);
        var (trainX, trainY) = Curve(TrainCount, 0, 0.5, random);
        var (testX, testY) = Curve(500, 0, 0.5, random);
        using var train = ToData(trainX, trainY, "toy curve, x in [0, 0.5]");
        using var test = ToData(testX, testY, "toy curve, held out");

        TorchSharp.torch.random.manual_seed(options.Seed);
        bool laplace = options.Method == "laplace";
        using BayesianModule model = laplace ? new ToyRegressionLaplace() : new ToyRegressionNetwork();
        AnsiConsole.MarkupLine($"[bold]Network:[/] {Markup.Escape(model.Summary)}");
        int epochs = options.Epochs ?? 1500;
        var fit = new FitOptions { Epochs = epochs, BatchSize = options.BatchSize, LearningRate = options.LearningRate ?? 1e-2,
            Schedule = options.Schedule ?? LearningRateSchedule.Constant, Seed = options.Seed };
        IReadOnlyList<EpochSummary> run = Array.Empty<EpochSummary>();
        AnsiConsole.Status().Start($"training {epochs} epochs on {TrainCount} points", _ => run = Trainer.Fit(model, train, fit));
        var last = run.Count > 0 ? run[^1] : null;
        if (last is not null)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"final epoch: loss {last.Loss:F4}  nll {last.Nll:F4}  kl {last.Complexity:F0}"));

        using var held = model.Predict(test.Inputs, options.Samples);
        var metrics = Metrics.EvaluateRegression(held, test.Targets);

        var grid = Enumerable.Range(0, 300).Select(i => -0.2 + 1.4 * i / 299.0).ToArray();
        using var gridInputs = tensor(grid.Select(v => (float)v).ToArray(), new long[] { grid.Length, 1 });
        // The band is drawn from many more samples than the metrics: each grid point's σ is itself an estimate.
        using var band = model.Predict(gridInputs, Math.Max(options.Samples, GridSamples));
        var mean = Metrics.ToRows(band.Mean).Select(r => r[0]).ToArray();
        var std = Metrics.ToRows(band.Variance).Select(r => Math.Sqrt(r[0])).ToArray();
        double StdNear(double x) => std[Array.FindIndex(grid, g => g >= x)];

        Directory.CreateDirectory(options.Out);
        string picture = Path.Combine(options.Out, "toy-regression.png");
        Plots.UncertaintyBand(grid, mean, std, trainX, trainY,
            $"{(laplace ? "Last-layer Laplace" : "Mean-field BNN")} on Blundell et al.'s curve (data in [0, 0.5]; noise s = "
            + $"{PredictiveNoiseStd(model).ToString("F4", CultureInfo.InvariantCulture)})", picture);
        var report = new Dictionary<string, object?>
        {
            ["method"] = laplace ? "laplace" : "mean-field",
            ["declaration"] = model.Summary,
            ["train_size"] = TrainCount,
            ["epochs"] = epochs,
            ["learning_rate"] = fit.LearningRate,
            ["schedule"] = fit.Schedule.Name(),
            ["rmse"] = metrics.Rmse,
            ["nll"] = metrics.Nll,
            ["coverage_95"] = metrics.Coverage95,
            ["learned_noise_std"] = model.NoiseStd().item<float>(),
            ["laplace_noise_std"] = (model.AfterTraining as LaplaceApproximation)?.NoiseStd,
            ["predictive_std_at_0.25"] = StdNear(0.25),
            ["predictive_std_at_1.0"] = StdNear(1.0),
            ["posterior_samples"] = band.Samples,
        };
        string json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.Replace(Path.Combine(options.Out, "toy-regression.json"), temporary => File.WriteAllText(temporary, json));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"held out in [0, 0.5]: RMSE {metrics.Rmse:F4}, NLL {metrics.Nll:F3}, 95% coverage {metrics.Coverage95:P1}; predictive σ at x = 0.25: {StdNear(0.25):F3}, at x = 1.0: {StdNear(1.0):F3}"));
        Console.WriteLine($"Wrote {picture} and toy-regression.json.");
        return 0;
    }
}
