using System;
using System.IO;
using BnnDsl;
using BnnDsl.Examples.Cli;
using Spectre.Console;

// The command-line tool: `bnndsl [fashion|evaluate|toy-regression] [options]`. Errors the user can fix are one line,
// naming the file, option or step; anything else is a bug and keeps its stack trace.
try
{
    var options = Options.Parse(args);
    // Before the first matrix product: MKL takes its fast code paths by the processor's instruction sets, not its vendor.
    CpuKernels.ChooseMklPathByInstructionSets();
    TorchSharp.torch.set_num_threads(options.Threads);
    return options.Job switch
    {
        "toy-regression" => ToyRegressionJob.Run(options),
        "evaluate" => FashionJob.Evaluate(options),
        _ => FashionJob.Run(options),
    };
}
catch (UsageException e)
{
    if (e.Message.Length > 0) Console.Error.WriteLine($"error: {e.Message}\n");
    Console.Error.WriteLine(Options.Usage);
    return e.Message.Length > 0 ? 2 : 0;
}
catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
{
    AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
    return 1;
}
