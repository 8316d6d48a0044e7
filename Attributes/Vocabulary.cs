// The words a user writes in a declaration. This file is compiled into BnnDsl.Attributes and linked, as
// source, into the generator, so both sides agree on every value without the generator loading this assembly.
// The generator adds `global using static` for PriorFamily, PosteriorMethod and Activation to the user's
// project, which is why `[Prior(Normal, 0, 1)]` and `[Dense(784, 400, ReLU)]` need no using directive.
namespace BnnDsl
{
    /// <summary>How the observed targets are distributed given the network output.</summary>
    public enum Likelihood
    {
        /// <summary>Classification: softmax over the logits of the last layer.</summary>
        Categorical = 0,
        /// <summary>
        /// Regression: y ~ N(f(x), s²) with s fixed (<c>NoiseStd</c>) or learned; with <c>Heteroscedastic</c>, s depends on
        /// the input and is an output of the network.
        /// </summary>
        Gaussian = 1,
    }

    /// <summary>The family of a factorised prior over weights and biases.</summary>
    public enum PriorFamily
    {
        /// <summary><c>Prior(Normal, mean, std)</c>.</summary>
        Normal = 0,
        /// <summary><c>Prior(ScaleMixture, pi, sigma1, sigma2)</c>: π N(0, σ1²) + (1 − π) N(0, σ2²), σ1 &gt; σ2.</summary>
        ScaleMixture = 1,
        /// <summary>
        /// <c>Prior(LogUniform)</c>: p(log |w|) constant (improper; Kingma et al. 2015), with mean-field only, whose KL is
        /// Molchanov et al.'s (2017) approximation in α = σ²/μ².
        /// </summary>
        LogUniform = 2,
    }

    /// <summary>The inference method: how the posterior over the weights is represented.</summary>
    public enum PosteriorMethod
    {
        /// <summary>A point estimate; the prior acts as weight decay. The baseline, and the start of Laplace.</summary>
        MAP = 0,
        /// <summary>Mean-field Gaussian variational inference (Bayes by Backprop).</summary>
        MeanField = 1,
        /// <summary>
        /// Multiplicative normalising flows (Louizos &amp; Welling 2017): a Gaussian over the weights given a noise vector z
        /// that a normalising flow makes non-Gaussian, so the weights' posterior is a rich, correlated mixture.
        /// </summary>
        MNF = 2,
        /// <summary>
        /// The Laplace approximation (MacKay 1992; Daxberger et al. 2021): trained as MAP, then a Gaussian around the
        /// mode whose precision is the curvature of the last layer (or all weights) plus the prior's, fitted once after training.
        /// </summary>
        Laplace = 3,
        /// <summary>Stochastic-gradient Langevin dynamics (Welling &amp; Teh 2011): samples kept along a noisy descent.</summary>
        SGLD = 4,
        /// <summary>Preconditioned SGLD (Li et al. 2016): the noise and step shaped by an RMSprop preconditioner.</summary>
        PSGLD = 5,
        /// <summary>Stochastic-gradient Hamiltonian Monte Carlo (Chen et al. 2014): Langevin dynamics with momentum and friction.</summary>
        SGHMC = 6,
        /// <summary>
        /// MC dropout (Gal &amp; Ghahramani 2016): point weights with each layer's input dropped at rate <c>Rate</c> in training
        /// and in the predictive's samples; a variational family whose KL is the (1 − p)-scaled weight decay.
        /// </summary>
        Dropout = 7,
    }

    /// <summary>How a <c>Laplace</c> posterior stores the curvature of the weights it covers.</summary>
    public enum LaplaceHessian
    {
        /// <summary>Kronecker-factored (KFAC): A ⊗ G, the input and output-curvature factors; exact for one output.</summary>
        Kron = 0,
        /// <summary>The diagonal only: one precision per weight.</summary>
        Diagonal = 1,
        /// <summary>The full matrix over the covered weights and biases: exact, quadratic in their number (the last layer, small nets).</summary>
        Full = 2,
    }

    /// <summary>Which weights a <c>Laplace</c> posterior covers; the rest stay at their MAP values.</summary>
    public enum LaplaceSubset
    {
        /// <summary>The last layer's weights and bias (the default, as laplace-torch recommends): cheap, no backward pass.</summary>
        LastLayer = 0,
        /// <summary>Every layer's weights and biases, each layer a block of the curvature.</summary>
        All = 1,
    }

    /// <summary>How many prior precisions a <c>Laplace</c> posterior tunes by the marginal likelihood.</summary>
    public enum LaplacePriorPrecision
    {
        /// <summary>One for all the covered weights (the default).</summary>
        Scalar = 0,
        /// <summary>One per layer (needs a block-diagonal Hessian, Kron or Diagonal, when several layers are covered).</summary>
        PerLayer = 1,
    }

    /// <summary>Which curvature a <c>Laplace</c> posterior uses for the likelihood.</summary>
    public enum LaplaceCurvature
    {
        /// <summary>The generalised Gauss–Newton Jᵀ Λ J (softmax: Λ = diag p − p pᵀ; Gaussian: 1/σ²).</summary>
        Ggn = 0,
        /// <summary>The empirical Fisher: per-example gradients at the observed targets, g gᵀ.</summary>
        EmpiricalFisher = 1,
    }

    /// <summary>How a <c>Laplace</c> posterior turns the linearised model's Gaussian over the outputs into a predictive.</summary>
    public enum LaplaceLink
    {
        /// <summary>The probit approximation: softmax(f / sqrt(1 + π/8 · var f)).</summary>
        Probit = 0,
        /// <summary>Monte Carlo over the outputs' Gaussian (the posterior samples of <c>Predict</c>).</summary>
        MonteCarlo = 1,
        /// <summary>Sampling the weights from the Gaussian posterior and running the network (no linearisation).</summary>
        Sampling = 2,
    }

    /// <summary>The kind of normalising flow an <c>MNF</c> posterior transforms its noise with.</summary>
    public enum FlowKind
    {
        /// <summary>Masked RealNVP coupling steps with a gate, as the MNF paper uses (a small tanh network per step).</summary>
        Coupling = 0,
        /// <summary>Planar steps (Rezende &amp; Mohamed 2015): fewer parameters, less expressive.</summary>
        Planar = 1,
    }

    /// <summary>The nonlinearity a layer applies after its affine map.</summary>
    public enum Activation
    {
        /// <summary>No activation (identity).</summary>
        None = 0,
        /// <summary>max(0, x).</summary>
        ReLU = 1,
        /// <summary>tanh(x).</summary>
        Tanh = 2,
        /// <summary>1 / (1 + e^−x).</summary>
        Sigmoid = 3,
    }
}
