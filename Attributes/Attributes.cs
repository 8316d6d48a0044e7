using System;

namespace BnnDsl
{
    /// <summary>
    /// Marks a <c>partial</c> class as a Bayesian neural network. The generator fills in its parameters, forward
    /// passes, ELBO terms and persistence from the layer, prior and posterior attributes.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class BayesianNetworkAttribute : Attribute
    {
        /// <summary>Declares a network with the given likelihood.</summary>
        public BayesianNetworkAttribute(Likelihood likelihood) => Likelihood = likelihood;

        /// <summary>The likelihood of the targets.</summary>
        public Likelihood Likelihood { get; }

        /// <summary>
        /// Gaussian likelihood only: the fixed observation noise standard deviation. Zero (the default) learns a
        /// single noise level as a point estimate.
        /// </summary>
        public double NoiseStd { get; set; }

        /// <summary>
        /// Gaussian likelihood only: the noise depends on the input. The last layer then outputs, per target, a mean and
        /// a raw variance v (its width is twice the number of targets, means first), and s² = softplus(v) + 1e-6.
        /// Excludes <see cref="NoiseStd"/>.
        /// </summary>
        public bool Heteroscedastic { get; set; }

        /// <summary>
        /// A deep ensemble of this many independently initialised and trained networks (at least 2): the generated
        /// <c>CreateEnsemble</c> makes it, and its predictive averages the members'. Zero (the default): no ensemble.
        /// </summary>
        public int Ensemble { get; set; }

        /// <summary>
        /// The shape of one input example without the batch dimension: <c>new[] { 784 }</c> for a flat vector,
        /// <c>new[] { channels, height, width }</c> for images, which convolutions need. Omitted, a network whose first
        /// layer is Dense takes that layer's inputs. Inputs may also be given flat ([batch, C·H·W]); the network views
        /// them as this shape. The generator checks every layer's sizes against it at compile time.
        /// </summary>
        public int[]? Input { get; set; }
    }

    /// <summary>
    /// A factorised prior over weights and biases: <c>[Prior(Normal, mean, std)]</c> or
    /// <c>[Prior(ScaleMixture, pi, sigma1, sigma2)]</c>. On the class it is the network-wide default; on a layer
    /// it overrides that default for the layer.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
    public sealed class PriorAttribute : Attribute
    {
        /// <summary>Declares a prior of the given family with its parameters in the family's order.</summary>
        public PriorAttribute(PriorFamily family, params double[] parameters)
        {
            Family = family;
            Parameters = parameters;
        }

        /// <summary>The prior family.</summary>
        public PriorFamily Family { get; }

        /// <summary>The family's parameters, in the order of the family's documentation.</summary>
        public double[] Parameters { get; }
    }

    /// <summary>
    /// The inference method: <c>[Posterior(MeanField)]</c>, <c>[Posterior(MNF, flows: 2)]</c> or <c>[Posterior(MAP)]</c>.
    /// On the class it applies to every layer; on a layer it overrides the options of the network's method for that
    /// layer (for example its <c>InitialRho</c>), or chooses another variational family. The README's rules table lists
    /// what may be mixed.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
    public sealed class PosteriorAttribute : Attribute
    {
        /// <summary>Declares the inference method; <paramref name="flows"/> is MNF's (the steps of q(z)'s flow).</summary>
        public PosteriorAttribute(PosteriorMethod method, int flows = 2)
        {
            Method = method;
            Flows = flows;
        }

        /// <summary>The inference method.</summary>
        public PosteriorMethod Method { get; }

        /// <summary>MNF only: the number of flow steps that transform the noise z of q(z). Default 2, as the paper.</summary>
        public int Flows { get; }

        /// <summary>MNF only: the kind of flow step (<c>Coupling</c>, as the paper, or <c>Planar</c>). Default Coupling.</summary>
        public FlowKind Flow { get; set; }

        /// <summary>MNF only: the hidden width of each coupling step's network in q(z)'s flow. Default 50, as the paper.</summary>
        public int CouplingWidth { get; set; } = 50;

        /// <summary>MNF only: the steps of the auxiliary model r(z | W)'s inverse flow (0: none). Default 2, as the paper.</summary>
        public int AuxiliaryFlows { get; set; } = 2;

