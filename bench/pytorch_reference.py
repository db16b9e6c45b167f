#!/usr/bin/python3
"""PyTorch reference for the benchmark: the article's experiment, written from ARTICLE.md.

Trains, per run, one 784 -> H -> LayerNorm -> act -> 10 network for each of relu, tanh and
gelu (exact erf GELU) with Adam, then evaluates the 15 (test, level) slots on the 10,000 test
images, the mask multiplying fc1's output before LayerNorm. It exists to be timed against prism,
so it keeps the data in memory as float32 tensors (as the article's listing does) and evaluates in
batches under torch.no_grad(). The full forward pass runs for every slot, as in the article;
prism computes fc1's output once per model and reuses it for the 15 slots.

Run with Debian's system interpreter, where python3-torch lives:

    /usr/bin/python3 bench/pytorch_reference.py --runs 2 --threads 2

Progress goes to stderr; stdout gets a short accuracy table and, as its last line,
`RESULT {json}` with the timings, the configuration and the BLAS PyTorch loaded.
"""

import argparse
import gzip
import hashlib
import json
import math
import os
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = ("relu", "tanh", "gelu")
TESTS = (
    ("lobotomy", (0.0, 0.3, 0.5, 0.7, 0.9)),
    ("spike", (0.0, 0.3, 0.5, 0.7, 0.9)),
    ("noise", (0.0, 0.5, 1.0, 2.0, 3.0)),
)
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def log(message):
    print(f"pytorch_reference: {message}", file=sys.stderr, flush=True)


def read_idx(folder, name, expected_dims):
    """Reads one IDX file (raw or .gz, decided by its first two bytes) as a uint8 tensor."""
    path = os.path.join(folder, name)
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {raw[:4].hex()})")
    dims = raw[3]
    if dims != expected_dims:
        raise ValueError(f"{path}: expected {expected_dims} dimensions, found {dims}")
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    payload = raw[4 + 4 * dims:]
    if len(payload) != math.prod(shape):
        raise ValueError(f"{path}: expected {math.prod(shape)} payload bytes, found {len(payload)}")
    return torch.frombuffer(bytearray(payload), dtype=torch.uint8).reshape(shape)


def load_split(folder, images_key, labels_key):
    """Images as float32 rows, each pixel p mapped to (p/255 - 0.5)/0.5; labels as int64."""
    images = read_idx(folder, IDX_FILES[images_key], 3)
    labels = read_idx(folder, IDX_FILES[labels_key], 1)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{folder}: {images.shape[0]} images but {labels.shape[0]} labels")
    x = images.reshape(images.shape[0], -1).to(torch.float32)
    x = (x / 255.0 - 0.5) / 0.5
    return x.contiguous(), labels.to(torch.int64)


class TinyNet(nn.Module):
    """fc1 -> optional mask -> LayerNorm -> activation -> fc2."""

    def __init__(self, activation, hidden):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-5)
        self.act = {"relu": nn.ReLU(), "tanh": nn.Tanh(), "gelu": nn.GELU()}[activation]
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x, mask=None):
        z = self.fc1(x)
        if mask is not None:
            z = z * mask
        return self.fc2(self.act(self.norm(z)))


def stream(seed, *coords):
    """A torch.Generator seeded from the coordinates, so streams never collide."""
    text = "/".join(str(c) for c in (seed,) + coords).encode()
    g = torch.Generator()
    g.manual_seed(int.from_bytes(hashlib.sha256(text).digest()[:8], "little") >> 1)
    return g


def make_mask(test, level, hidden, g):
    """The energy-preserving mask (sum of m_i^2 = H) of ARTICLE.md for one test and level."""
    if test == "lobotomy":
        killed = min(int(math.floor(hidden * level + 1e-9)), hidden - 1)
        mask = torch.full((hidden,), math.sqrt(hidden / (hidden - killed)))
        mask[torch.randperm(hidden, generator=g)[:killed]] = 0.0
        return mask
    if test == "spike":
        mask = torch.full((hidden,), math.sqrt((1.0 - level) * hidden / (hidden - 1)))
        mask[int(torch.randint(hidden, (1,), generator=g))] = math.sqrt(level * hidden)
        return mask
    if test == "noise":
        m = torch.exp(level * torch.randn(hidden, generator=g, dtype=torch.float64))
        m = m * math.sqrt(hidden / float((m * m).sum()))
        return m.to(torch.float32)
    raise ValueError(f"unknown test {test}")


