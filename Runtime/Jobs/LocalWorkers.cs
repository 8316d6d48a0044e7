using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace BnnDsl;

/// <summary>What became of one unit run as a local process.</summary>
/// <param name="Index">The unit.</param>
/// <param name="ExitCode">The process's exit code (0: finished).</param>
/// <param name="Seconds">Its wall time, start-up included.</param>
/// <param name="ErrorTail">The last lines it wrote, standard output and error together (empty when it succeeded).</param>
public sealed record WorkerOutcome(int Index, int ExitCode, double Seconds, string ErrorTail);

/// <summary>
/// Runs units as local processes, at most a given number at once — the scheduler of one machine, for runs that fit on
/// it and for tests. Each process is started by the caller's <see cref="ProcessStartInfo"/> for its index, so a local
/// run starts exactly what a cluster's worker starts.
/// </summary>
public static class LocalWorkers
{
    /// <summary>
    /// Runs every index of <paramref name="indices"/>, <paramref name="workers"/> at a time, and returns each one's
    /// outcome in index order; <paramref name="finished"/> hears of each as it ends (from a pool thread).
    /// </summary>
    public static IReadOnlyList<WorkerOutcome> Run(IReadOnlyList<int> indices, int workers, Func<int, ProcessStartInfo> start,
        Action<WorkerOutcome>? finished = null)
    {
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), workers, "At least one worker is needed.");
        var outcomes = new WorkerOutcome[indices.Count];
        int next = -1;
        var threads = Enumerable.Range(0, Math.Min(workers, indices.Count)).Select(_ => Task.Run(() =>
        {
            for (int i; (i = Interlocked.Increment(ref next)) < indices.Count;)
            {
                outcomes[i] = RunOne(indices[i], start(indices[i]));
                finished?.Invoke(outcomes[i]);
            }
        })).ToArray();
        Task.WaitAll(threads);
        return outcomes;
    }

    static WorkerOutcome RunOne(int index, ProcessStartInfo info)
    {
        info.UseShellExecute = false;
        info.RedirectStandardError = true;
        info.RedirectStandardOutput = true;
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        var errors = new Queue<string>(); // both streams are drained, so that the child never blocks on a full pipe
        void Keep(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (errors)
            {
                errors.Enqueue(e.Data);
                if (errors.Count > 20) errors.Dequeue();
            }
        }
        process.ErrorDataReceived += Keep;
        process.OutputDataReceived += Keep;
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        process.WaitForExit();
        lock (errors)
            return new WorkerOutcome(index, process.ExitCode, clock.Elapsed.TotalSeconds,
                process.ExitCode == 0 ? "" : string.Join(Environment.NewLine, errors));
    }
}
