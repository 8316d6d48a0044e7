namespace BnnDsl.Generator.Model;

// The parsed declaration: strings, numbers, enums and equatable arrays only — never a symbol, syntax node,
// compilation or location — so that an unchanged declaration compares equal and the generator's cache holds.
// Validation reads the same model; where a problem lies is a Site (Model/Site.cs), which an analyzer turns into
// a source location.

/// <summary>
/// A declared prior: the family and its constant parameters in declaration order. <see cref="Readable"/> is false
/// when an argument was not a constant of the expected type (half-typed code); the attribute is then left to the
/// compiler's own error.
/// </summary>
public sealed record PriorModel(PriorFamily Family, EquatableArray<double> Parameters, bool Readable = true)
{
    public static PriorModel DefaultNormal { get; } = new(PriorFamily.Normal, new EquatableArray<double>(new[] { 0.0, 1.0 }));
}

/// <summary>
/// A declared inference method and its options. <see cref="Options"/> names the options the user set explicitly
/// (named arguments), so that an option the method does not take can be reported even when set to its default.
/// </summary>
public sealed record PosteriorModel(
    PosteriorMethod Method,
    bool LocalReparameterization,
    double InitialRho,
    EquatableArray<string> Options,
    bool Readable = true)
{
    public const double DefaultInitialRho = -5.0;

    public static PosteriorModel Default { get; } = new(PosteriorMethod.MeanField, false, DefaultInitialRho, EquatableArray<string>.Empty);

    /// <summary>The biases' initial ρ when declared (<c>BiasInitialRho</c>), else null: they start at <see cref="InitialRho"/>.</summary>
    public double? BiasInitialRho { get; init; }

    /// <summary>Where the biases' ρ starts: <see cref="BiasInitialRho"/> when declared, else the weights' <see cref="InitialRho"/>.</summary>
    public double InitialBiasRho => BiasInitialRho ?? InitialRho;

    /// <summary>MNF: the steps of q(z)'s flow (the constructor argument <c>flows</c>, listed in <see cref="Options"/> as such).</summary>
    public int Flows { get; init; } = 2;

    /// <summary>MNF: the kind of flow step.</summary>
    public FlowKind Flow { get; init; }

    /// <summary>MNF: the hidden width of q(z)'s coupling networks.</summary>
    public int CouplingWidth { get; init; } = 50;

    /// <summary>MNF: the steps of the auxiliary r(z | W)'s inverse flow.</summary>
    public int AuxiliaryFlows { get; init; } = 2;

    /// <summary>MNF: the hidden width of the auxiliary flow's coupling networks.</summary>
    public int AuxiliaryWidth { get; init; } = 100;

    /// <summary>MNF: where each weight's log σ² starts.</summary>
    public double InitialLogVariance { get; init; } = -9.0;

    /// <summary>Dropout: the rate p of dropping each input unit.</summary>
    public double Rate { get; init; } = DefaultDropoutRate;

    public const double DefaultDropoutRate = 0.1;

    /// <summary>Samplers: StepSize, or null for the runtime's default.</summary>
    public double? StepSize { get; init; }

    /// <summary>Samplers: DecayOffset, or null for the runtime's default.</summary>
    public double? DecayOffset { get; init; }

    /// <summary>Samplers: DecayExponent, or null for the runtime's default.</summary>
    public double? DecayExponent { get; init; }

    /// <summary>Samplers: Cycles, or null for the runtime's default.</summary>
    public int? Cycles { get; init; }

    /// <summary>Samplers: SamplingFraction, or null for the runtime's default.</summary>
    public double? SamplingFraction { get; init; }

    /// <summary>Samplers: BurnIn, or null for the runtime's default.</summary>
    public double? BurnIn { get; init; }

    /// <summary>Samplers: Thinning, or null for the runtime's default.</summary>
    public int? Thinning { get; init; }

    /// <summary>Samplers: Samples, or null for the runtime's default.</summary>
    public int? Samples { get; init; }

    /// <summary>Samplers: SampleMemory (MiB), or null for the runtime's default.</summary>
    public double? SampleMemory { get; init; }

    /// <summary>Samplers: Temperature, or null for the runtime's default.</summary>
    public double? Temperature { get; init; }

    /// <summary>Samplers: Alpha, or null for the runtime's default.</summary>
    public double? Alpha { get; init; }

    /// <summary>Samplers: Lambda, or null for the runtime's default.</summary>
    public double? Lambda { get; init; }

    /// <summary>Samplers: Friction, or null for the runtime's default.</summary>
    public double? Friction { get; init; }

    /// <summary>Laplace: how the curvature is stored.</summary>
    public LaplaceHessian Hessian { get; init; }

    /// <summary>Laplace: the weights covered.</summary>
    public LaplaceSubset Subset { get; init; }

    /// <summary>Laplace: one prior precision or one per layer.</summary>
    public LaplacePriorPrecision PriorPrecision { get; init; }

    /// <summary>Laplace: GGN or empirical Fisher.</summary>
    public LaplaceCurvature Curvature { get; init; }

    /// <summary>Laplace: the predictive's link.</summary>
    public LaplaceLink Link { get; init; }
}

