namespace BnnDsl;

/// <summary>How a forward pass of a <see cref="BayesianModule"/> treats the weights.</summary>
public enum SampleMode
{
    /// <summary>Draw from the posterior (reparameterised, so gradients flow to its parameters).</summary>
    Sample,
    /// <summary>Use the posterior mean (the point estimate for MAP).</summary>
    Mean,
}
