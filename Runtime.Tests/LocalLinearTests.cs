using System;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// The locally reparameterised layer's autograd node (<see cref="LocalLinearFunction"/>, fused kernels in float32)
/// against the layer's formula recorded operation by operation in float64, with the same noise: the draw, and the
/// gradients with respect to all five inputs of a loss that uses the draw and both σ outputs, as training does (the KL
/// takes σ). In float64 the node itself is checked against finite differences (GradientTests).
/// </summary>
public class LocalLinearTests
{
    [Fact]
    public void TheNodeEqualsTheRecordedFormula()
    {
        // Tolerance per element: 1e-5 of the sum of the magnitudes of the terms that make it. A float32 product over
        // at most 37 terms errs by at most 37 · 2⁻²⁴ ≈ 2.2e-6 of that sum; softplus, sigmoid and the square root add a
        // few units in the last place each.
        random.manual_seed(40);
        var x = Representable(rand(11, 37, dtype: ScalarType.Float64) * 2 - 1);
        var weightMu = Representable(randn(23, 37, dtype: ScalarType.Float64) * 0.2);
        var weightRho = Representable(rand(23, 37, dtype: ScalarType.Float64) * 6 - 8); // σ from 3e-4 to 0.13
        var biasMu = Representable(randn(23, dtype: ScalarType.Float64) * 0.2);
        var biasRho = Representable(rand(23, dtype: ScalarType.Float64) * 6 - 8);
        var outputWeight = randn(11, 23, dtype: ScalarType.Float64);
        var weightSigmaWeight = randn(23, 37, dtype: ScalarType.Float64);
        var biasSigmaWeight = randn(23, dtype: ScalarType.Float64);
        var parameters = new[] { x, weightMu, weightRho, biasMu, biasRho };

        (Tensor Output, Tensor[] Gradients) Run(ScalarType dtype, Tensor? noise)
        {
            var p = parameters.Select(t => t.to(dtype).requires_grad_()).ToArray();
            Tensor output, weightSigma, biasSigma;
            if (noise is null) (output, weightSigma, biasSigma) = Reparameterization.LocalLinear(p[0], p[1], p[2], p[3], p[4]);
            else
            {
                (weightSigma, biasSigma) = (Reparameterization.Sigma(p[2]), Reparameterization.Sigma(p[4]));
                output = nn.functional.linear(p[0], p[1], p[3])
                    + nn.functional.linear(p[0].square(), weightSigma.square(), biasSigma.square()).sqrt() * noise;
            }
            var loss = (output * outputWeight.to(dtype)).sum() + (weightSigma * weightSigmaWeight.to(dtype)).sum()
                + (biasSigma * biasSigmaWeight.to(dtype)).sum();
            loss.backward();
            return (output.detach().to(ScalarType.Float64), p.Select(t => t.grad!.to(ScalarType.Float64)).ToArray());
        }

        random.manual_seed(41);
        var fused = Run(ScalarType.Float32, null);
        random.manual_seed(41); // the same key, so the same noise
        var noise = NormalNoise.Like(empty(11, 23)).to(ScalarType.Float64);
        var reference = Run(ScalarType.Float64, noise);

        // The magnitudes of each result's terms, from the float64 inputs.
        var (weightSigma, biasSigma) = (Reparameterization.Sigma(weightRho), Reparameterization.Sigma(biasRho));
        var std = nn.functional.linear(x.square(), weightSigma.square(), biasSigma.square()).sqrt();
        var g = outputWeight.abs();
        var gv = g * noise.abs() / (2 * std);
        var outputScale = x.abs().mm(weightMu.abs().t()) + biasMu.abs() + std * noise.abs();
        var scales = new[]
        {
            g.mm(weightMu.abs()) + 2 * x.abs() * gv.mm(weightSigma.square()),
            g.t().mm(x.abs()),
            (2 * weightSigma * gv.t().mm(x.square()) + weightSigmaWeight.abs()) * weightRho.sigmoid(),
            g.sum(dim: 0),
            (2 * biasSigma * gv.sum(dim: 0) + biasSigmaWeight.abs()) * biasRho.sigmoid(),
        };
        AssertClose(reference.Output, fused.Output, outputScale, "draw");
        var names = new[] { "∂/∂x", "∂/∂μ_W", "∂/∂ρ_W", "∂/∂μ_b", "∂/∂ρ_b" };
        for (int i = 0; i < names.Length; i++) AssertClose(reference.Gradients[i], fused.Gradients[i], scales[i], names[i]);
    }

    [Fact]
    public void BackwardGivesTheGradientsAutogradGives()
    {
        // BayesianModule.Backward has the node write its leaf parameters' gradients itself instead of handing them to
        // autograd. The result must be the same to the bit: on a fresh .grad (first pass) and added to one already there
        // (second pass), for parameters that are not leaves (ρ_W here, a product) and for the input.
        random.manual_seed(42);
        var x = rand(5, 7);
        var (weightMu, weightRhoLeaf, biasMu, biasRho) = (randn(3, 7) * 0.2, rand(3, 7) * 2 - 6, randn(3) * 0.2, rand(3) * 2 - 6);
        var leaves = new[] { x, weightMu, weightRhoLeaf, biasMu, biasRho };
        foreach (var leaf in leaves) leaf.requires_grad_();
        var (outputWeight, sigmaWeight) = (randn(5, 3), randn(3, 7));

        Tensor[] Gradients(bool direct)
        {
            foreach (var leaf in leaves) leaf.grad = null;
            for (int pass = 0; pass < 2; pass++)
            {
                random.manual_seed(43 + pass);
                var (output, weightSigma, _) = Reparameterization.LocalLinear(x, weightMu, weightRhoLeaf * 1, biasMu, biasRho);
                var loss = (output * outputWeight).sum() + (weightSigma * sigmaWeight).sum();
                if (direct) BayesianModule.Backward(loss); else loss.backward();
            }
            return leaves.Select(leaf => leaf.grad!.clone()).ToArray();
        }

        var throughAutograd = Gradients(direct: false);
        var written = Gradients(direct: true);
        var names = new[] { "∂/∂x", "∂/∂μ_W", "∂/∂ρ_W", "∂/∂μ_b", "∂/∂ρ_b" };
        for (int i = 0; i < names.Length; i++) Assert.True(throughAutograd[i].eq(written[i]).all().item<bool>(), names[i]);
    }

    static Tensor Representable(Tensor values) => values.to(ScalarType.Float32).to(ScalarType.Float64);

    static void AssertClose(Tensor expected, Tensor actual, Tensor scale, string what)
    {
        var excess = ((actual - expected).abs() - 1e-5 * scale).flatten();
        long worst = excess.argmax().item<long>();
        Assert.True(excess[worst].item<double>() <= 0,
            $"{what}, element {worst}: {actual.flatten()[worst].item<double>()} against {expected.flatten()[worst].item<double>()}");
    }
}
