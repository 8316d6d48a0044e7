using Microsoft.CodeAnalysis;

namespace BnnDsl.Generator.Validation;

/// <summary>
/// Every diagnostic BnnDsl reports, in one place. IDs are stable: a retired rule keeps its number and is never
/// reused; a new rule takes the next number and a line in AnalyzerReleases.Unshipped.md and in the README's
/// diagnostics table, which the help links point at.
/// </summary>
public static class Descriptors
{
    /// <summary>Where the README is published; each help link is this plus the lower-case ID as an anchor.</summary>
    public const string HelpBase = "https://github.com/bnndsl/bnndsl/blob/main/README.md#";

    /// <summary>The shape of the declaration: the class, its members, attribute targets and argument values.</summary>
    public const string Declaration = "BnnDsl.Declaration";

    /// <summary>Whether the inference method, the priors, the layers and the likelihood fit together.</summary>
    public const string Inference = "BnnDsl.Inference";

    public static readonly DiagnosticDescriptor ClassNotPartial = new(
        "BNN0001", "Network class must be partial",
        "Network class '{0}' must be partial for the generator to complete it: add the 'partial' modifier",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0001");

    public static readonly DiagnosticDescriptor ClassIsGeneric = new(
        "BNN0002", "Network class must not be generic",
        "Network class '{0}' must not be generic: remove its type parameters",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0002");

    public static readonly DiagnosticDescriptor ContainerNotPartial = new(
        "BNN0003", "A type containing a network class must be partial",
        "'{0}' contains the network class '{1}' and must be partial too: add the 'partial' modifier to '{0}'",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0003");

    public static readonly DiagnosticDescriptor OutsideNetwork = new(
        "BNN0004", "BnnDsl attribute outside a [BayesianNetwork] class",
        "[{0}] has no effect outside a [BayesianNetwork] class: add [BayesianNetwork(...)] to '{1}' or remove the attribute",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0004");

    public static readonly DiagnosticDescriptor LayerNotFillable = new(
        "BNN0005", "A layer must be a partial method declaration without a body",
        "Layer '{0}' must be a partial method declaration with an accessibility and without a body, for the generator to implement: declare it as 'private partial torch.Tensor {0}(torch.Tensor input);'",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0005");

    public static readonly DiagnosticDescriptor LayerSignature = new(
        "BNN0006", "A layer must map one tensor to one tensor",
        "Layer '{0}' must be an instance method that takes one torch.Tensor and returns one, without type parameters: declare it as 'private partial torch.Tensor {0}(torch.Tensor input);'",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0006");

    public static readonly DiagnosticDescriptor NoLayers = new(
        "BNN0007", "A network needs at least one layer",
        "Network '{0}' declares no layer: add a partial method with [Dense(inputs, outputs)]",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0007");

    public static readonly DiagnosticDescriptor LayersInSeveralParts = new(
        "BNN0008", "Layers declared in different partial declarations have no defined order",
        "Layer '{0}' is declared in a different partial declaration of '{1}' than layer '{2}', so the forward order is undefined: declare all layers in one declaration, in forward order",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0008");

    public static readonly DiagnosticDescriptor SizesDoNotChain = new(
        "BNN0009", "Layer sizes do not chain",
        "Layer '{0}' takes {1} inputs but the layer before it, '{2}', gives {3} outputs: make the two sizes equal",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0009");

    public static readonly DiagnosticDescriptor SizeNotPositive = new(
        "BNN0010", "A layer size must be at least 1",
        "The {0} of layer '{1}' is {2}: make it at least 1",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0010");

    public static readonly DiagnosticDescriptor ScaleNotPositive = new(
        "BNN0011", "A standard deviation must be positive and finite",
        "{0} of {1} is {2}: use a positive finite number",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0011");

    public static readonly DiagnosticDescriptor MixtureWeightOutOfRange = new(
        "BNN0012", "A mixture weight must lie strictly between 0 and 1",
        "The mixture weight pi of {0} must lie strictly between 0 and 1, not {1}: use 0 < pi < 1",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0012");

    public static readonly DiagnosticDescriptor MixtureScalesOutOfOrder = new(
        "BNN0013", "A scale mixture needs sigma1 > sigma2",
        "{0} needs sigma1 > sigma2 (a wide and a narrow component), but sigma1 = {1} and sigma2 = {2}: swap or change them",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0013");

    public static readonly DiagnosticDescriptor PriorArity = new(
        "BNN0014", "Wrong number of prior parameters",
        "Prior {0} takes {1} parameters ({2}) but {3} were given: write [Prior({0}, {2})]",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0014");

    public static readonly DiagnosticDescriptor NotFinite = new(
        "BNN0015", "A number must be finite",
        "{0} of {1} is {2}: use a finite number",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0015");

    public static readonly DiagnosticDescriptor NoiseStdNegative = new(
        "BNN0016", "NoiseStd must be positive, or 0 to learn the noise",
        "NoiseStd of '{0}' is {1}: use a positive finite number, or 0 to learn the noise level",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0016");

    public static readonly DiagnosticDescriptor UnknownValue = new(
        "BNN0017", "Unknown vocabulary value",
        "{0} is not a {1} that BnnDsl knows: use one of {2}",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0017");

    public static readonly DiagnosticDescriptor NotConstant = new(
        "BNN0018", "Declaration arguments must be compile-time constants",
        "The argument '{0}' of [{1}] must be a compile-time constant: write a literal or a const field",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0018");

    public static readonly DiagnosticDescriptor OptionNotTaken = new(
        "BNN0019", "Posterior option the method does not take",
        "{0} does not apply to the posterior method {1} and is ignored: remove it",
        Inference, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0019");

    public static readonly DiagnosticDescriptor GaussianOptionNotTaken = new(
        "BNN0020", "A Gaussian likelihood option on another likelihood",
        "{0} applies to Gaussian networks only and is ignored for a {1} network: remove it",
        Inference, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0020");

    public static readonly DiagnosticDescriptor CategoricalOutputActivation = new(
        "BNN0021", "A categorical network's last layer must output logits",
        "The last layer '{0}' of a categorical network applies {1}, but the likelihood takes logits: remove the activation",
        Inference, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0021");

    public static readonly DiagnosticDescriptor MonteCarloKl = new(
        "BNN0022", "KL term estimated by Monte Carlo",
        "The KL between the {0} posterior and the {1} prior has no closed form: it is estimated by Monte Carlo from one weight draw per step, which adds gradient noise; a Normal prior gives it exactly",
        Inference, DiagnosticSeverity.Info, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0022");

    public static readonly DiagnosticDescriptor AttributeOnNonLayer = new(
        "BNN0023", "A prior or posterior on a method that is not a layer",
        "'{0}' has [{1}] but is not a layer: add [Dense(inputs, outputs)] to it or move the attribute to the class",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0023");

    public static readonly DiagnosticDescriptor MixedMethods = new(
        "BNN0024", "Inference methods that cannot be mixed in one network",
        "Layer '{0}' overrides the posterior with {1}, which cannot be mixed with the network's {2}: {3}",
        Inference, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0024");

    public static readonly DiagnosticDescriptor NotAModuleClass = new(
        "BNN0025", "A network must be a plain class",
        "Network '{0}' {1}: {2}",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0025");

    public static readonly DiagnosticDescriptor HeteroscedasticOddWidth = new(
        "BNN0026", "A heteroscedastic head needs an even width",
        "The last layer '{0}' of a heteroscedastic network gives a mean and a variance per target, so its width must be even, not {1}: make it twice the number of targets",
        Inference, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0026");

    public static readonly DiagnosticDescriptor NoiseStdWithHeteroscedastic = new(
        "BNN0027", "NoiseStd and Heteroscedastic exclude each other",
        "'{0}' is heteroscedastic, so the network outputs its own noise and NoiseStd has no meaning: remove NoiseStd or Heteroscedastic",
        Inference, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0027");

    public static readonly DiagnosticDescriptor NameTaken = new(
        "BNN0028", "A name the generated code needs is taken",
        "The name '{0}' is wanted by {1} and by {2}: {3}",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0028");

    public static readonly DiagnosticDescriptor ConstructorNotChaining = new(
        "BNN0029", "A network's constructor must call the generated one",
        "This constructor of '{0}' does not call the generated constructor, which creates the layers: end its declaration with ': this(device: null)' or pass a device",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0029");

    public static readonly DiagnosticDescriptor ImageInputNeeded = new(
        "BNN0030", "Convolution and pooling need image inputs",
        "Layer '{0}' ({1}) takes images [channels, height, width], but {2}: {3}",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0030");

    public static readonly DiagnosticDescriptor KernelLargerThanInput = new(
        "BNN0031", "A kernel is larger than its input",
        "The {1}×{1} kernel of layer '{0}' is larger than its {2}×{3} input{4}, so the output would have {5}×{6} positions: use a kernel of at most {7}{8}",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0031");

    public static readonly DiagnosticDescriptor ShapeArgumentOutOfRange = new(
        "BNN0032", "An input shape, stride or padding is out of range",
        "{0} of {1} is {2}: {3}",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0032");

    public static readonly DiagnosticDescriptor FlattenedSizeDoesNotChain = new(
        "BNN0033", "A Dense layer after Flatten must take channels × height × width inputs",
        "Layer '{0}' takes {1} inputs but '{2}' flattens {3}×{4}×{5} = {6} values: make it {6}",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0033");

    public static readonly DiagnosticDescriptor FlatInputNeeded = new(
        "BNN0034", "A Dense layer needs a flat input",
        "Layer '{0}' (Dense) takes a flat vector, but {1} gives {2}×{3}×{4} images: add a [Flatten] layer before '{0}'",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0034");

    public static readonly DiagnosticDescriptor AttributeOnParameterFreeLayer = new(
        "BNN0035", "A layer without parameters takes no prior or posterior",
        "[{0}] on layer '{1}' has no effect: {2} has no parameters, so remove the attribute",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0035");

    public static readonly DiagnosticDescriptor InputsDoNotChain = new(
        "BNN0036", "A layer's inputs do not match the declared input or the channels before it",
        "Layer '{0}' takes {1} {2} but {3} gives {4}: make the two equal",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0036");

    public static readonly DiagnosticDescriptor ImageOutput = new(
        "BNN0037", "A network's output must be flat",
        "The last layer '{0}' gives {1}×{2}×{3} images, but the likelihood takes [batch, outputs]: end the network with [Flatten] and a Dense layer",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0037");

    public static readonly DiagnosticDescriptor FlowSizeOutOfRange = new(
        "BNN0038", "An MNF flow size is out of range",
        "{0} of {1} is {2}: {3}",
        Inference, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0038");

    public static readonly DiagnosticDescriptor NormalPriorNeeded = new(
        "BNN0039", "MNF and Laplace need a Normal prior",
        "Layer '{0}' uses {1}, {2}, but its prior is {3}: use Prior(Normal, mean, std) for it",
        Inference, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0039");

    public static readonly DiagnosticDescriptor LaplaceLastLayer = new(
        "BNN0040", "Laplace needs a last Dense layer that gives the outputs",
        "Laplace approximates the last layer '{0}', which {1}: {2}",
        Inference, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0040");

    public static readonly DiagnosticDescriptor FullHessianTooLarge = new(
        "BNN0041", "A Full Hessian that may not fit in memory",
        "A Full Hessian over the {0} weights and biases of {1} takes {2} GiB: use Kron or Diagonal",
        Inference, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0041");

    public static readonly DiagnosticDescriptor LaplaceCombination = new(
        "BNN0042", "A combination of Laplace options that does not work",
        "{0}: {1}",
        Inference, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0042");

    public static readonly DiagnosticDescriptor SamplerOptionOutOfRange = new(
        "BNN0043", "A sampler option is out of range",
        "{0} of {1} is {2}: {3}",
        Inference, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0043");

    public static readonly DiagnosticDescriptor SamplesDoNotFitCycles = new(
        "BNN0044", "A cyclical sampler keeps the same number of samples in every cycle",
        "Samples = {0} cannot be shared equally by {1} cycles: keep {2} samples",
        Inference, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0044");

    public static readonly DiagnosticDescriptor DropoutRateOutOfRange = new(
        "BNN0045", "A dropout rate outside (0, 1)",
        "The dropout rate of {0} is {1}: use a probability strictly between 0 and 1 (Gal and Ghahramani use 0.1 to 0.5)",
        Inference, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0045");

    public static readonly DiagnosticDescriptor EnsembleTooSmall = new(
        "BNN0046", "An ensemble needs at least two members",
        "The ensemble of '{0}' has {1} members: declare Ensemble = 2 or more (5 is the usual), or remove it",
        Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0046");

    public static readonly DiagnosticDescriptor LogUniformMisused = new(
        "BNN0047", "The log-uniform prior where it does not fit",
        "{0}: {1}",
        Inference, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "bnn0047");

    /// <summary>Every descriptor, in ID order (the analyzers' SupportedDiagnostics and the README table).</summary>
    public static readonly DiagnosticDescriptor[] All =
    {
        ClassNotPartial, ClassIsGeneric, ContainerNotPartial, OutsideNetwork, LayerNotFillable, LayerSignature, NoLayers,
        LayersInSeveralParts, SizesDoNotChain, SizeNotPositive, ScaleNotPositive, MixtureWeightOutOfRange,
        MixtureScalesOutOfOrder, PriorArity, NotFinite, NoiseStdNegative, UnknownValue, NotConstant, OptionNotTaken,
        GaussianOptionNotTaken, CategoricalOutputActivation, MonteCarloKl, AttributeOnNonLayer, MixedMethods, NotAModuleClass,
        HeteroscedasticOddWidth, NoiseStdWithHeteroscedastic, NameTaken, ConstructorNotChaining, ImageInputNeeded,
        KernelLargerThanInput, ShapeArgumentOutOfRange, FlattenedSizeDoesNotChain, FlatInputNeeded, AttributeOnParameterFreeLayer,
        InputsDoNotChain, ImageOutput, FlowSizeOutOfRange, NormalPriorNeeded,
        LaplaceLastLayer, FullHessianTooLarge, LaplaceCombination, SamplerOptionOutOfRange, SamplesDoNotFitCycles, DropoutRateOutOfRange, EnsembleTooSmall, LogUniformMisused,
    };
}