/// <summary>A <c>[Prior]</c> or <c>[Posterior]</c> on a method of the network that is not a layer.</summary>
public sealed record StrayAttributeModel(string Member, string Attribute);

/// <summary>
/// A type that contains the network class (for nested declarations), outermost first: its keyword as a partial
/// declaration repeats it (<c>class</c>, <c>record struct</c>, <c>interface</c>, …) and its type parameter list.
/// </summary>
public sealed record ContainingTypeModel(string Keyword, string Name, string TypeParameters, bool IsPartial);

/// <summary>The kinds of layer a declaration can name, one per layer attribute.</summary>
public enum LayerKind
{
    /// <summary><c>[Dense(inputs, outputs, activation)]</c>.</summary>
    Dense,
    /// <summary><c>[Conv2d(inChannels, outChannels, kernelSize, activation, Stride = s, Padding = p)]</c>.</summary>
    Conv2d,
    /// <summary><c>[MaxPool2d(kernelSize, Stride = s)]</c>: no parameters.</summary>
    MaxPool2d,
    /// <summary><c>[Flatten]</c>: no parameters.</summary>
    Flatten,
}

/// <summary>
/// One layer on a partial method: <c>[Dense]</c>, <c>[Conv2d]</c>, <c>[MaxPool2d]</c> or <c>[Flatten]</c> (<see cref="Kind"/>).
/// For a Dense layer <see cref="Inputs"/> and <see cref="Outputs"/> are widths, for a convolution channels; pooling
/// and flattening use neither. <see cref="Prior"/> and <see cref="Posterior"/> are the layer's
/// overrides, or null to use the network's. The member facts record whether the generator can implement the method;
/// <see cref="Part"/> is the index of the partial declaration of the class that declares the layer.
/// <see cref="Readable"/> is false when the <c>[Dense]</c> arguments did not bind, <see cref="IsComplete"/> when the
/// method's declaration still has syntax errors (the user is typing it): both are left to the compiler.
/// <see cref="NameIsInherited"/> says that BayesianModule or its bases already have a member of the layer's name.
/// <see cref="PlaceholderSignature"/> is the method's signature as an implementation must repeat it, or null when
/// it cannot be repeated; see <c>Emit/PlaceholderEmitter.cs</c>.
/// </summary>
public sealed record LayerModel(
    string Name,
    string Modifiers,
    string ParameterName,
    int Inputs,
    int Outputs,
    Activation Activation,
    PriorModel? Prior,
    PosteriorModel? Posterior,
    bool IsPartialDefinition,
    bool HasExplicitAccessibility,
    bool HasUserImplementation,
    bool HasTensorSignature,
    bool NameIsInherited,
    int Part,
    string? PlaceholderSignature,
    bool Readable = true,
    bool IsComplete = true)
{
    public LayerKind Kind { get; init; } = LayerKind.Dense;

    /// <summary>The side of a convolution's or pooling's square kernel.</summary>
    public int KernelSize { get; init; }

    /// <summary>The step between kernel positions (a convolution's default 1, a pooling's its kernel size).</summary>
    public int Stride { get; init; } = 1;

    /// <summary>A convolution's zero padding on each side.</summary>
    public int Padding { get; init; }

    /// <summary>Whether the layer has weights, and so a prior, a posterior and a parameter holder.</summary>
    public bool HasParameters => Kind is LayerKind.Dense or LayerKind.Conv2d;

    /// <summary>Whether the layer applies an activation (Dense and Conv2d).</summary>
    public bool HasActivation => HasParameters;

    /// <summary>The position of the activation among the layer attribute's constructor arguments.</summary>
    public int ActivationArgument => Kind == LayerKind.Conv2d ? 3 : 2;

    /// <summary>The attribute's name as written: "Dense", "Conv2d", "MaxPool2d", "Flatten".</summary>
    public string AttributeName => Kind.ToString();
}