        /// <summary>MNF only: the hidden width of the auxiliary flow's coupling networks. Default 100, as the paper.</summary>
        public int AuxiliaryWidth { get; set; } = 100;

        /// <summary>MNF only: where each weight's log-variance log σ² starts. Default −9, as the paper.</summary>
        public double InitialLogVariance { get; set; } = -9.0;

        /// <summary>Dropout only: the probability p ∈ (0, 1) of dropping each input unit of the layer (default 0.1).</summary>
        public double Rate { get; set; }

        /// <summary>Samplers (SGLD, PSGLD, SGHMC): η0, the step size on the mean loss (default: SGLD 0.05, PSGLD 1e-3, SGHMC 0.005).</summary>
        public double StepSize { get; set; }

        /// <summary>Samplers (SGLD, PSGLD, SGHMC): b of the polynomial decay η_t = η0 (1 + t/b)^−γ, in steps (default 1000).</summary>
        public double DecayOffset { get; set; }

        /// <summary>Samplers (SGLD, PSGLD, SGHMC): γ ∈ (0.5, 1] of the polynomial decay (default 0.55).</summary>
        public double DecayExponent { get; set; }

        /// <summary>Samplers (SGLD, PSGLD, SGHMC): C &gt; 0: the cyclical cosine schedule with C cycles (default 0: polynomial decay).</summary>
        public int Cycles { get; set; }

        /// <summary>Samplers (SGLD, PSGLD, SGHMC): cyclical: the last fraction of each cycle that injects noise and keeps samples (default 0.25).</summary>
        public double SamplingFraction { get; set; }

        /// <summary>Samplers (SGLD, PSGLD, SGHMC): polynomial: the fraction of the run before samples are kept (default 0.5).</summary>
        public double BurnIn { get; set; }

        /// <summary>Samplers (SGLD, PSGLD, SGHMC): steps between kept samples (default 0: spread evenly over the sampling window).</summary>
        public int Thinning { get; set; }

        /// <summary>Samplers (SGLD, PSGLD, SGHMC): the samples kept for the predictive (default 32; cyclical: a multiple of Cycles).</summary>
        public int Samples { get; set; }

        /// <summary>Samplers (SGLD, PSGLD, SGHMC): MiB of kept samples held in memory and in the checkpoint; the rest go to a file beside it (default 1024).</summary>
        public double SampleMemory { get; set; }

        /// <summary>Samplers (SGLD, PSGLD, SGHMC): T, the injected noise's variance factor: 1 the Bayesian posterior, below 1 cold (default 1).</summary>
        public double Temperature { get; set; }

        /// <summary>Samplers (SGLD, PSGLD, SGHMC): PSGLD only: the decay α of the squared-gradient average (default 0.99).</summary>
        public double Alpha { get; set; }

        /// <summary>Samplers (SGLD, PSGLD, SGHMC): PSGLD only: λ in the preconditioner 1/(λ + √V) (default 1e-5).</summary>
        public double Lambda { get; set; }

        /// <summary>Samplers (SGLD, PSGLD, SGHMC): SGHMC only: the friction α ∈ (0, 1] (default 0.1).</summary>
        public double Friction { get; set; }

        /// <summary>Laplace only: how the curvature is stored: <c>Kron</c> (default), <c>Diagonal</c> or <c>Full</c>.</summary>
        public LaplaceHessian Hessian { get; set; }

        /// <summary>Laplace only: the weights covered, <c>LastLayer</c> (default) or <c>All</c>.</summary>
        public LaplaceSubset Subset { get; set; }

        /// <summary>Laplace only: the marginal likelihood tunes one prior precision (<c>Scalar</c>, default) or one <c>PerLayer</c>.</summary>
        public LaplacePriorPrecision PriorPrecision { get; set; }

        /// <summary>Laplace only: <c>Ggn</c> (default, the generalised Gauss–Newton) or <c>EmpiricalFisher</c>.</summary>
        public LaplaceCurvature Curvature { get; set; }

        /// <summary>Laplace only: the predictive, <c>Probit</c> (default) or <c>MonteCarlo</c> over the linearised outputs, or <c>Sampling</c> the weights.</summary>
        public LaplaceLink Link { get; set; }

