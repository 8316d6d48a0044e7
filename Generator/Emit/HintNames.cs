using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using BnnDsl.Generator.Model;

namespace BnnDsl.Generator.Emit;

/// <summary>
/// Roslyn compares hint names ignoring case, so two networks whose names differ only in case (Net and NET in one
/// namespace) would collide and make the generator fail for the whole project. Those, and only those, get a suffix
/// computed from the exact name.
/// </summary>
public static class HintNames
{
    /// <summary>
    /// The hint names that another one equals when case is ignored (as Roslyn compares them), in ordinal order.
    /// </summary>
    public static EquatableArray<string> Ambiguous(ImmutableArray<string> hintNames) =>
        new(hintNames.Where(name => name.Length > 0)
            .GroupBy(name => name, StringComparer.OrdinalIgnoreCase)
            .Where(group => group.Distinct(StringComparer.Ordinal).Count() > 1)
            .SelectMany(group => group.Distinct(StringComparer.Ordinal))
            .OrderBy(name => name, StringComparer.Ordinal));

    /// <summary><paramref name="hintName"/>, with a stable hash of its exact spelling when it is ambiguous.</summary>
    public static string Unique(string hintName, EquatableArray<string> ambiguous) =>
        ambiguous.Contains(hintName)
            ? hintName.Substring(0, hintName.Length - ".g.cs".Length) + "." + Fnv1a(hintName).ToString("x8") + ".g.cs"
            : hintName;

    // A deterministic hash (string.GetHashCode differs between processes).
    static uint Fnv1a(string text)
    {
        uint hash = 2166136261;
        foreach (char c in text) hash = unchecked((hash ^ c) * 16777619);
        return hash;
    }
}
