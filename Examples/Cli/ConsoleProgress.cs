using System;
using System.Globalization;
using Spectre.Console;

namespace BnnDsl.Examples.Cli;

/// <summary>
/// Renders training progress: a live bar per epoch on a terminal, one summary line per epoch otherwise.
/// Reports arrive synchronously from the training loop (no thread hop, unlike <see cref="Progress{T}"/>).
/// </summary>
public sealed class ConsoleProgress(ProgressContext? context, string complexityLabel) : IProgress<TrainingProgress>
{
    ProgressTask? task;
    int epoch;

    public void Report(TrainingProgress value)
    {
        if (context is null)
        {
            // Redirected output (CI, a log file): one line per finished epoch.
            if (value.Step == value.StepsPerEpoch)
                Console.WriteLine(Describe(value));
            return;
        }
        if (value.Epoch != epoch)
        {
            task?.StopTask();
            epoch = value.Epoch;
            task = context.AddTask($"epoch {value.Epoch}", maxValue: value.StepsPerEpoch);
        }
        task!.Value = value.Step;
        task.Description = Describe(value);
        if (value.Step == value.StepsPerEpoch) task.StopTask();
    }

    string Describe(TrainingProgress value) => string.Format(CultureInfo.InvariantCulture,
        "epoch {0,2}  loss {1:F4}  nll {2:F4}  {3} {4:F0}  lr {5:0.0e+0}", value.Epoch, value.Loss, value.Nll, complexityLabel, value.Complexity,
        value.LearningRate);
}