def train_one(activation, args, run, x, y):
    """Trains one model from a fresh initialisation and data order; returns it."""
    torch.manual_seed(int.from_bytes(hashlib.sha256(
        f"{args.seed}/init/{run}/{activation}".encode()).digest()[:8], "little") >> 1)
    model = TinyNet(activation, args.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    order_stream = stream(args.seed, "order", run, activation)
    n = x.shape[0]
    model.train()
    for _ in range(args.epochs):
        order = torch.randperm(n, generator=order_stream)
        for start in range(0, n, args.batch):
            idx = order[start:start + args.batch]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    model.eval()
    return model


def accuracy(model, x, y, mask, eval_batch):
    """Percent of test images classified correctly, in batches, with an optional mask."""
    correct = 0
    with torch.no_grad():
        for start in range(0, x.shape[0], eval_batch):
            logits = model(x[start:start + eval_batch], mask)
            correct += int((logits.argmax(1) == y[start:start + eval_batch]).sum())
    return 100.0 * correct / x.shape[0]


def blas_in_use():
    """Which BLAS this process loaded, and what the system's libblas.so.3 alternative points at."""
    loaded = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            base = os.path.basename(path)
            if path.startswith("/") and any(k in base for k in ("blas", "lapack", "mkl")):
                loaded.add(os.path.realpath(path))
    if any("openblas" in p for p in loaded):
        kind = "OpenBLAS"
    elif any("mkl" in p for p in loaded):
        kind = "MKL"
    elif any("/blas/" in p or "libblas.so" in p for p in loaded):
        kind = "reference BLAS (netlib)"
    else:
        kind = "none loaded (PyTorch's own kernels)"
    config_blas = ""
    for part in torch.__config__.show().replace("\n", ",").split(","):
        if "BLAS_INFO" in part:
            config_blas = part.strip()
    alternative = ""
    try:
        query = subprocess.run(["update-alternatives", "--query", "libblas.so.3-x86_64-linux-gnu"],
                               capture_output=True, text=True, timeout=10)
        for line in query.stdout.splitlines():
            if line.startswith("Value:"):
                alternative = line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        alternative = "update-alternatives not available"
    return {"kind": kind, "loaded": sorted(loaded), "torch_config": config_blas,
            "libblas_alternative": alternative}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="data/mnist", help="folder of the four MNIST IDX files")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--lr", type=float, default=0.003)
    parser.add_argument("--hidden", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--eval-batch", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for name in ("runs", "epochs", "batch", "hidden", "threads", "eval_batch"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    x_train, y_train = load_split(args.data, "train_images", "train_labels")
    x_test, y_test = load_split(args.data, "test_images", "test_labels")
    loaded = time.perf_counter()

    train_s = 0.0
    eval_s = 0.0
    acc = {}  # (test, level, activation) -> list of accuracies over runs
    for run in range(args.runs):
        t0 = time.perf_counter()
        models = {a: train_one(a, args, run, x_train, y_train) for a in ACTIVATIONS}
        t1 = time.perf_counter()
        for t_index, (test, levels) in enumerate(TESTS):
            for l_index, level in enumerate(levels):
                mask = None
                if level != 0.0:
                    # one mask per run, test and level, shared by the three activations
                    mask = make_mask(test, level, args.hidden,
                                     stream(args.seed, "mask", run, t_index, l_index))
                for a in ACTIVATIONS:
                    value = accuracy(models[a], x_test, y_test, mask, args.eval_batch)
                    acc.setdefault((test, level, a), []).append(value)
        t2 = time.perf_counter()
        train_s += t1 - t0
        eval_s += t2 - t1
        log(f"run {run + 1}/{args.runs}: train {t1 - t0:.1f} s, eval {t2 - t1:.1f} s")
    finished = time.perf_counter()

    print(f"PyTorch {torch.__version__} reference, {args.runs} runs x {args.epochs} epochs, "
          f"hidden {args.hidden}, {args.threads} threads: mean accuracy % over runs")
    print("| test | level | " + " | ".join(ACTIVATIONS) + " |")
    print("|---|---|" + "---|" * len(ACTIVATIONS))
    for test, levels in TESTS:
        for level in levels:
            means = [sum(acc[(test, level, a)]) / args.runs for a in ACTIVATIONS]
            print(f"| {test} | {level:g} | " + " | ".join(f"{m:.2f}" for m in means) + " |")

    result = {
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "config": {k: getattr(args, k) for k in
                   ("runs", "epochs", "batch", "lr", "hidden", "eval_batch", "seed")},
        "load_s": loaded - started,
        "train_s": train_s,
        "eval_s": eval_s,
        "wall_s": finished - started,
        "clean_mean_pct": {a: sum(acc[("lobotomy", 0.0, a)]) / args.runs for a in ACTIVATIONS},
        "blas": blas_in_use(),
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
