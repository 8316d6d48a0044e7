namespace BnnDsl.Generator.Model;

/// <summary>Facts about the inference methods that the validator and the emitters both ask.</summary>
internal static class MethodFacts
{
    /// <summary>SGLD, pSGLD and SGHMC: point layers moved by the sampler's own step rule.</summary>
    public static bool IsSampler(this PosteriorMethod method) =>
        method is PosteriorMethod.SGLD or PosteriorMethod.PSGLD or PosteriorMethod.SGHMC;

    /// <summary>Methods that apply to the whole network: declared on a layer, only to repeat the network's, without options.</summary>
    public static bool IsNetworkWide(this PosteriorMethod method) => method == PosteriorMethod.Laplace || method.IsSampler();
}
