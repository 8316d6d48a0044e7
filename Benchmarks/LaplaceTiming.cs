using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using BnnDsl.Examples.Cli;
using static TorchSharp.torch;

namespace BnnDsl.Benchmarks;

/// <summary>
/// The Laplace fits and predictives of the main job's four declarations on one MAP net: trained once, its weights copied
/// into each Laplace network, then each fit timed (median of three) and its linearised predictive timed per test input,
/// with the process's resident memory after each. The MAP net trains as many epochs as asked (laplace-torch's rows in
/// the peers' table are on a 5-epoch net).
/// </summary>
public static class LaplaceTiming
{
    public static void Print(LabelledData train, LabelledData test, int epochs, string network)
    {
        random.manual_seed(1);
        using var map = FashionJob.CreateNetwork("map", network);
        var clock = Stopwatch.StartNew();
        Trainer.Fit(map, train, new FitOptions { Epochs = epochs, Seed = 1, Schedule = FashionJob.DefaultSchedule("map") });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{network}: MAP trained {epochs} epochs in {clock.Elapsed.TotalSeconds:F1} s; resident {Resident()} MiB"));
        var inputs = test.Inputs.narrow(0, 0, 2000);
        foreach (var method in new[] { "laplace-ll", "laplace-ll-kron", "laplace-diag", "laplace-kron" })
        {
            using var model = FashionJob.CreateNetwork(method, network);
            using (no_grad())
                foreach (var (to, from) in model.Layers.Cast<PointLayer>().Zip(map.Layers.Cast<PointLayer>()))
                {
                    to.Weight.copy_(from.Weight);
                    to.Bias.copy_(from.Bias);
                }
            var laplace = (LaplaceApproximation)model.AfterTraining!;
            var fits = Enumerable.Range(0, 3).Select(_ => { laplace.Fit(model, train, new FitOptions()); return laplace.FitSeconds!.Value; }).OrderBy(s => s).ToArray();
            long afterFit = Resident();
            clock.Restart();
            using (var predictive = model.Predict(inputs, samples: 32, batchSize: 500)) { }
            double perInput = clock.Elapsed.TotalSeconds / inputs.shape[0];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {method,-16} {laplace.ParameterCount,8:N0} weights  fit {fits[1],6:F2} s (of {string.Join(", ", fits.Select(f => f.ToString("F2", CultureInfo.InvariantCulture)))})  "
                + $"predict {perInput * 1e3,7:F3} ms/input  resident after fit {afterFit} MiB, after predict {Resident()} MiB"));
        }
    }

    static long Resident()
    {
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64 >> 20;
    }
}
