#!/usr/bin/python3
"""Where a trained Fashion-MNIST MLP's uncertainty comes from: predicts with posterior noise in chosen layers only.

Reads the model.bin the main job writes (TorchSharp's state-dict format) for the 784-400-400-10 ReLU MLP of
Examples/Networks/FashionNetworks.cs and prints, for each subset of layers whose weights are sampled (the others at
their posterior mean), test error, NLL, ECE (15 bins), mean confidence and the AUROC of predictive entropy against the
MNIST digits. A mean-field layer is sampled in its locally reparameterised form, which gives each input the same
predictive distribution as sampling its weights; the draws are not the main job's, so the all-layers row matches
its figures only within Monte Carlo error. Then, for each hidden mean-field layer fed the posterior-mean pass, how
its units sit on the clothes and on the digits: the share active, the mean |pre-activation|, and the chance that one
draw of its noise (weights and biases together) flips a unit's sign. Needs Debian's python3-torch (the peers' set-up).

  Benchmarks/noise-by-layer.py OUT/model.bin [--test DIR] [--ood FILE] [--samples S]
"""
import argparse
import gzip
import itertools
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEBIAN_FASHION = "/usr/share/datasets/fashion-mnist"
EMBEDDED = os.path.join(ROOT, "Examples", "data")
FLOAT32 = 6  # TorchSharp's ScalarType code


def read_state_dict(path):
    """A BnnDsl checkpoint: the signature, an int32 version, two length-prefixed strings (network, declaration), then
    TorchSharp's Module.save: a LEB128 count, then per tensor its name, type, rank, shape and raw data."""
    def leb128(f):
        value, shift = 0, 0
        while True:
            byte = f.read(1)
            if not byte:
                raise ValueError(f"{path}: ends inside a header at offset {f.tell()}")
            value |= (byte[0] & 0x7F) << shift
            shift += 7
            if byte[0] < 0x80:
                return value

    tensors = {}
    with open(path, "rb") as f:
        if f.read(17) != b"BNNDSL-CHECKPOINT":
            raise ValueError(f"{path}: not a BnnDsl checkpoint")
        f.read(4)  # format version
        for _ in range(2):  # the network's class name and its declaration, each a LEB128 length and UTF-8 bytes
            f.read(leb128(f))
        for _ in range(leb128(f)):
            name = f.read(leb128(f)).decode()
            scalar_type, rank = leb128(f), leb128(f)
            shape = [leb128(f) for _ in range(rank)]
            if scalar_type != FLOAT32:
                raise ValueError(f"{path}: tensor {name} at offset {f.tell()} is not float32 (type {scalar_type})")
            count = int(np.prod(shape)) if shape else 1
            data = f.read(4 * count)
            if len(data) != 4 * count:
                raise ValueError(f"{path}: tensor {name} is cut short at offset {f.tell()}")
            tensors[name] = torch.from_numpy(np.frombuffer(data, dtype=np.float32).reshape(shape).copy())
    return tensors


def read_images(path):
    with gzip.open(path) as f:
        data = f.read()
    magic, count, rows, columns = struct.unpack(">IIII", data[:16])
    if magic != 0x803 or rows * columns != 784 or len(data) != 16 + count * 784:
        raise ValueError(f"{path}: not an IDX file of 28×28 images")
    return torch.from_numpy(np.frombuffer(data, np.uint8, offset=16).reshape(count, 784) / np.float32(255))


def read_labels(path):
    with gzip.open(path) as f:
        data = f.read()
    return torch.from_numpy(np.frombuffer(data, np.uint8, offset=8).astype(np.int64))


def layers_of(state):
    """[(name, mean weight, mean bias, weight σ or None, bias σ or None)] in the file's (declaration) order."""
    names = list(dict.fromkeys(key.split(".")[0] for key in state))
    layers = []
    for name in names:
        if f"{name}.weight_mu" in state:
            layers.append((name, state[f"{name}.weight_mu"], state[f"{name}.bias_mu"],
                           F.softplus(state[f"{name}.weight_rho"]), F.softplus(state[f"{name}.bias_rho"])))
        else:
            layers.append((name, state[f"{name}.weight"], state[f"{name}.bias"], None, None))
    return layers


def moments(h, weight, bias, weight_sigma, bias_sigma):
    """A mean-field layer's pre-activation mean and variance given its input h (local reparameterisation)."""
    return h @ weight.T + bias, (h * h) @ (weight_sigma ** 2).T + bias_sigma ** 2


