using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace BnnDsl.Generator.Tests.Validation;

/// <summary>The shape diagnostics name the numbers a user needs to mend the declaration.</summary>
public class ShapeMessageTests
{
    static async Task<string> MessageOf(string id, string invalidCase)
    {
        var @case = DiagnosticCases.All.First(c => c.Id == id && c.Name == invalidCase);
        var (diagnostics, _, _) = await AnalyzerHarness.BuildAsync(@case.Invalid.Select(DiagnosticCases.Plain).ToList());
        return diagnostics.Single(d => d.Id == id).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData("BNN0031", "kernel larger than its input", "The 15×15 kernel of layer 'Conv2' is larger than its 14×14 input, so the output would have 0×0 positions: use a kernel of at most 14")]
    [InlineData("BNN0031", "pooling window larger than its input", "The 12×12 kernel of layer 'Pool2' is larger than its 10×10 input, so the output would have 0×0 positions: use a kernel of at most 10")]
    [InlineData("BNN0033", "Dense after Flatten of the wrong width", "Layer 'Hidden' takes 256 inputs but 'Flat' flattens 16×5×5 = 400 values: make it 400")]
    [InlineData("BNN0034", "Dense on images without Flatten", "Layer 'Hidden' (Dense) takes a flat vector, but 'Pool2' before it gives 16×5×5 images: add a [Flatten] layer before 'Hidden'")]
    [InlineData("BNN0036", "convolution channels that do not chain", "Layer 'Conv2' takes 3 input channels but 'Pool1' before it gives 6: make the two equal")]
    [InlineData("BNN0036", "first Dense layer against the declared input", "Layer 'Hidden' takes 700 inputs but the network's Input gives 784: make the two equal")]
    [InlineData("BNN0037", "network ending in a convolution", "The last layer 'Output' gives 10×1×1 images, but the likelihood takes [batch, outputs]: end the network with [Flatten] and a Dense layer")]
    [InlineData("BNN0030", "convolution without a declared input shape", "Layer 'Conv1' (Conv2d) takes images [channels, height, width], but the network declares no Input: declare Input = new[] { channels, height, width } on [BayesianNetwork]")]
    [InlineData("BNN0032", "input shape of two sizes", "Input of 'LeNet' is [28, 28]: give one size (features) or three (channels, height, width), each at least 1")]
    public async Task TheMessageNamesTheSizes(string id, string invalidCase, string message) =>
        Assert.Equal(message, await MessageOf(id, invalidCase));
}
