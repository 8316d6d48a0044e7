using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;

namespace BnnDsl.Generator.Tests;

/// <summary>
/// Snapshot files in Verify's conventions: <c>Snapshots/&lt;Test&gt;.&lt;Name&gt;.verified.cs</c> is committed; a
/// mismatch writes <c>.received.cs</c> beside it and fails with a unified diff. Set BNNDSL_ACCEPT_SNAPSHOTS=1 to
/// accept every received file (review the diff before committing).
/// </summary>
public static class Snapshot
{
    public static void Verify(string actual, string test, string name, [CallerFilePath] string callerFile = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(callerFile)!, "Snapshots");
        string stem = Path.Combine(directory, $"{test}.{name}");
        string verified = stem + ".verified.cs", received = stem + ".received.cs";
        actual = actual.Replace("\r\n", "\n");
        string? expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        if (Environment.GetEnvironmentVariable("BNNDSL_ACCEPT_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verified, actual);
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        Directory.CreateDirectory(directory);
        File.WriteAllText(received, actual);
        throw new Xunit.Sdk.XunitException(expected is null
            ? $"No snapshot {Path.GetFileName(verified)} yet; review {Path.GetFileName(received)} and accept it (BNNDSL_ACCEPT_SNAPSHOTS=1)."
            : $"Generated code differs from {Path.GetFileName(verified)}:\n{UnifiedDiff(expected, actual)}");
    }

    /// <summary>A line diff with three lines of context (longest common subsequence; snapshots are small).</summary>
    public static string UnifiedDiff(string expected, string actual)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
            for (int j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var lines = new System.Collections.Generic.List<(char Kind, string Text)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y]) { lines.Add((' ', a[x])); x++; y++; }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y])) lines.Add(('+', b[y++]));
            else lines.Add(('-', a[x++]));
        }
        var output = new StringBuilder();
        for (int i = 0; i < lines.Count; i++)
        {
            bool near = Enumerable.Range(Math.Max(0, i - 3), Math.Min(lines.Count, i + 4) - Math.Max(0, i - 3)).Any(k => lines[k].Kind != ' ');
            if (near) output.Append(lines[i].Kind).Append(' ').AppendLine(lines[i].Text);
        }
        return output.ToString();
    }
}
