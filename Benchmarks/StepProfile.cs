using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using BnnDsl;
using static TorchSharp.torch;

namespace BnnDsl.Benchmarks;

/// <summary>
/// Where a training step's time goes: milliseconds for the forward pass and loss, the backward pass and the optimiser
/// step, each the median over many steps on a fixed random minibatch, or on minibatches taken in order from a data set
/// (no shuffling, no data loading timed).
/// </summary>
public static class StepProfile
{
    /// <summary>
    /// Profiles <paramref name="steps"/> steps of <paramref name="loss"/>. Generated networks are updated by the runtime's
    /// <see cref="Adam"/> (with <paramref name="weightDecay"/>), as the trainer does; any other module by TorchSharp's
    /// <c>optim.Adam</c>, as a user would.
    /// </summary>
    /// <param name="data">Minibatches taken in order from this data set instead of one random minibatch.</param>
    /// <param name="warmUpSteps">Steps run before timing starts (training the module with the same optimiser).</param>
    /// <param name="afterBackward">Work the trainer does between backward and the update (timed with backward).</param>
    public static void Print(string name, Func<Tensor, Tensor, Tensor> loss, nn.Module module, int steps = 200,
        IEnumerable<(TorchSharp.Modules.Parameter Parameter, double Rate)>? weightDecay = null, LabelledData? data = null, int warmUpSteps = 20,
        Action? afterBackward = null)
    {
        using var optimizer = module is BayesianModule
            ? new StepOptimizer(new Adam(module.parameters(), 1e-3, weightDecay: weightDecay))
            : new StepOptimizer(optim.Adam(module.parameters(), 1e-3));
        var forward = new double[steps];
        var backward = new double[steps];
        var update = new double[steps];
        var inputs = rand(128, 784);
        var targets = randint(0, 10, new long[] { 128 });
        for (int s = -warmUpSteps; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            if (data is not null)
            {
                long start = (long)(s + warmUpSteps) * 128 % (data.Count - 127);
                (inputs, targets) = (data.Inputs.narrow(0, start, 128), data.Targets.narrow(0, start, 128));
            }
            var clock = Stopwatch.StartNew();
            var value = loss(inputs, targets);
            _ = value.item<float>();
            double t0 = clock.Elapsed.TotalMilliseconds;
            optimizer.ZeroGrad();
            if (module is BayesianModule) BayesianModule.Backward(value); else value.backward();
            afterBackward?.Invoke();
            double t1 = clock.Elapsed.TotalMilliseconds;
            optimizer.Step();
            double t2 = clock.Elapsed.TotalMilliseconds;
            if (s < 0) continue;
            forward[s] = t0;
            backward[s] = t1 - t0;
            update[s] = t2 - t1;
        }
        Array.Sort(forward); Array.Sort(backward); Array.Sort(update);
        double f = forward[steps / 2], b = backward[steps / 2], u = update[steps / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-44} forward+loss {f,6:F2} ms  backward {b,6:F2} ms  Adam {u,6:F2} ms  total {f + b + u,6:F2} ms/step"));
    }

    /// <summary>
    /// The floor of a step of the 784-400-400-10 MLP: only the matrix products a method cannot avoid and the runtime's
    /// fused Adam pass over its parameters, on random tensors, without autograd or any other elementwise work. With
    /// <paramref name="paths"/> = 1 that is MAP (per layer: the forward product, the weight gradient, and the input
    /// gradient past the first layer); with 2 it is local reparameterisation, which runs each product twice (the mean
    /// with μ and x, the variance with σ² and x²) and updates μ and ρ. Returns milliseconds per step (median).
    /// </summary>
    public static double Floor(string name, int paths, int steps = 200)
    {
        int[] widths = { 784, 400, 400, 10 };
        var layers = new List<(Tensor Input, Tensor Weight, Tensor OutputGradient)>();
        var parameters = new List<TorchSharp.Modules.Parameter>();
        for (int l = 0; l < widths.Length - 1; l++)
            for (int path = 0; path < paths; path++)
            {
                layers.Add((rand(128, widths[l]), randn(widths[l + 1], widths[l]) * 0.05, randn(128, widths[l + 1])));
                parameters.Add(new TorchSharp.Modules.Parameter(randn(widths[l + 1], widths[l]) * 0.05));
                parameters.Add(new TorchSharp.Modules.Parameter(randn(widths[l + 1]) * 0.05));
            }
        using var optimizer = new Adam(parameters, 1e-3);
        var products = new double[steps];
        var update = new double[steps];
        for (int s = -20; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            foreach (var parameter in parameters) parameter.grad = randn_like(parameter);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < layers.Count; i++)
            {
                var (input, weight, outputGradient) = layers[i];
                nn.functional.linear(input, weight);
                outputGradient.t().mm(input);
                if (i >= paths) outputGradient.mm(weight); // no input gradient for the first layer's data
            }
            double t0 = clock.Elapsed.TotalMilliseconds;
            optimizer.Step();
            if (s < 0) continue;
            products[s] = t0;
            update[s] = clock.Elapsed.TotalMilliseconds - t0;
        }
        Array.Sort(products); Array.Sort(update);
        double p = products[steps / 2], u = update[steps / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-44} matrix products {p,6:F2} ms  Adam {u,6:F2} ms  total {p + u,6:F2} ms/step"));
        foreach (var parameter in parameters) parameter.Dispose();
        return p + u;
    }

    /// <summary>Either optimiser behind one zero-grad/step interface.</summary>
    sealed class StepOptimizer : IDisposable
    {
        readonly Adam? runtime;
        readonly optim.Optimizer? torchSharp;
        public StepOptimizer(Adam runtime) => this.runtime = runtime;
        public StepOptimizer(optim.Optimizer torchSharp) => this.torchSharp = torchSharp;
        public void ZeroGrad() { if (runtime is not null) runtime.ZeroGrad(); else torchSharp!.zero_grad(); }
        public void Step() { if (runtime is not null) runtime.Step(); else torchSharp!.step(); }
        public void Dispose() { runtime?.Dispose(); torchSharp?.Dispose(); }
    }
}
