using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace BnnDsl;

/// <summary>
/// What a scheduler needs to run a plan, one unit per index: how to start a worker, and what each worker may use.
/// The run directory must be at the same path on every node (a shared volume or file system).
/// </summary>
/// <param name="Name">The job's name (a Kubernetes name: lower-case letters, digits and '-').</param>
/// <param name="RunDirectory">The run directory's absolute path, as every worker sees it.</param>
/// <param name="Command">The worker's command before its arguments, e.g. <c>bnndsl</c> or <c>dotnet /opt/bnndsl/bnndsl.dll</c>.</param>
/// <param name="Units">The plan's unit count.</param>
/// <param name="Threads">CPU threads per worker (the worker's <c>--threads</c> and the request).</param>
/// <param name="MemoryGiB">Memory per worker.</param>
/// <param name="Image">The container image with the tool (Kubernetes).</param>
/// <param name="Retries">Attempts per unit after its first (a unit is rerun from its start; its results are replaced whole).</param>
public sealed record ClusterJob(string Name, string RunDirectory, string Command, int Units, int Threads = 1, int MemoryGiB = 4,
    string Image = "bnndsl:latest", int Retries = 2)
{
    /// <summary>
    /// A Kubernetes Indexed Job (<c>completionMode: Indexed</c>): one pod per unit, each reading its unit from
    /// <c>JOB_COMPLETION_INDEX</c>; retries per index (<c>backoffLimitPerIndex</c>, Kubernetes 1.29 and later); the run
    /// directory from a persistent volume claim mounted at its own path.
    /// </summary>
    public string KubernetesYaml()
    {
        string mount = Path.GetDirectoryName(RunDirectory.TrimEnd('/')) is { Length: > 0 } parent ? parent : "/";
        var command = Words(Command).Concat(new[] { "work", RunDirectory, "--threads", Invariant(Threads) });
        var text = new StringBuilder();
        text.AppendLine($"# Written by 'bnndsl plan': one pod per unit of {RunDirectory} ({Units} units). Edit the image, the");
        text.AppendLine("# claim and the resources for your cluster; each pod runs 'work', which reads JOB_COMPLETION_INDEX.");
        text.AppendLine("apiVersion: batch/v1");
        text.AppendLine("kind: Job");
        text.AppendLine("metadata:");
        text.AppendLine($"  name: {Name}");
        text.AppendLine("spec:");
        text.AppendLine("  completionMode: Indexed");
        text.AppendLine($"  completions: {Units}");
        text.AppendLine($"  parallelism: {Units}");
        text.AppendLine($"  backoffLimitPerIndex: {Retries}");
        text.AppendLine("  template:");
        text.AppendLine("    spec:");
        text.AppendLine("      restartPolicy: Never");
        text.AppendLine("      containers:");
        text.AppendLine("      - name: unit");
        text.AppendLine($"        image: {Image}");
        text.AppendLine($"        command: [{string.Join(", ", command.Select(Quoted))}]");
        text.AppendLine("        resources:");
        text.AppendLine("          requests:");
        text.AppendLine($"            cpu: \"{Threads}\"");
        text.AppendLine($"            memory: {MemoryGiB}Gi");
        text.AppendLine("        volumeMounts:");
        text.AppendLine("        - name: runs");
        text.AppendLine($"          mountPath: {mount}");
        text.AppendLine("      volumes:");
        text.AppendLine("      - name: runs");
        text.AppendLine("        persistentVolumeClaim:");
        text.AppendLine("          claimName: bnndsl-runs");
        return text.ToString();
    }

    /// <summary>
    /// A Slurm job array (<c>--array=0-(n−1)</c>): one task per unit, each reading its unit from
    /// <c>SLURM_ARRAY_TASK_ID</c>; requeued if its node fails; a log per task under the run directory.
    /// </summary>
    public string SlurmScript()
    {
        var text = new StringBuilder();
        text.AppendLine("#!/bin/bash");
        text.AppendLine($"# Written by 'bnndsl plan': one array task per unit of {RunDirectory} ({Units} units). Edit the");
        text.AppendLine("# partition, time and resources for your cluster; each task runs 'work', which reads SLURM_ARRAY_TASK_ID.");
        text.AppendLine($"#SBATCH --job-name={Name}");
        text.AppendLine($"#SBATCH --array=0-{Units - 1}");
        text.AppendLine("#SBATCH --ntasks=1");
        text.AppendLine($"#SBATCH --cpus-per-task={Threads}");
        text.AppendLine($"#SBATCH --mem={MemoryGiB}G");
        text.AppendLine("#SBATCH --requeue");
        text.AppendLine($"#SBATCH --output={RunDirectory}/logs/unit-%a.out");
        text.AppendLine($"srun {Command} work {ShellQuoted(RunDirectory)} --threads {Invariant(Threads)}");
        return text.ToString();
    }

    static IEnumerable<string> Words(string command) => command.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    static string Quoted(string word) => "\"" + word.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    static string ShellQuoted(string word) => word.All(c => char.IsLetterOrDigit(c) || "/._-+".Contains(c)) ? word : "'" + word.Replace("'", "'\\''") + "'";

    static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
