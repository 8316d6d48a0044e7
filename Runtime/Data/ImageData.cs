using System;
using System.IO;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>Inputs [n, features] (float32) and targets [n] (int64 labels) or [n, outputs] (float32), on one device.</summary>
public sealed class LabelledData : IDisposable
{
    public LabelledData(Tensor inputs, Tensor targets, string description)
    {
        if (inputs.shape[0] != targets.shape[0])
            throw new ArgumentException($"{inputs.shape[0]} inputs but {targets.shape[0]} targets ({description}).");
        Inputs = inputs;
        Targets = targets;
        Description = description;
    }

    public Tensor Inputs { get; }
    public Tensor Targets { get; }
    public string Description { get; }
    public int Count => (int)Inputs.shape[0];

    /// <summary>The first <paramref name="count"/> examples (a view sharing storage).</summary>
    public LabelledData Take(int count) =>
        new(Inputs.narrow(0, 0, Math.Min(count, Count)), Targets.narrow(0, 0, Math.Min(count, Count)), Description);

    /// <summary>
    /// The same examples on <paramref name="device"/>, for a model there: the trainer and the predictive index the data
    /// where it lives, so data on the model's device keeps every step free of copies between host and device.
    /// </summary>
    public LabelledData To(Device device) => new(Inputs.to(device), Targets.to(device), Description);

    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
    }
}

/// <summary>Image classification data in IDX files (MNIST layout): pixels scaled to [0, 1] and flattened.</summary>
public static class ImageData
{
    /// <summary>
    /// Square images [n, side·side] (or [n, 1, side, side]) rotated counter-clockwise by <paramref name="degrees"/> about
    /// their centre, sampled bilinearly with zeros outside; the shape is kept. For the seed's rotation experiment.
    /// </summary>
    public static Tensor Rotate(Tensor images, double degrees)
    {
        long side = (long)Math.Round(Math.Sqrt(images[0].numel()));
        if (side * side != images[0].numel()) throw new ArgumentException($"Images of {images[0].numel()} pixels are not square.", nameof(images));
        if (degrees % 360 == 0) return images;
        var batch = images.view(-1, 1, side, side);
        double radians = degrees * Math.PI / 180;
        float cos = (float)Math.Cos(radians), sin = (float)Math.Sin(radians);
        // affine_grid maps each output position to the input position it samples: the inverse rotation, in (x, y) order
        // with y pointing down, rotates the picture counter-clockwise as seen.
        var theta = tensor(new[] { cos, -sin, 0, sin, cos, 0 }, new long[] { 1, 2, 3 }, dtype: images.dtype, device: images.device)
            .expand(batch.shape[0], 2, 3);
        var grid = nn.functional.affine_grid(theta, batch.shape, align_corners: false);
        return nn.functional.grid_sample(batch, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false)
            .view(images.shape);
    }

    /// <summary>
    /// Reads an images file [n, rows, cols] and its labels file [n]. Checks the image size and that every label is
    /// below <paramref name="classes"/>; errors name the file and offset.
    /// </summary>
    public static LabelledData Read(string imagesPath, string labelsPath, int rows = 28, int columns = 28, int classes = 10)
    {
        var images = Idx.Read(imagesPath);
        var labels = Idx.Read(labelsPath);
        if (images.Dimensions.Length != 3)
            throw new DataFormatException(imagesPath, 3, $"expected a rank-3 array of images, found rank {images.Dimensions.Length}");
        if (images.Dimensions[1] != rows || images.Dimensions[2] != columns)
            throw new DataFormatException(imagesPath, 8,
                $"images are {images.Dimensions[1]}×{images.Dimensions[2]} pixels; this network takes {rows}×{columns}");
        if (labels.Dimensions.Length != 1)
            throw new DataFormatException(labelsPath, 3, $"expected a rank-1 array of labels, found rank {labels.Dimensions.Length}");
        if (labels.Dimensions[0] != images.Dimensions[0])
            throw new DataFormatException(labelsPath, 4,
                $"{labels.Dimensions[0]} labels for the {images.Dimensions[0]} images of {imagesPath}");
        for (int i = 0; i < labels.Data.Length; i++)
            if (labels.Data[i] >= classes)
                throw new DataFormatException(labelsPath, 8 + i, $"label {labels.Data[i]} of example {i} is not below {classes}");

        int n = images.Dimensions[0], features = rows * columns;
        // Scale in libtorch rather than through a managed float[]: the full training set would otherwise leave 188 MB
        // of garbage for the collector during the first epochs (float32 division by 255 gives the same values).
        using var bytes = tensor(images.Data, new long[] { n, features });
        var pixels = bytes.to_type(ScalarType.Float32).div_(255f);
        using var labelBytes = tensor(labels.Data);
        return new LabelledData(pixels, labelBytes.to_type(ScalarType.Int64), $"{Path.GetFileName(imagesPath)} ({n} images)");
    }
}
