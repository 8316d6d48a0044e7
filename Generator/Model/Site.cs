namespace BnnDsl.Generator.Model;

/// <summary>Which part of a declaration a <see cref="Site"/> points at.</summary>
public enum SiteKind
{
    /// <summary>The name of the network class.</summary>
    ClassName,
    /// <summary>The type parameter list of the network class.</summary>
    TypeParameters,
    /// <summary>The <c>[BayesianNetwork]</c> attribute.</summary>
    NetworkAttribute,
    /// <summary>The class's <c>[Prior]</c>.</summary>
    NetworkPrior,
    /// <summary>The class's <c>[Posterior]</c>.</summary>
    NetworkPosterior,
    /// <summary>The name of a layer method.</summary>
    LayerMember,
    /// <summary>A layer's layer attribute: <c>[Dense]</c>, <c>[Conv2d]</c>, <c>[MaxPool2d]</c> or <c>[Flatten]</c>.</summary>
    LayerAttribute,
    /// <summary>A layer's <c>[Prior]</c>.</summary>
    LayerPrior,
    /// <summary>A layer's <c>[Posterior]</c>.</summary>
    LayerPosterior,
    /// <summary>A <c>[Prior]</c> or <c>[Posterior]</c> on a method that is not a layer (<see cref="Site.Layer"/> indexes
    /// <see cref="NetworkModel.StrayAttributes"/>).</summary>
    StrayMember,
    /// <summary>A member the user wrote (<see cref="Site.Layer"/> indexes <see cref="NetworkModel.UserMemberNames"/>).</summary>
    UserMember,
    /// <summary>A constructor the user wrote (<see cref="Site.Layer"/> indexes them in declaration order).</summary>
    Constructor,
}

/// <summary>
/// Where in a declaration a problem lies, without a source location (models stay symbol-free): the part of the
/// declaration, the layer index where it matters, and a constructor argument position or a named argument. An
/// analyzer resolves it against the symbols; an argument it cannot find falls back to the whole attribute.
/// </summary>
public sealed record Site(SiteKind Kind, int Layer = -1, int Argument = -1, string? Named = null)
{
    public static Site Class { get; } = new(SiteKind.ClassName);

    public Site At(int argument) => this with { Argument = argument };

    public Site AtNamed(string name) => this with { Named = name };
}
