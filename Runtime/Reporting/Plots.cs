using System;
using System.Collections.Generic;
using System.Linq;

namespace BnnDsl;

/// <summary>The pictures people look at to judge uncertainty, written as PNG (ScottPlot, headless).</summary>
public static class Plots
{
    /// <summary>Reliability diagram: accuracy against mean confidence per bin, beside the diagonal of perfect calibration.</summary>
    public static void ReliabilityDiagram(IReadOnlyList<ReliabilityBin> bins, string title, string path)
    {
        var plot = new ScottPlot.Plot();
        double width = bins.Count > 0 ? bins[0].Upper - bins[0].Lower : 0.1;
        var filled = bins.Where(b => b.Count > 0).ToArray();
        var accuracy = plot.Add.Bars(filled.Select(b => (b.Lower + b.Upper) / 2).ToArray(), filled.Select(b => b.Accuracy).ToArray());
        foreach (var bar in accuracy.Bars) bar.Size = width * 0.95;
        accuracy.LegendText = "accuracy per confidence bin";
        var confidence = plot.Add.Scatter(filled.Select(b => b.Confidence).ToArray(), filled.Select(b => b.Accuracy).ToArray());
        confidence.LineWidth = 0;
        confidence.MarkerSize = 7;
        confidence.LegendText = "(mean confidence, accuracy)";
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LinePattern = ScottPlot.LinePattern.Dashed;
        diagonal.LegendText = "perfect calibration";
        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.Title(title);
        plot.XLabel("confidence (top-class probability)");
        plot.YLabel("accuracy");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(path, 640, 560);
    }

    /// <summary>Histograms of predictive entropy for in-distribution and out-of-distribution inputs, as densities.</summary>
    public static void EntropyHistogram(IReadOnlyList<double> inDistribution, IReadOnlyList<double>? outOfDistribution,
        string inLabel, string outLabel, string title, string path, int bins = 40)
    {
        double top = Math.Max(inDistribution.DefaultIfEmpty(0).Max(), outOfDistribution?.DefaultIfEmpty(0).Max() ?? 0);
        top = top > 0 ? top : 1;
        var plot = new ScottPlot.Plot();
        AddDensity(plot, inDistribution, bins, top, inLabel, ScottPlot.Colors.SteelBlue);
        if (outOfDistribution is not null) AddDensity(plot, outOfDistribution, bins, top, outLabel, ScottPlot.Colors.OrangeRed);
        plot.Title(title);
        plot.XLabel("predictive entropy (nats)");
        plot.YLabel("density");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.Axes.Margins(bottom: 0);
        plot.SavePng(path, 720, 480);
    }

    static void AddDensity(ScottPlot.Plot plot, IReadOnlyList<double> values, int bins, double top, string label, ScottPlot.Color color)
    {
        double width = top / bins;
        var counts = new double[bins];
        foreach (double v in values) counts[Math.Clamp((int)(v / width), 0, bins - 1)]++;
        var centres = Enumerable.Range(0, bins).Select(b => (b + 0.5) * width).ToArray();
        var density = counts.Select(c => c / (values.Count * width)).ToArray();
        var bars = plot.Add.Bars(centres, density);
        foreach (var bar in bars.Bars)
        {
            bar.Size = width;
            bar.FillColor = color.WithAlpha(0.45);
            bar.LineWidth = 0;
        }
        bars.LegendText = $"{label} (n = {values.Count})";
        bars.Color = color.WithAlpha(0.45);
    }

    /// <summary>
    /// Error (solid, left axis, %) and mean predictive entropy (dashed, right axis, nats) against an angle in degrees,
    /// one colour per curve: how a predictive degrades, and how its uncertainty follows, as inputs leave the data.
    /// </summary>
    /// <summary>The empirical distribution function of each method's entropies on one plot, as the MNF paper compares them.</summary>
    public static void EntropyCdfs(IReadOnlyList<(string Label, double[] Entropies)> curves, string title, string path)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < curves.Count; i++)
        {
            var sorted = curves[i].Entropies.OrderBy(e => e).ToArray();
            var fractions = sorted.Select((_, k) => (k + 1.0) / sorted.Length).ToArray();
            var line = plot.Add.ScatterLine(sorted, fractions);
            line.Color = palette.GetColor(i);
            line.LegendText = curves[i].Label;
        }
        plot.Title(title);
        plot.XLabel("predictive entropy (nats)");
        plot.YLabel("fraction of images with entropy ≤ x");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(path, 900, 560);
    }

    public static void AgainstAngle(double[] angles, IReadOnlyList<(string Label, double[] Errors, double[] Entropies)> curves, string title, string path)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < curves.Count; i++)
        {
            var color = palette.GetColor(i);
            var error = plot.Add.Scatter(angles, curves[i].Errors.Select(e => 100 * e).ToArray());
            error.Color = color;
            error.LegendText = $"{curves[i].Label}: error";
            var entropy = plot.Add.Scatter(angles, curves[i].Entropies);
            entropy.Color = color;
            entropy.LinePattern = ScottPlot.LinePattern.Dashed;
            entropy.LegendText = $"{curves[i].Label}: entropy";
            entropy.Axes.YAxis = plot.Axes.Right;
        }
        plot.Title(title);
        plot.XLabel("rotation (degrees)");
        plot.YLabel("test error (%)");
        plot.Axes.Right.Label.Text = "mean predictive entropy (nats)";
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(path, 900, 560);
    }

    /// <summary>
    /// A regression predictive on a grid: the mean, a ±2σ band and the training points.
    /// <paramref name="grid"/>, <paramref name="mean"/> and <paramref name="std"/> have one value per grid point.
    /// </summary>
    public static void UncertaintyBand(double[] grid, double[] mean, double[] std, double[] trainX, double[] trainY,
        string title, string path)
    {
        var plot = new ScottPlot.Plot();
        var band = plot.Add.FillY(grid, mean.Zip(std, (m, s) => m - 2 * s).ToArray(), mean.Zip(std, (m, s) => m + 2 * s).ToArray());
        band.FillColor = ScottPlot.Colors.SteelBlue.WithAlpha(0.3);
        band.LegendText = "mean ± 2σ";
        var line = plot.Add.Scatter(grid, mean);
        line.MarkerSize = 0;
        line.LineWidth = 2;
        line.Color = ScottPlot.Colors.SteelBlue;
        line.LegendText = "predictive mean";
        var points = plot.Add.Scatter(trainX, trainY);
        points.LineWidth = 0;
        points.MarkerSize = 3;
        points.Color = ScottPlot.Colors.Black;
        points.LegendText = "training data";
        plot.Title(title);
        plot.XLabel("x");
        plot.YLabel("y");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(path, 800, 500);
    }
}
