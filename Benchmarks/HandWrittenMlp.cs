using TorchSharp;
using static TorchSharp.torch;

namespace BnnDsl.Benchmarks;

/// <summary>The baseline a TorchSharp user writes by hand: 784-400-400-10 ReLU, cross-entropy, no prior.</summary>
public sealed class HandWrittenMlp : nn.Module<Tensor, Tensor>
{
    readonly TorchSharp.Modules.Linear hidden1 = nn.Linear(784, 400);
    readonly TorchSharp.Modules.Linear hidden2 = nn.Linear(400, 400);
    readonly TorchSharp.Modules.Linear output = nn.Linear(400, 10);

    public HandWrittenMlp() : base(nameof(HandWrittenMlp)) => RegisterComponents();

    public override Tensor forward(Tensor input) =>
        output.forward(nn.functional.relu(hidden2.forward(nn.functional.relu(hidden1.forward(input)))));

    protected override void Dispose(bool disposing)
    {
        if (disposing) { hidden1.Dispose(); hidden2.Dispose(); output.Dispose(); }
        base.Dispose(disposing);
    }
}
