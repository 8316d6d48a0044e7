using System;
using System.Globalization;
using System.Text;

namespace BnnDsl.Generator.Emit;

/// <summary>A small indented writer: lines, blocks and invariant-culture numbers.</summary>
public sealed class CodeWriter
{
    readonly StringBuilder text = new();
    int depth;

    public CodeWriter Line(string line = "")
    {
        if (line.Length > 0) text.Append(' ', depth * 4).Append(line);
        text.Append('\n');
        return this;
    }

    /// <summary>Writes <paramref name="header"/>, an opening brace, the body one level deeper, and the closing brace.</summary>
    public CodeWriter Block(string header, Action body, string closing = "}")
    {
        Line(header);
        Line("{");
        depth++;
        body();
        depth--;
        Line(closing);
        return this;
    }

    public void Indent() => depth++;
    public void Outdent() => depth--;

    public override string ToString() => text.ToString();

    /// <summary>A C# double literal in the invariant culture that round-trips (0.1 never prints as 0,1).</summary>
    public static string Number(double value)
    {
        if (double.IsPositiveInfinity(value)) return "double.PositiveInfinity";
        if (double.IsNegativeInfinity(value)) return "double.NegativeInfinity";
        if (double.IsNaN(value)) return "double.NaN";
        var literal = value.ToString("R", CultureInfo.InvariantCulture);
        return literal.IndexOfAny(new[] { '.', 'E' }) >= 0 ? literal : literal + ".0";
    }

    /// <summary>"Hidden1" → "hidden1": the name of a generated field that belongs to a member.</summary>
    /// <summary>A name as C# source writes it: keywords escaped with <c>@</c>.</summary>
    public static string Identifier(string name) =>
        Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(name) == Microsoft.CodeAnalysis.CSharp.SyntaxKind.None ? name : "@" + name;

    /// <summary>A C# string literal, quoted and escaped.</summary>
    public static string Literal(string text) => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(text, quote: true);

    public static string Camel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name.Substring(1);
}
