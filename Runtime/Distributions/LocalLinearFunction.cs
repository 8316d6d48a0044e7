using System;
using System.Collections.Generic;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace BnnDsl;

/// <summary>
/// The locally reparameterised dense layer (<see cref="Reparameterization.LocalLinear"/>) as one autograd node with a
/// hand-written backward pass, so that its elementwise work runs as fused kernels (<see cref="CpuKernels"/>): σ and σ²
/// from ρ in one pass, the draw from its moments in one pass over the pre-activations, and
/// ∂/∂ρ = (2σ ∂/∂σ² + ∂/∂σ) · sigmoid(ρ) in one pass that also takes in the gradient the KL gives σ (when the KL is
/// differentiated through autograd, as <see cref="BayesianModule.Loss"/> has it; the trainer adds it directly). Recorded
/// operation by operation, autograd runs each of softplus, the squares, the square root and the products as its own
/// pass both ways. Where the kernels do not run (other dtypes and devices) the same formulas run as libtorch
/// operations inside the node; with <see cref="CpuKernels.Enabled"/> off the layer is recorded operation by
/// operation, the reference this node is tested against.
/// <para>
/// Inputs: x [batch, in], μ_W, ρ_W [out, in], μ_b, ρ_b [out]. Outputs: the draw [batch, out], σ_W, σ_b (outputs so that
/// the KL can take them and its gradient reach ρ through this node). Forward: m = x μ_Wᵀ + μ_b, v = x² σ_W²ᵀ + σ_b²,
/// y = m + √v ⊙ ε. Backward, with g = ∂L/∂y and g_v = g ⊙ ε / (2√v): ∂L/∂μ_W = gᵀ x, ∂L/∂μ_b = Σ_n g,
/// ∂L/∂σ_W² = g_vᵀ x², ∂L/∂σ_b² = Σ_n g_v, ∂L/∂x = g μ_W + 2x ⊙ (g_v σ_W²). First order only: a second derivative
/// through this node is not defined; curvature methods work on the MAP network.
/// </para>
/// <para>
/// The backward pass runs in a callback from libtorch: an exception there would end the process rather than reach
/// the caller, so it only does arithmetic on tensors whose shapes the forward pass fixed.
/// </para>
/// <para>
/// Inside <see cref="ParameterGradientsWrittenDirectly"/> (<see cref="BayesianModule.Backward"/>) the node writes the
/// gradients of its leaf parameters into their <c>.grad</c> itself, as autograd's accumulation would, and hands autograd
/// none for them. Handed over, each would be copied: the .NET side still holds a reference to a gradient the node
/// returns, and libtorch only takes a gradient it holds alone (else it clones it), a copy of every μ and ρ each step.
/// </para>
/// </summary>
internal sealed class LocalLinearFunction : MultiTensorFunction<LocalLinearFunction>
{
    const string InputNeedsGradient = "inputNeedsGradient";

    [ThreadStatic] static bool writeParameterGradients;

    /// <summary>
    /// Until disposed, backward passes on this thread write the layer parameters' gradients into their <c>.grad</c>
    /// directly (see the class remarks). Only for <c>backward()</c>: <c>autograd.grad</c> would not see them.
    /// </summary>
    internal static IDisposable ParameterGradientsWrittenDirectly() => new DirectWrites(writeParameterGradients);

    sealed class DirectWrites : IDisposable
    {
        readonly bool previous;
        public DirectWrites(bool previous) => (this.previous, writeParameterGradients) = (previous, true);
        public void Dispose() => writeParameterGradients = previous;
    }

    public override string Name => nameof(LocalLinearFunction);

