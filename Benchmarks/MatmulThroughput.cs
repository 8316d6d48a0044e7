using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace BnnDsl.Benchmarks;

/// <summary>
/// libtorch's float32 matrix-product throughput at the shapes of one MLP training step, the same measurement as
/// <c>../shared/peers/bench_matmul.py</c> makes in PyTorch: the floor under every epoch time.
/// </summary>
public static class MatmulThroughput
{
    public static void Print()
    {
        const int n = 2048, batch = 128;
        var a = randn(n, n);
        var b = randn(n, n);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mm {n}x{n}: {GigaflopsPerSecond(() => a.matmul(b), 2.0 * n * n * n, 7):F1} GFLOP/s (median)"));
        int[] widths = { 784, 400, 400, 10 };
        for (int layer = 0; layer < 3; layer++)
        {
            int inputs = widths[layer], outputs = widths[layer + 1];
            var x = randn(batch, inputs);
            var w = randn(outputs, inputs);
            var g = randn(batch, outputs);
            double flop = 2.0 * batch * inputs * outputs;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{batch}x{inputs}x{outputs}: forward {GigaflopsPerSecond(() => nn.functional.linear(x, w), flop, 50):F1}, " +
                $"weight gradient {GigaflopsPerSecond(() => g.t().matmul(x), flop, 50):F1}, " +
                $"input gradient {GigaflopsPerSecond(() => g.matmul(w), flop, 50):F1} GFLOP/s (medians)"));
        }
    }

    static double GigaflopsPerSecond(Func<Tensor> product, double flop, int repetitions)
    {
        using (NewDisposeScope()) product();
        var seconds = new List<double>();
        for (int i = 0; i < repetitions; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            product();
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        seconds.Sort();
        return flop / seconds[repetitions / 2] / 1e9;
    }
}
