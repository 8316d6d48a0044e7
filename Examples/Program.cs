using System;
using System.IO;
using BnnDsl;
using BnnDsl.Examples.Cli;
using Spectre.Console;

// The command-line tool: `bnndsl [COMMAND] [options]` (Cli/CommandLine.cs). Errors the user can fix are one line,
// naming the file, option or step; anything else is a bug and keeps its stack trace.
try
{
    return CommandLine.Run(args, options =>
    {
        // Before the first matrix product: MKL takes its fast code paths by the processor's instruction sets, not its vendor.
        CpuKernels.ChooseMklPathByInstructionSets();
        TorchSharp.torch.set_num_threads(options.Threads);
        return options.Job switch
        {
            "toy-regression" => ToyRegressionJob.Run(options),
            "evaluate" => FashionJob.Evaluate(options),
            "rotation" => Experiments.Rotation(options),
            "five-classes" => Experiments.FiveClasses(options),
            "compare" => Experiments.Compare(options),
            "plan" => ClusterJobs.Plan(options),
            "work" => ClusterJobs.Work(options),
            "run-local" => ClusterJobs.RunLocal(options),
            "gather" => ClusterJobs.Gather(options),
            _ => FashionJob.Run(options),
        };
    });
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException || e is IncompleteRunException)
{
    AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
    return 1;
}