def predict(layers, inputs, noisy, samples):
    """Mean of the softmax over samples; layers in `noisy` draw their pre-activations, the rest use the mean."""
    total = 0
    for _ in range(samples if noisy else 1):
        h = inputs
        for index, (name, weight, bias, weight_sigma, bias_sigma) in enumerate(layers):
            if name in noisy and weight_sigma is not None:
                pre, variance = moments(h, weight, bias, weight_sigma, bias_sigma)
                pre = pre + variance.sqrt() * torch.randn_like(pre)
            else:
                pre = h @ weight.T + bias
            h = pre if index == len(layers) - 1 else torch.relu(pre)
        total = total + torch.softmax(h, dim=1)
    return total / (samples if noisy else 1)


def entropy(p):
    return -(p * p.clamp_min(1e-12).log()).sum(1)


def auroc(positive, negative):
    """Mann–Whitney with average ranks for ties: P(score of a positive > score of a negative)."""
    scores = np.concatenate([positive.numpy(), negative.numpy()]).astype(np.float64)
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2
    ranks = average_rank[inverse]
    n_pos, n_neg = len(positive), len(negative)
    return (ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def ece(p, labels, bins=15):
    confidence, predicted = p.max(1)
    correct = (predicted == labels).double()
    index = (confidence * bins).long().clamp(max=bins - 1)
    return sum(abs(correct[index == b].sum().item() - confidence[index == b].double().sum().item())
               for b in range(bins)) / len(labels)


def unit_margins(layers, inputs):
    """Per hidden mean-field layer at the posterior-mean pass: (name, share active, mean |pre|, P(one draw flips the sign))."""
    rows, h = [], inputs
    for name, weight, bias, weight_sigma, bias_sigma in layers[:-1]:
        if weight_sigma is None:
            pre = h @ weight.T + bias
        else:
            pre, variance = moments(h, weight, bias, weight_sigma, bias_sigma)
            flip = 0.5 * torch.erfc(pre.abs() / variance.sqrt() / np.sqrt(2))  # Φ(−|m|/s)
            rows.append((name, (pre > 0).double().mean().item(), pre.abs().mean().item(), flip.double().mean().item()))
        h = torch.relu(pre)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--test", default=DEBIAN_FASHION if os.path.isdir(DEBIAN_FASHION) else EMBEDDED)
    parser.add_argument("--ood", default=os.path.join(EMBEDDED, "ood-images-idx3-ubyte.gz"))
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)

    layers = layers_of(read_state_dict(args.model))
    test = read_images(os.path.join(args.test, "t10k-images-idx3-ubyte.gz"))
    labels = read_labels(os.path.join(args.test, "t10k-labels-idx1-ubyte.gz"))
    ood = read_images(args.ood)
    stochastic = [name for name, *_, sigma, _ in layers if sigma is not None]
    print(f"{args.model}: {len(test)} test images ({args.test}), {len(ood)} out-of-distribution, {args.samples} samples")
    print(f"{'sampled layers':<28} {'error':>7} {'NLL':>7} {'ECE':>7} {'conf':>7} {'H in':>6} {'H ood':>6} {'AUROC':>7}")
    for size in range(len(stochastic) + 1):
        for noisy in itertools.combinations(stochastic, size):
            p_in, p_ood = predict(layers, test, set(noisy), args.samples), predict(layers, ood, set(noisy), args.samples)
            error = (p_in.argmax(1) != labels).double().mean().item()
            nll = -p_in[torch.arange(len(labels)), labels].clamp_min(1e-12).log().double().mean().item()
            print(f"{', '.join(noisy) or 'none (posterior mean)':<28} {100 * error:6.2f}% {nll:7.4f} {ece(p_in, labels):7.4f}"
                  f" {p_in.max(1)[0].mean().item():7.4f} {entropy(p_in).mean().item():6.3f} {entropy(p_ood).mean().item():6.3f}"
                  f" {auroc(entropy(p_ood), entropy(p_in)):7.4f}")
    print(f"\n{'hidden layer, inputs':<28} {'active':>7} {'|pre|':>7} {'P(flip)':>8}")
    for label, images in (("clothes", test), ("digits", ood)):
        for name, active, magnitude, flip in unit_margins(layers, images):
            print(f"{name + ', ' + label:<28} {100 * active:6.1f}% {magnitude:7.3f} {100 * flip:7.1f}%")


if __name__ == "__main__":
    main()
