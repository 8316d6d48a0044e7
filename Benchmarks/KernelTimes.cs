using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace BnnDsl.Benchmarks;

/// <summary>
/// What one training step's kernels cost: libtorch's float32 matrix-product throughput at the MLP's shapes (the same
/// measurement as <c>../shared/peers/bench_matmul.py</c> makes in PyTorch, the floor under every epoch time), and the
/// elementwise kernels a mean-field step runs over all 478,410 weights and biases, libtorch's and the normal noise of
/// <see cref="NormalNoise"/>.
/// </summary>
public static class KernelTimes
{
    public static void Print()
    {
        PrintMatrixProducts();
        PrintElementwise();
    }

    static void PrintMatrixProducts()
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

    static void PrintElementwise()
    {
        const int parameters = 478_410;
        var rho = full(parameters, -6.0f);
        var values = randn(parameters);
        var positive = rho.exp();
        foreach (var (name, kernel) in new (string, Func<Tensor>)[]
        {
            ("normal draw (libtorch randn)", () => randn(parameters)),
            ("normal draw (NormalNoise)", () => NormalNoise.Like(values)),
            ("uniform draw (rand)", () => rand(parameters)),
            ("softplus", () => nn.functional.softplus(rho)),
            ("log", () => positive.log()),
            ("multiply", () => values * values),
            ("dot product", () => values.dot(values)),
        })
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} over {parameters:N0}: {Milliseconds(kernel, 50):F3} ms (median)"));
        PrintKlGradients();
    }

    /// <summary>
    /// The KL's gradient pass the trainer adds after backward (<see cref="MeanFieldDense.AddKlGradient"/>) for the
    /// default declaration's layers, each after a forward and backward pass of its own so that σ and the gradients
    /// exist; the pass's cost is the difference between the two timings of each layer.
    /// </summary>
    static void PrintKlGradients()
    {
        var layers = new (string Name, MeanFieldDense Layer, Prior Prior)[]
        {
            ("784x400 against the scale mixture (draw made in the pass)", new MeanFieldDense(784, 400, Prior.ScaleMixture(0.25, 1.0, 0.0009), -8), Prior.ScaleMixture(0.25, 1.0, 0.0009)),
            ("400x400 against Normal(0, 0.25)", new MeanFieldDense(400, 400, Prior.Normal(0, 0.25), -6), Prior.Normal(0, 0.25)),
        };
        foreach (var (name, layer, prior) in layers)
        {
            var input = rand(128, layer.Inputs);
            double without = Milliseconds(() => Pass(layer, input, null), 200);
            double with = Milliseconds(() => Pass(layer, input, prior), 200);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"KL gradient pass, {name}: {with - without:F3} ms (layer forward+backward {without:F3} ms, with the pass {with:F3} ms; medians)"));
            layer.Dispose();
        }
    }

    static Tensor Pass(MeanFieldDense layer, Tensor input, Prior? prior)
    {
        var output = layer.LocalReparameterizedLinear(input);
        output.sum().backward();
        if (prior is null) { layer.TakeWeightSigma(); layer.TakeBiasSigma(); }
        else layer.AddKlGradient(prior, 1.0 / 60000);
        return output;
    }

    static double Milliseconds(Func<Tensor> kernel, int repetitions) => MedianSeconds(kernel, repetitions) * 1e3;

    static double GigaflopsPerSecond(Func<Tensor> product, double flop, int repetitions) =>
        flop / MedianSeconds(product, repetitions) / 1e9;

    /// <summary>The median wall time of <paramref name="repetitions"/> runs after one warm-up, each in its own dispose scope.</summary>
    static double MedianSeconds(Func<Tensor> kernel, int repetitions)
    {
        using (NewDisposeScope()) kernel();
        var seconds = new List<double>();
        for (int i = 0; i < repetitions; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            kernel();
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        return Statistics.Median(seconds);
    }
}