    /// <summary>The draw, σ_W and σ_b for input x [batch, in] and the layer's variational parameters.</summary>
    public static (Tensor Output, Tensor WeightSigma, Tensor BiasSigma) Apply(Tensor input, Tensor weightMu, Tensor weightRho, Tensor biasMu, Tensor biasRho)
    {
        var outputs = apply(input, weightMu, weightRho, biasMu, biasRho);
        return (outputs[0], outputs[1], outputs[2]);
    }

    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        var (x, weightMu, weightRho, biasMu, biasRho) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4]);
        var (output, variance, inputSquared, weightSigma, weightVariance, biasSigma) = Moments(x, weightMu, weightRho, biasMu, biasRho);
        var noise = NormalNoise.Like(output);
        // Afterwards variance holds ∂y/∂v = ε / (2√v), all the backward pass needs of the two.
        var sensitivity = variance;
        if (CpuKernels.CanRun(output.numel(), output, variance, noise))
            CpuKernels.SampleFromMoments(output, variance, noise);
        else
        {
            var std = variance.sqrt_();
            output.addcmul_(std, noise, 1);
            sensitivity = noise.div_(std.mul_(2));
        }
        // σ is saved through an alias: saving an output tensor itself would tie it to this node's saved state.
        ctx.save_for_backward(new() { x, inputSquared, weightMu, weightRho, weightSigma.detach(), weightVariance, biasMu, biasRho, biasSigma.detach(), sensitivity });
        ctx.save_data(InputNeedsGradient, x.requires_grad);
        ctx.set_materialize_grads(false);
        return new() { output, weightSigma, biasSigma };
    }

    /// <summary>
    /// The pre-activation's moments m = x μ_Wᵀ + μ_b and v = x² σ_W²ᵀ + σ_b², with the x², σ_W, σ_W² and σ_b they
    /// were made from; the forward pass's arithmetic, also for draws that reuse the moments (<see cref="RepeatedInputMoments"/>).
    /// </summary>
    internal static (Tensor Mean, Tensor Variance, Tensor InputSquared, Tensor WeightSigma, Tensor WeightVariance, Tensor BiasSigma) Moments(
        Tensor x, Tensor weightMu, Tensor weightRho, Tensor biasMu, Tensor biasRho)
    {
        var (weightSigma, weightVariance) = SoftplusAndSquare(weightRho);
        var (biasSigma, biasVariance) = SoftplusAndSquare(biasRho);
        var inputSquared = x.square();
        var mean = addmm(biasMu, x, weightMu.t(), 1, 1);
        var variance = addmm(biasVariance, inputSquared, weightVariance.t(), 1, 1);
        return (mean, variance, inputSquared, weightSigma, weightVariance, biasSigma);
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradients)
    {
        var saved = ctx.get_saved_variables();
        var (x, inputSquared, weightMu, weightRho, weightSigma) = (saved[0], saved[1], saved[2], saved[3], saved[4]);
        var (weightVariance, biasMu, biasRho, biasSigma, sensitivity) = (saved[5], saved[6], saved[7], saved[8], saved[9]);
        // Outputs that reached no loss arrive undefined (no zeros are materialised).
        var outputGradient = Defined(gradients[0]) ?? zeros_like(sensitivity);
        var (weightSigmaGradient, biasSigmaGradient) = (Defined(gradients[1]), Defined(gradients[2]));
        var varianceGradient = outputGradient * sensitivity;
        var weightMuGradient = outputGradient.t().mm(x);
        var biasMuGradient = outputGradient.sum(dim: 0);
        var weightRhoGradient = RhoGradient(varianceGradient.t().mm(inputSquared), weightSigma, weightSigmaGradient, weightRho);
        var biasRhoGradient = RhoGradient(varianceGradient.sum(dim: 0), biasSigma, biasSigmaGradient, biasRho);
        var inputGradient = (bool)ctx.get_data(InputNeedsGradient)
            ? outputGradient.mm(weightMu).addcmul_(x, varianceGradient.mm(weightVariance), 2)
            : null;
        // An undefined gradient (null) tells autograd there is nothing to pass on.
        return new()
        {
            inputGradient!, ToAutograd(weightMu, weightMuGradient)!, ToAutograd(weightRho, weightRhoGradient)!,
            ToAutograd(biasMu, biasMuGradient)!, ToAutograd(biasRho, biasRhoGradient)!,
        };
    }

    /// <summary>
    /// The gradient to hand autograd for <paramref name="parameter"/>: the gradient itself, or, for a leaf inside
    /// <see cref="ParameterGradientsWrittenDirectly"/>, none, after setting it as the leaf's gradient or adding it to the
    /// one there (what autograd's accumulation does, without its copy).
    /// </summary>
    static Tensor? ToAutograd(Tensor parameter, Tensor gradient)
    {
        if (!writeParameterGradients || !parameter.is_leaf || !parameter.requires_grad) return gradient;
        var existing = parameter.grad;
        if (existing is null || existing.IsInvalid) parameter.grad = gradient;
        else existing.add_(gradient);
        return null;
    }

    static Tensor? Defined(Tensor? gradient) => gradient is null || gradient.IsInvalid ? null : gradient;

    static (Tensor Sigma, Tensor SigmaSquared) SoftplusAndSquare(Tensor rho)
    {
        if (CpuKernels.CanRun(rho.numel(), rho)) return CpuKernels.SoftplusAndSquare(rho);
        var sigma = Reparameterization.Sigma(rho);
        return (sigma, sigma.square());
    }

    /// <summary>∂/∂ρ = (2σ ∂/∂σ² + ∂/∂σ) · sigmoid(ρ), as dσ/dρ = sigmoid(ρ) for σ = softplus(ρ); reuses ∂/∂σ²'s memory.</summary>
    static Tensor RhoGradient(Tensor squareGradient, Tensor sigma, Tensor? sigmaGradient, Tensor rho)
    {
        bool fused = sigmaGradient is null
            ? CpuKernels.CanRun(rho.numel(), squareGradient, sigma, rho)
            : CpuKernels.CanRun(rho.numel(), squareGradient, sigma, sigmaGradient, rho);
        if (fused)
        {
            CpuKernels.RhoGradient(squareGradient, sigma, sigmaGradient, rho);
            return squareGradient;
        }
        var chain = squareGradient.mul_(sigma).mul_(2);
        if (sigmaGradient is not null) chain.add_(sigmaGradient);
        // softplus's own derivative, as libtorch takes it: sigmoid(ρ), and 1 above its threshold of 20.
        return chain.mul_(rho.sigmoid().masked_fill_(rho > 20, 1));
    }
}
