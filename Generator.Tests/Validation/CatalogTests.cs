using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using BnnDsl.Generator.Validation;
using Microsoft.CodeAnalysis;
using Xunit;

namespace BnnDsl.Generator.Tests.Validation;

/// <summary>The catalog, the release-tracking file and the README's table say the same thing.</summary>
public class CatalogTests
{
    static string RepositoryFile(string relative, [CallerFilePath] string here = "") =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", relative));

    [Fact]
    public void IdsAreStableSequentialAndUnique()
    {
        var ids = Descriptors.All.Select(d => d.Id).ToList();
        Assert.Equal(Enumerable.Range(1, ids.Count).Select(i => $"BNN{i:D4}"), ids);
    }

    [Fact]
    public void EveryDescriptorLinksToItsReadmeRowAndIsOneLineWithTheFixAfterAColon()
    {
        var readme = RepositoryFile("README.md");
        foreach (var descriptor in Descriptors.All)
        {
            var anchor = descriptor.Id.ToLowerInvariant();
            Assert.Equal(Descriptors.HelpBase + anchor, descriptor.HelpLinkUri);
            var row = Regex.Match(readme, $@"^\| <a id=""{anchor}""></a>{descriptor.Id} \| (\w+) \|.*$", RegexOptions.Multiline);
            Assert.True(row.Success, $"README has no row for {descriptor.Id}");
            Assert.Equal(descriptor.DefaultSeverity.ToString().ToLowerInvariant(), row.Groups[1].Value);
            Assert.True(descriptor.Category is Descriptors.Declaration or Descriptors.Inference, descriptor.Id);
            var message = descriptor.MessageFormat.ToString();
            Assert.False(message.EndsWith(".", StringComparison.Ordinal), $"{descriptor.Id}: one line, no final period");
            Assert.Contains(":", message);
        }
    }

    [Fact]
    public void TheReadmeShowsTheDeclarationTheTestsCompile() =>
        Assert.Contains(Tests.Declarations.ReadmeExample.Replace("\r\n", "\n"), RepositoryFile("README.md").Replace("\r\n", "\n"));

    [Fact]
    public void EveryDescriptorIsTrackedForRelease()
    {
        var tracked = RepositoryFile("Generator/AnalyzerReleases.Unshipped.md") + RepositoryFile("Generator/AnalyzerReleases.Shipped.md");
        foreach (var descriptor in Descriptors.All)
            Assert.Matches($@"(?m)^{descriptor.Id} \| {Regex.Escape(descriptor.Category)} \| {descriptor.DefaultSeverity} \|", tracked);
    }

    [Fact]
    public void TheAnalyzerSupportsTheWholeCatalog() =>
        Assert.Equal(Descriptors.All, new NetworkAnalyzer().SupportedDiagnostics.ToArray());
}