        /// <summary>
        /// Mean-field only: sample pre-activations instead of weights (Kingma et al. 2015). Lower-variance
        /// gradients and cheaper per step; the KL term is unchanged. Default false (per-weight sampling).
        /// </summary>
        public bool LocalReparameterization { get; set; }

        /// <summary>Mean-field only: the initial ρ of every weight, σ = softplus(ρ). Default −5 (σ ≈ 0.0067).</summary>
        public double InitialRho { get; set; } = -5.0;

        /// <summary>
        /// Mean-field only: the initial ρ of every bias, when it should differ from the weights' <c>InitialRho</c>.
        /// A bias's noise does not scale with the input, unlike a weight's. Default: the network's <c>BiasInitialRho</c>
        /// when its <c>[Posterior]</c> declares one, else the layer's <c>InitialRho</c>.
        /// </summary>
        public double BiasInitialRho { get; set; } = double.NaN;
    }

    /// <summary>
    /// A fully connected layer, declared on a <c>partial</c> method <c>Tensor Name(Tensor input)</c> that the
    /// generator implements. Layers run in declaration order.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
    public sealed class DenseAttribute : Attribute
    {
        /// <summary>Declares a dense layer mapping <paramref name="inputs"/> features to <paramref name="outputs"/>.</summary>
        public DenseAttribute(int inputs, int outputs, Activation activation = Activation.None)
        {
            Inputs = inputs;
            Outputs = outputs;
            Activation = activation;
        }

        /// <summary>Input width.</summary>
        public int Inputs { get; }

        /// <summary>Output width.</summary>
        public int Outputs { get; }

        /// <summary>The activation applied after the affine map.</summary>
        public Activation Activation { get; }
    }

    /// <summary>
    /// A 2-D convolution over [batch, channels, height, width], declared on a <c>partial</c> method
    /// <c>Tensor Name(Tensor input)</c>, as <c>torch.nn.Conv2d</c>: square kernels, zero padding, bias per output channel.
    /// Its output is ⌊(H + 2·padding − kernelSize) / stride⌋ + 1 in each spatial dimension.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
    public sealed class Conv2dAttribute : Attribute
    {
        /// <summary>Declares a convolution from <paramref name="inChannels"/> to <paramref name="outChannels"/> channels.</summary>
        public Conv2dAttribute(int inChannels, int outChannels, int kernelSize, Activation activation = Activation.None)
        {
            InChannels = inChannels;
            OutChannels = outChannels;
            KernelSize = kernelSize;
            Activation = activation;
        }

        /// <summary>Channels of the input.</summary>
        public int InChannels { get; }

        /// <summary>Channels of the output (the number of filters).</summary>
        public int OutChannels { get; }

        /// <summary>The side of the square kernel.</summary>
        public int KernelSize { get; }

        /// <summary>The activation applied after the convolution.</summary>
        public Activation Activation { get; }

        /// <summary>The step between kernel positions. Default 1.</summary>
        public int Stride { get; set; } = 1;

        /// <summary>Zeros added on each side of the input. Default 0.</summary>
        public int Padding { get; set; }
    }

    /// <summary>
    /// Max pooling over square windows of <c>kernelSize</c>, as <c>torch.nn.MaxPool2d</c> (stride defaults to the
    /// kernel size). Has no parameters, so it takes no <c>[Prior]</c> or <c>[Posterior]</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
    public sealed class MaxPool2dAttribute : Attribute
    {
        /// <summary>Declares max pooling over <paramref name="kernelSize"/> × <paramref name="kernelSize"/> windows.</summary>
        public MaxPool2dAttribute(int kernelSize) => KernelSize = kernelSize;

        /// <summary>The side of the pooling window.</summary>
        public int KernelSize { get; }

        /// <summary>The step between windows. Default (0): the kernel size.</summary>
        public int Stride { get; set; }
    }

    /// <summary>
    /// Flattens [batch, C, H, W] into [batch, C·H·W], as <c>torch.nn.Flatten</c>, before a Dense layer. Has no
    /// parameters, so it takes no <c>[Prior]</c> or <c>[Posterior]</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
    public sealed class FlattenAttribute : Attribute
    {
    }
}
