using System;
using System.Collections.Generic;
using BnnDsl.Generator.Model;

namespace BnnDsl.Generator.Validation;

/// <summary>
/// Decides whether a parsed declaration can be generated. The generator emits nothing for a declaration with
/// problems rather than emitting code that does not compile; each problem says what to fix.
/// </summary>
public static class NetworkValidator
{
    public static IReadOnlyList<string> Problems(NetworkModel network)
    {
        var problems = new List<string>();
        if (!network.IsPartial) problems.Add($"'{network.Name}' must be declared partial.");
        if (network.IsGeneric) problems.Add($"'{network.Name}' must not be generic.");
        if (network.Layers.Count == 0) problems.Add($"'{network.Name}' declares no [Dense] layer.");
        if (!Enum.IsDefined(typeof(Likelihood), network.Likelihood)) problems.Add("Unknown likelihood.");
        if (!Enum.IsDefined(typeof(PosteriorMethod), network.Method)) problems.Add("Unknown posterior method.");
        if (network.Likelihood == Likelihood.Gaussian && (network.NoiseStd < 0 || double.IsNaN(network.NoiseStd) || double.IsInfinity(network.NoiseStd)))
            problems.Add("NoiseStd must be zero (learned) or a positive finite number.");
        if (double.IsNaN(network.InitialRho) || double.IsInfinity(network.InitialRho)) problems.Add("InitialRho must be finite.");
        CheckPrior(network.Prior, "the network prior", problems);

        for (int i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            if (!layer.IsPartialDefinition) problems.Add($"Layer '{layer.Name}' must be a partial method without a body.");
            if (!layer.HasTensorSignature) problems.Add($"Layer '{layer.Name}' must have the signature Tensor {layer.Name}(Tensor input).");
            if (layer.Inputs < 1 || layer.Outputs < 1) problems.Add($"Layer '{layer.Name}' needs positive sizes.");
            if (!Enum.IsDefined(typeof(Activation), layer.Activation)) problems.Add($"Layer '{layer.Name}' has an unknown activation.");
            if (i > 0 && network.Layers[i - 1].Outputs != layer.Inputs)
                problems.Add($"Layer '{layer.Name}' takes {layer.Inputs} inputs but '{network.Layers[i - 1].Name}' gives {network.Layers[i - 1].Outputs}.");
            if (layer.Prior is not null) CheckPrior(layer.Prior, $"the prior of '{layer.Name}'", problems);
        }
        if (network.Likelihood == Likelihood.Categorical && network.Layers.Count > 0 && network.Layers[network.Layers.Count - 1].Activation != Activation.None)
            problems.Add("A categorical network's last layer must output logits (no activation).");
        return problems;
    }

    static void CheckPrior(PriorModel prior, string what, List<string> problems)
    {
        var p = prior.Parameters;
        switch (prior.Family)
        {
            case PriorFamily.Normal:
                if (p.Count != 2) problems.Add($"{what}: Normal takes (mean, std).");
                else if (!IsFinite(p[0]) || !(p[1] > 0) || !IsFinite(p[1])) problems.Add($"{what}: the std must be positive and finite.");
                break;
            case PriorFamily.ScaleMixture:
                if (p.Count != 3) problems.Add($"{what}: ScaleMixture takes (pi, sigma1, sigma2).");
                else if (!(p[0] > 0 && p[0] < 1) || !(p[2] > 0) || !(p[1] > p[2]) || !IsFinite(p[1]))
                    problems.Add($"{what}: needs 0 < pi < 1 and sigma1 > sigma2 > 0.");
                break;
            default:
                problems.Add($"{what}: unknown prior family.");
                break;
        }
    }

    static bool IsFinite(double value) => !double.IsNaN(value) && !double.IsInfinity(value);
}
