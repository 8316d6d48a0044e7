namespace BnnDsl.Generator.Model;

// The parsed declaration: strings, numbers, enums and equatable arrays only — never a symbol, syntax node,
// compilation or location — so that an unchanged declaration compares equal and the generator's cache holds.

/// <summary>A declared prior: the family and its constant parameters in declaration order.</summary>
public sealed record PriorModel(PriorFamily Family, EquatableArray<double> Parameters)
{
    public static PriorModel DefaultNormal { get; } = new(PriorFamily.Normal, new EquatableArray<double>(new[] { 0.0, 1.0 }));
}

/// <summary>A type that contains the network class (for nested declarations), outermost first.</summary>
public sealed record ContainingTypeModel(string Keyword, string Name);

/// <summary>
/// One <c>[Dense]</c> layer on a partial method. <see cref="Prior"/> is the layer's override, or null to use the
/// network's. The signature facts record whether the generator can implement the method.
/// </summary>
public sealed record LayerModel(
    string Name,
    string Modifiers,
    string ParameterName,
    int Inputs,
    int Outputs,
    Activation Activation,
    PriorModel? Prior,
    bool IsPartialDefinition,
    bool HasTensorSignature);

/// <summary>
/// One <c>[BayesianNetwork]</c> class. <see cref="HasPosteriorAttribute"/> and <see cref="HasPriorAttribute"/>
/// tell explicit declarations from the defaults (mean-field, Normal(0, 1)).
/// </summary>
public sealed record NetworkModel(
    string? Namespace,
    string Name,
    EquatableArray<ContainingTypeModel> ContainingTypes,
    bool IsPartial,
    bool IsGeneric,
    Likelihood Likelihood,
    double NoiseStd,
    PosteriorMethod Method,
    bool LocalReparameterization,
    double InitialRho,
    bool HasPosteriorAttribute,
    PriorModel Prior,
    bool HasPriorAttribute,
    EquatableArray<LayerModel> Layers)
{
    /// <summary>The hint name of the generated file: unique per type, including namespace and containers.</summary>
    public string HintName
    {
        get
        {
            var prefix = Namespace is null ? "" : Namespace + ".";
            foreach (var container in ContainingTypes) prefix += container.Name + ".";
            return prefix + Name + ".g.cs";
        }
    }
}
