"""Milliseconds per training step of ../shared/peers/bench_map.py's model, split as `bnndsl-bench --profile` splits
ours: forward + loss, backward, optim.Adam. One epoch over the full Fashion-MNIST (the peers' loader), medians; then
the step's matrix products alone, as the profile's MAP floor.
  PEERS_DATA=... /usr/bin/python3 Benchmarks/profile-pytorch.py     (needs the peers' set-up: python3-torch)"""
import os, statistics, sys, time

peers = os.environ.get("PEERS_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "peers"))
sys.path.insert(0, peers)
import torch
import torch.nn.functional as F
import common as C

C.setup(seed=0)
Xtr, ytr, _, _ = C.load_fmnist()
model = C.mlp()
opt = torch.optim.Adam(model.parameters(), lr=C.LR)
for epoch in (1, 2):  # the first is warm-up
    forward, backward, update = [], [], []
    for idx in C.batches(len(Xtr)):
        x, y = Xtr[idx], ytr[idx]
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        forward.append(t1 - t0); backward.append(t2 - t1); update.append(t3 - t2)
ms = lambda v: statistics.median(v) * 1000
print(f"PyTorch {torch.__version__} MLP: forward+loss {ms(forward):.2f} ms  backward {ms(backward):.2f} ms  "
      f"Adam {ms(update):.2f} ms  total {ms(forward) + ms(backward) + ms(update):.2f} ms/step")

# The floor `bnndsl-bench --profile` prints for MAP: the step's matrix products alone (forward, weight gradients, input
# gradients past the first layer), on random tensors of the MLP's shapes.
widths = [784, 400, 400, 10]
layers = [(torch.rand(C.BATCH, i), torch.randn(o, i) * 0.05, torch.randn(C.BATCH, o)) for i, o in zip(widths[:-1], widths[1:])]
products = []
for step in range(220):
    t0 = time.perf_counter()
    for l, (x, w, g) in enumerate(layers):
        F.linear(x, w)
        g.t() @ x
        if l > 0:
            g @ w
    if step >= 20:
        products.append(time.perf_counter() - t0)
print(f"PyTorch {torch.__version__} floor: matrix products {ms(products):.2f} ms/step")