/// <summary>
/// One <c>[BayesianNetwork]</c> class. <see cref="HasPosteriorAttribute"/> and <see cref="HasPriorAttribute"/>
/// tell explicit declarations from the defaults (mean-field, Normal(0, 1)). A record, a static class, a base class of
/// its own (<see cref="ForeignBaseType"/>), a primary constructor or a file-local type (<see cref="FileLocalType"/>, the class or a
/// container) keeps the type from becoming a generated module. <see cref="UserMemberNames"/> are the names the user's
/// own members take in the class, which generated members must not repeat. <see cref="ConstructorsNotChaining"/> lists,
/// by their index among the user's constructors, those that do not call the generated one with <c>: this(…)</c>.
/// </summary>
public sealed record NetworkModel(
    string? Namespace,
    string Name,
    EquatableArray<ContainingTypeModel> ContainingTypes,
    bool IsPartial,
    string TypeParameters,
    string? FileLocalType,
    bool HeaderIsComplete,
    bool HasPrimaryConstructor,
    EquatableArray<int> ConstructorsNotChaining,
    bool IsRecord,
    bool IsStatic,
    string? ForeignBaseType,
    Likelihood Likelihood,
    double NoiseStd,
    bool HasNoiseStd,
    bool Heteroscedastic,
    bool NetworkAttributeReadable,
    EquatableArray<string> UserMemberNames,
    PosteriorModel Posterior,
    bool HasPosteriorAttribute,
    PriorModel Prior,
    bool HasPriorAttribute,
    EquatableArray<LayerModel> Layers,
    EquatableArray<StrayAttributeModel> StrayAttributes)
{
    /// <summary>
    /// The declared shape of one input example (<c>Input = new[] { 1, 28, 28 }</c>), empty when not declared
    /// (<see cref="HasInput"/> tells an empty declaration apart).
    /// </summary>
    public EquatableArray<int> Input { get; init; } = EquatableArray<int>.Empty;

    /// <summary>Whether <c>[BayesianNetwork]</c> sets <c>Input</c>.</summary>
    public bool HasInput { get; init; }

    /// <summary>The members of the deep ensemble <c>[BayesianNetwork(Ensemble = k)]</c> declares, or null.</summary>
    public int? EnsembleMembers { get; init; }

    /// <summary>Whether the user writes <c>forward</c> (calling the layer methods); the generator then emits none.</summary>
    public bool HasUserForward => UserMemberNames.Contains("forward");

    /// <summary>The layers that hold parameters, in declaration order.</summary>
    public System.Collections.Generic.IEnumerable<LayerModel> ParameterLayers => System.Linq.Enumerable.Where(Layers, l => l.HasParameters);

    public PosteriorMethod Method => Posterior.Method;

    /// <summary>Whether the class itself declares type parameters.</summary>
    public bool IsGeneric => TypeParameters.Length > 0;

    /// <summary>
    /// The hint name of the generated file: unique per type, with the namespace, the containers and the arity of each
    /// generic type (<c>Demo.Outer`1.Net.g.cs</c>), so that <c>Net</c> and <c>Net&lt;T&gt;</c> never collide.
    /// </summary>
    public string HintName
    {
        get
        {
            var prefix = Namespace is null ? "" : Namespace + ".";
            foreach (var container in ContainingTypes) prefix += WithArity(container.Name, container.TypeParameters) + ".";
            return prefix + WithArity(Name, TypeParameters) + ".g.cs";
        }
    }

    static string WithArity(string name, string typeParameters) =>
        typeParameters.Length == 0 ? name : name + "`" + (typeParameters.Split(',').Length);

    /// <summary>The prior that applies to <paramref name="layer"/>: its override, else the network's.</summary>
    public PriorModel PriorOf(LayerModel layer) => layer.Prior ?? Prior;

    /// <summary>
    /// The posterior that applies to <paramref name="layer"/>: the network's, with the options the layer sets itself
    /// replacing the network's when the layer keeps the network's method.
    /// </summary>
    public PosteriorModel PosteriorOf(LayerModel layer)
    {
        if (layer.Posterior is not { } own) return Posterior;
        if (own.Method != Posterior.Method) return own;
        bool Set(string option) => own.Options.Contains(option);
        return Posterior with
        {
            LocalReparameterization = Set("LocalReparameterization") ? own.LocalReparameterization : Posterior.LocalReparameterization,
            InitialRho = Set("InitialRho") ? own.InitialRho : Posterior.InitialRho,
            BiasInitialRho = Set("BiasInitialRho") ? own.BiasInitialRho : Posterior.BiasInitialRho,
            Flows = Set("flows") ? own.Flows : Posterior.Flows,
            Flow = Set("Flow") ? own.Flow : Posterior.Flow,
            CouplingWidth = Set("CouplingWidth") ? own.CouplingWidth : Posterior.CouplingWidth,
            AuxiliaryFlows = Set("AuxiliaryFlows") ? own.AuxiliaryFlows : Posterior.AuxiliaryFlows,
            AuxiliaryWidth = Set("AuxiliaryWidth") ? own.AuxiliaryWidth : Posterior.AuxiliaryWidth,
            InitialLogVariance = Set("InitialLogVariance") ? own.InitialLogVariance : Posterior.InitialLogVariance,
            Rate = Set("Rate") ? own.Rate : Posterior.Rate,
        };
    }
}
