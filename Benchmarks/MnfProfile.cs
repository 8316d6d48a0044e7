using System;
using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace BnnDsl.Benchmarks;

/// <summary>
/// The parts of one MNF dense layer's training step, each the median of many repetitions on a random minibatch of 128:
/// drawing z through q's flow, the sampled pre-activation, its backward pass, and the KL bound with its gradient. Shows
/// whether an MNF step is bound by arithmetic (the matrix products) or by the number of small operations.
/// </summary>
public static class MnfProfile
{
    public static void Print(int inputs, int outputs, int repetitions = 200)
    {
        random.manual_seed(1);
        using var layer = new MnfDense(inputs, outputs, Prior.Normal(0, 1), MnfOptions.Default);
        var x = rand(128, inputs);
        double Time(Action work)
        {
            var times = new double[repetitions];
            for (int r = -10; r < repetitions; r++)
            {
                using var scope = NewDisposeScope();
                var clock = Stopwatch.StartNew();
                work();
                if (r >= 0) times[r] = clock.Elapsed.TotalMilliseconds;
            }
            Array.Sort(times);
            return times[repetitions / 2];
        }
        double noise = Time(() => layer.SampleNoise(128, withLogDeterminant: false).Z.sum().item<float>());
        double forward = Time(() => layer.SampledLinear(x).sum().item<float>());
        double forwardBackward = Time(() => { layer.SampledLinear(x).sum().backward(); layer.zero_grad(); });
        double bound = Time(() => layer.Complexity().item<float>());
        double boundGradient = Time(() => { layer.Complexity().backward(); layer.zero_grad(); });
        double meanOnly = Time(() => nn.functional.linear(x, layer.WeightMu, layer.BiasMu).sum().item<float>());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"MNF dense {inputs}→{outputs}: z through the flow {noise:F2} ms; sampled pass {forward:F2} (one plain linear {meanOnly:F2}); "
            + $"with backward {forwardBackward:F2}; KL bound {bound:F2}, with gradient {boundGradient:F2} ms"));
    }
}
