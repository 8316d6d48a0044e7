namespace BnnDsl.Generator.Emit;

/// <summary>Fully qualified names of everything generated code refers to.</summary>
internal static class Names
{
    public const string Tensor = "global::TorchSharp.torch.Tensor";
    public const string Device = "global::TorchSharp.torch.Device";
    public const string Parameter = "global::TorchSharp.Modules.Parameter";
    public const string Functional = "global::TorchSharp.torch.nn.functional";
    public const string Torch = "global::TorchSharp.torch";
    public const string BayesianModule = "global::BnnDsl.BayesianModule";
    public const string SampleMode = "global::BnnDsl.SampleMode";
    public const string Likelihood = "global::BnnDsl.Likelihood";
    public const string PosteriorMethod = "global::BnnDsl.PosteriorMethod";
    public const string Prior = "global::BnnDsl.Prior";
    public const string PointDense = "global::BnnDsl.PointDense";
    public const string PointConv2d = "global::BnnDsl.PointConv2d";
    public const string MeanFieldDense = "global::BnnDsl.MeanFieldDense";
    public const string MeanFieldConv2d = "global::BnnDsl.MeanFieldConv2d";
    public const string MnfDense = "global::BnnDsl.MnfDense";
    public const string MnfConv2d = "global::BnnDsl.MnfConv2d";
    public const string MnfOptions = "global::BnnDsl.MnfOptions";
    public const string FlowKind = "global::BnnDsl.FlowKind";
    public const string LaplaceApproximation = "global::BnnDsl.LaplaceApproximation";
    public const string PointLayer = "global::BnnDsl.PointLayer";
    public const string SampleStore = "global::BnnDsl.SampleStore";
    public const string Ensemble = "global::BnnDsl.Ensemble";
    public const string StepRuleFactory = "global::BnnDsl.StepRuleFactory";
    public const string PosteriorFit = "global::BnnDsl.IPosteriorFit";
    public const string PredictiveMethod = "global::BnnDsl.IPredictiveMethod";
    public const string BayesianLayer = "global::BnnDsl.IBayesianLayer";
}
