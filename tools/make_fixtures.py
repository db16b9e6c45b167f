#!/usr/bin/python3
"""Writes the PyTorch reference fixtures that tests/test_numerics.c compares prism against.

Run with Debian's system interpreter, which has python3-torch:

    /usr/bin/python3 tools/make_fixtures.py [output-folder]

The output folder defaults to tests/fixtures. Every tensor is float32 unless its name says
otherwise; each float is written as the shortest decimal that reads back (through strtod, then
a cast to float, as the C loader does) to the identical float32, so the fixtures carry PyTorch's
exact bits. Seeds are fixed and PyTorch runs on one thread, so a rerun on the same machine
rewrites the same bytes.

Files:
  article_common.json        the article's network (784 -> 10 -> LayerNorm -> act -> 10):
                             parameters shared by every activation, pixels, x, labels, a mask
  article_<act>.json         per activation (relu, tanh, gelu, gelu_tanh): every forward
                             intermediate, loss, gradients, Adam after 1 and 3 steps, and the
                             logits with the mask multiplied after fc1
  net_mixed.json             784 -> 12 (layernorm, gelu) -> 8 (rmsnorm, tanh) -> 10
  net_plain.json             100 -> 12 (none, elu:0.5) -> 40 (none, softplus:2) -> 10
  activations.json           all 18 activations (and 4 non-default parameters) on hard inputs
  norm_rows.json             LayerNorm and RMSNorm on hard rows, forward and backward
  xent_huge.json             softmax cross-entropy on huge logits
  adam.json                  Adam alone over 5 steps of given gradients, some below eps
"""

import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

SEED = 20240611
NORM_EPS = 1e-5
ADAM_LR = 0.003
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
LINE_COLUMNS = 100


# ---- JSON with exact float32 values ----

def f32_text(value):
    """Shortest decimal that reads back to the same float32 through a double, sign of zero kept."""
    f = np.float32(value)
    if not np.isfinite(f):
        raise ValueError(f"non-finite value {f} cannot go into a fixture")
    text = str(f)
    back = np.float32(float(text))
    if back.tobytes() != f.tobytes():
        # Double rounding (decimal -> double -> float) can miss only near a float midpoint; the
        # exact double of the float always reads back.
        text = repr(float(f))
    return text


def number_text(value):
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, np.float32):
        return f32_text(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            raise ValueError(f"non-finite value {value} cannot go into a fixture")
        return repr(float(value))
    raise TypeError(f"not a number: {value!r}")


def is_number_list(value):
    return isinstance(value, list) and value and not isinstance(value[0], (dict, list, str))


def dump_list(items, indent):
    """A flat list of numbers, wrapped so that lines stay readable in a diff."""
    pad = " " * (indent + 2)
    lines = []
    line = ""
    for text in (number_text(v) for v in items):
        candidate = text if not line else line + ", " + text
        if line and len(pad) + len(candidate) + 1 > LINE_COLUMNS:
            lines.append(line + ",")
            line = text
        else:
            line = candidate
    lines.append(line)
    return "[\n" + "\n".join(pad + l for l in lines) + "\n" + " " * indent + "]"


def dump(value, indent=0):
    pad = " " * indent
    if isinstance(value, dict):
        parts = [f'{pad}  {json.dumps(k)}: {dump(v, indent + 2)}' for k, v in value.items()]
        return "{\n" + ",\n".join(parts) + "\n" + pad + "}"
    if is_number_list(value):
        return dump_list(value, indent)
    if isinstance(value, list):
        if not value:
            return "[]"
        parts = [pad + "  " + dump(v, indent + 2) for v in value]
        return "[\n" + ",\n".join(parts) + "\n" + pad + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return number_text(value)


def floats(t):
    """A tensor as a flat list of float32 scalars, row-major."""
    return [np.float32(v) for v in t.detach().to(torch.float32).contiguous().view(-1).tolist()]


def write(folder, name, content):
    path = os.path.join(folder, name)
    text = dump(content) + "\n"
    with open(path, "w", encoding="ascii") as out:
        out.write(text)
    print(f"{path}: {len(text)} bytes")
    return len(text)


def header(about):
    return {
        "about": about,
        "generator": "tools/make_fixtures.py",
        "torch": torch.__version__,
        "seed": SEED,
    }


# ---- Activations, named as prism names them ----

def lecun_tanh(x):
    return 1.7159 * torch.tanh((2.0 / 3.0) * x)


def activation_fn(name):
    """PyTorch's function for a prism activation name ("leaky_relu:0.1")."""
    kind, _, param = name.partition(":")
    p = float(param) if param else None
    table = {
        "relu": F.relu,
        "leaky_relu": lambda x: F.leaky_relu(x, 0.01 if p is None else p),
        "relu6": F.relu6,
        "elu": lambda x: F.elu(x, alpha=1.0 if p is None else p),
        "selu": F.selu,
        "celu": lambda x: F.celu(x, alpha=1.0 if p is None else p),
        "gelu": F.gelu,
        "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
        "silu": F.silu,
        "mish": F.mish,
        "softplus": lambda x: F.softplus(x, beta=1.0 if p is None else p),
        "sigmoid": torch.sigmoid,
        "hardsigmoid": F.hardsigmoid,
        "tanh": torch.tanh,
        "hardtanh": F.hardtanh,
        "softsign": F.softsign,
        "lecun_tanh": lecun_tanh,
        "identity": lambda x: x,
    }
    return table[kind]


# ---- Networks ----

def rmsnorm(x, gain):
    return x / torch.sqrt(torch.mean(x * x, dim=-1, keepdim=True) + NORM_EPS) * gain


class Net(torch.nn.Module):
    """prism's MLP: per hidden layer Linear -> [mask] -> norm -> act, then a Linear output."""

    def __init__(self, inputs, classes, hidden):
        super().__init__()
        self.hidden = hidden
        self.linears = torch.nn.ModuleList()
        self.gains = torch.nn.ParameterList()
        self.shifts = torch.nn.ParameterList()
        width_in = inputs
        for layer in hidden:
            width = layer["width"]
            self.linears.append(torch.nn.Linear(width_in, width))
            # Gains and shifts away from their initial 1 and 0, so a swapped or ignored
            # parameter changes the numbers.
            self.gains.append(torch.nn.Parameter(1.0 + 0.2 * torch.randn(width)))
            self.shifts.append(torch.nn.Parameter(0.2 * torch.randn(width)))
            width_in = width
        self.out = torch.nn.Linear(width_in, classes)

    def flat_parameters(self):
        """Parameters in prism's flat layout: per layer w, b, then gain and shift if present."""
        flat = []
        for l, layer in enumerate(self.hidden):
            flat += [self.linears[l].weight, self.linears[l].bias]
            if layer["norm"] == "layernorm":
                flat += [self.gains[l], self.shifts[l]]
            elif layer["norm"] == "rmsnorm":
                flat += [self.gains[l]]
        return flat + [self.out.weight, self.out.bias]

    def forward(self, x, mask=None):
        stages = []
        h = x
        for l, layer in enumerate(self.hidden):
            z = self.linears[l](h)
            if mask is not None and l == 0:
                z = z * mask
            if layer["norm"] == "layernorm":
                u = F.layer_norm(z, (layer["width"],), self.gains[l], self.shifts[l], NORM_EPS)
            elif layer["norm"] == "rmsnorm":
                u = rmsnorm(z, self.gains[l])
            else:
                u = z
            h = activation_fn(layer["act"])(u)
            stages.append({"linear": z, "norm": u, "act": h})
        return stages, self.out(h)


def flat_values(tensors):
    return torch.cat([t.detach().reshape(-1) for t in tensors])


def flat_grads(tensors):
    return torch.cat([t.grad.detach().reshape(-1) for t in tensors])


def normalise(pixels):
    """torchvision's ToTensor + Normalize((0.5,), (0.5,)), step by step in float32."""
    x = pixels.to(torch.float32).div(255)
    return x.sub(torch.tensor(0.5)).div(torch.tensor(0.5))


def random_batch(rows, inputs, classes):
    pixels = torch.randint(0, 256, (rows, inputs), dtype=torch.uint8)
    labels = torch.randint(0, classes, (rows,))
    return pixels, labels


def forward_record(net, x, labels):
    """Forward and backward once; every intermediate, the loss and the flat gradients."""
    params = net.flat_parameters()
    for p in params:
        p.grad = None
    stages, logits = net(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    return {
        "stages": [{k: floats(v) for k, v in s.items()} for s in stages],
        "logits": floats(logits),
        "loss": np.float32(loss.item()),
        "grads": floats(flat_grads(params)),
    }


def adam_record(net, x, labels):
    """Adam steps on the same batch, gradients recomputed before each, as a training loop does."""
    params = net.flat_parameters()
    opt = torch.optim.Adam(params, lr=ADAM_LR, betas=ADAM_BETAS, eps=ADAM_EPS)
    after = {}
    for step in range(1, 4):
        opt.zero_grad()
        _, logits = net(x)
        F.cross_entropy(logits, labels).backward()
        opt.step()
        if step in (1, 3):
            after[f"after_{step}"] = floats(flat_values(params))
    return {"lr": ADAM_LR, "beta1": ADAM_BETAS[0], "beta2": ADAM_BETAS[1], "eps": ADAM_EPS,
            **after}


def spec_json(inputs, classes, hidden):
    return {"inputs": inputs, "classes": classes, "hidden": hidden}


def make_article(folder):
    torch.manual_seed(SEED)
    inputs, classes, width, rows = 784, 10, 10, 8
    hidden = [{"width": width, "norm": "layernorm", "act": "relu"}]
    base = Net(inputs, classes, hidden)
    start = [p.detach().clone() for p in base.flat_parameters()]
    pixels, labels = random_batch(rows, inputs, classes)
    x = normalise(pixels)
    # Two neurons removed and one boosted, energy kept (sum of squares = width), as a stress
    # mask would; any zero entry also tests that LayerNorm copes with a dead column.
    mask = torch.tensor([1.0, 0.0, 1.5, 1.0, 0.0, 1.0, 1.2, 1.0, 0.9, 1.0])
    mask = mask * math.sqrt(width / float((mask * mask).sum()))

    total = write(folder, "article_common.json", {
        **header("The article's network 784 -> 10 -> LayerNorm -> act -> 10: parameters in "
                 "prism's flat layout (fc1 w[10][784], b[10], LayerNorm gain[10], shift[10], "
                 "fc2 w[10][10], b[10]) shared by every activation, a batch of 8 rows as pixels "
                 "and labels, normalised[256]: every pixel value through torchvision's "
                 "normalisation, and a mask multiplied after fc1."),
        "net": spec_json(inputs, classes, [{"width": width, "norm": "layernorm"}]),
        "batch": rows,
        "pixels": [int(v) for v in pixels.view(-1).tolist()],
        "labels": [int(v) for v in labels.tolist()],
        "normalised": floats(normalise(torch.arange(256, dtype=torch.uint8))),
        "params": floats(flat_values(start)),
        "mask": floats(mask),
    })

    for act in ("relu", "tanh", "gelu", "gelu_tanh"):
        hidden = [{"width": width, "norm": "layernorm", "act": act}]
        net = Net(inputs, classes, hidden)
        with torch.no_grad():
            for p, value in zip(net.flat_parameters(), start):
                p.copy_(value)
        record = forward_record(net, x, labels)
        with torch.no_grad():
            _, masked_logits = net(x, mask)
        record["masked_logits"] = floats(masked_logits)
        record["adam"] = adam_record(net, x, labels)
        total += write(folder, f"article_{act}.json", {
            **header(f"The article's network with {act}, on article_common.json's parameters "
                     "and batch: stages[0] holds fc1's output (linear), LayerNorm's (norm) and "
                     "the activation's (act); mean cross-entropy loss; flat gradients; Adam "
                     "parameters after 1 and 3 steps on the same batch; logits under the mask."),
            "net": spec_json(inputs, classes, hidden),
            **record,
        })
    return total


def make_net(folder, name, about, inputs, hidden, rows, seed_offset):
    torch.manual_seed(SEED + seed_offset)
    classes = 10
    net = Net(inputs, classes, hidden)
    pixels, labels = random_batch(rows, inputs, classes)
    x = normalise(pixels)
    params = floats(flat_values(net.flat_parameters()))
    record = forward_record(net, x, labels)
    return write(folder, name, {
        **header(about),
        "net": spec_json(inputs, classes, hidden),
        "batch": rows,
        "pixels": [int(v) for v in pixels.view(-1).tolist()],
        "labels": [int(v) for v in labels.tolist()],
        "params": params,
        **record,
    })


# ---- Single layers on hard inputs ----

HARD_INPUTS = [0.0, 1e-30, -1e-30, 1e-6, -1e-6, 0.25, -0.25, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0,
               3.0, -3.0, 5.5, -5.5, 6.0, -6.0, 7.0, -8.0, 10.0, -10.0, 13.0, -13.0, 20.0, -20.0,
               21.0, -30.0, 50.0, -50.0, 88.0, -88.0, 100.0, -100.0]

ACTIVATION_CASES = ["relu", "leaky_relu", "leaky_relu:0.1", "relu6", "elu", "elu:0.5", "selu",
                    "celu", "celu:2", "gelu", "gelu_tanh", "silu", "mish", "softplus",
                    "softplus:2", "sigmoid", "hardsigmoid", "tanh", "hardtanh", "softsign",
                    "lecun_tanh", "identity"]


def gelu_exact_f64(x):
    """x Phi(x) in float64 through erfc, which keeps its relative accuracy in the far left tail
    where 1 + erf(x / sqrt 2) rounds to 0 (float64 from x of about -8.3)."""
    return 0.5 * x * torch.special.erfc(-x / math.sqrt(2.0))


def make_activations(folder):
    x32 = torch.tensor(HARD_INPUTS, dtype=torch.float32)
    cases = []
    for name in ACTIVATION_CASES:
        x = x32.clone().requires_grad_(True)
        y = activation_fn(name)(x)
        y.backward(torch.ones_like(y))
        case = {"name": name, "y": floats(y), "dx": floats(x.grad)}
        if name == "gelu":
            xd = x32.to(torch.float64).requires_grad_(True)
            yd = gelu_exact_f64(xd)
            yd.backward(torch.ones_like(yd))
            case["y_f64"] = floats(yd)
            case["dx_f64"] = floats(xd.grad)
        cases.append(case)
    return write(folder, "activations.json", {
        **header("Each activation on hard inputs x (zero, tiny, the kinks, the tails): y = f(x) "
                 "and dx = f'(x), from PyTorch's float32 autograd with dy = 1. For gelu also "
                 "y_f64 and dx_f64: x Phi(x) in float64 through erfc, rounded to float32, the "
                 "accurate values in the far tail where float32 1 + erf(x / sqrt 2) is 0."),
        "x": floats(x32),
        "cases": cases,
    })


def hard_rows(width):
    g = torch.Generator().manual_seed(SEED + 3)
    rows = [
        1e4 + torch.randn(width, generator=g),          # large mean, unit spread
        torch.full((width,), 3.7),                      # constant: variance 0
        torch.zeros(width),                             # all zero
        0.5 + 1e-3 * torch.randn(width, generator=g),   # spread well under sqrt(eps)
        20.0 * torch.randn(width, generator=g),         # mixed signs, wide
        -1e3 + 30.0 * torch.randn(width, generator=g),  # negative offset
        torch.randn(width, generator=g),                # ordinary
    ]
    return torch.stack(rows).to(torch.float32), g


def make_norm_rows(folder):
    """References in float64 from the float32 inputs: PyTorch's float32 LayerNorm computes
    x * rstd - mean * rstd, which on the 1e4-offset row loses about ulp(1e4) * rstd, far more
    than a two-pass float32 computation does, so float32 PyTorch is not the truth there."""
    width = 10
    x32, g = hard_rows(width)
    gain32 = (1.0 + 0.3 * torch.randn(width, generator=g)).to(torch.float32)
    shift32 = (0.3 * torch.randn(width, generator=g)).to(torch.float32)
    dy32 = torch.randn(x32.shape, generator=g).to(torch.float32)

    x = x32.to(torch.float64).requires_grad_(True)
    gain = gain32.to(torch.float64).requires_grad_(True)
    shift = shift32.to(torch.float64).requires_grad_(True)
    y = F.layer_norm(x, (width,), gain, shift, NORM_EPS)
    y.backward(dy32.to(torch.float64))
    layernorm = {"y": floats(y), "dx": floats(x.grad), "dgain": floats(gain.grad),
                 "dshift": floats(shift.grad)}

    x = x32.to(torch.float64).requires_grad_(True)
    gain = gain32.to(torch.float64).requires_grad_(True)
    y = rmsnorm(x, gain)
    y.backward(dy32.to(torch.float64))
    rms = {"y": floats(y), "dx": floats(x.grad), "dgain": floats(gain.grad)}

    # PyTorch's own float32 LayerNorm, kept to show how far it is from the float64 truth.
    xf = x32.clone().requires_grad_(True)
    yf = F.layer_norm(xf, (width,), gain32, shift32, NORM_EPS)
    layernorm["y_torch_f32"] = floats(yf)

    return write(folder, "norm_rows.json", {
        **header("LayerNorm and RMSNorm (eps 1e-5) on hard rows x[7][10]: offset 1e4 with unit "
                 "spread, constant, zero, spread 1e-3, wide mixed signs, offset -1e3, "
                 "ordinary. y and the gradients for upstream dy are computed in float64 from "
                 "the float32 inputs and rounded to float32; y_torch_f32 is PyTorch's float32 "
                 "LayerNorm for comparison."),
        "rows": x32.shape[0],
        "width": width,
        "eps": NORM_EPS,
        "x": floats(x32),
        "gain": floats(gain32),
        "shift": floats(shift32),
        "dy": floats(dy32),
        "layernorm": layernorm,
        "rmsnorm": rms,
    })


def make_xent(folder):
    classes = 10
    rows = torch.tensor([
        [1e4, 0, 0, 0, 0, 0, 0, 0, 0, -1e4],
        [1e4, 0, 0, 0, 0, 0, 0, 0, 0, -1e4],
        [88, 100, 0, -88, 1, 2, 3, 4, 5, 6],
        [88, 100, 0, -88, 1, 2, 3, 4, 5, 6],
        [-1e4] * 9 + [-1e4 + 1],
        [1e4] * 10,
        [100, 100, 99.5, 0, 0, 0, 0, 0, 0, -100],
    ], dtype=torch.float32)
    labels = torch.tensor([9, 0, 0, 3, 2, 7, 1])
    z = rows.clone().requires_grad_(True)
    loss = F.cross_entropy(z, labels)
    loss.backward()
    per_row = F.cross_entropy(rows, labels, reduction="none")
    return write(folder, "xent_huge.json", {
        **header("Mean softmax cross-entropy over logits[7][10] with huge and tied values; "
                 "loss (float32), per-row losses, and dlogits of the mean loss."),
        "rows": rows.shape[0],
        "classes": classes,
        "logits": floats(rows),
        "labels": [int(v) for v in labels.tolist()],
        "loss": np.float32(loss.item()),
        "row_loss": floats(per_row),
        "dlogits": floats(z.grad),
    })


def make_adam(folder):
    """Adam alone on given gradients, including ones at and below eps, where the placement of
    eps and the bias corrections decide the step."""
    start = torch.tensor([1.0, -1.0, 0.5, -0.25, 2.0, 0.0, 0.125, -3.0, 1.5, -0.75, 0.3, -0.6],
                         dtype=torch.float32)
    base = torch.tensor([0.0, 1e-12, 1e-9, 1e-8, -1e-8, 1e-7, -1e-6, 1e-3, -0.5, 3.0, -50.0, 0.1],
                        dtype=torch.float32)
    # The same magnitudes each step, with some signs flipping, so the moments both grow and
    # cancel.
    signs = torch.tensor([[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
                          [1, 1, 1, 1, -1, 1, 1, -1, 1, 1, -1, 1],
                          [1, -1, 1, 1, 1, 1, -1, 1, 1, -1, 1, 1],
                          [1, 1, 1, 1, 1, -1, 1, 1, -1, 1, 1, -1],
                          [1, 1, -1, 1, 1, 1, 1, -1, 1, 1, 1, 1]], dtype=torch.float32)
    grads = signs * base
    param = torch.nn.Parameter(start.clone())
    opt = torch.optim.Adam([param], lr=ADAM_LR, betas=ADAM_BETAS, eps=ADAM_EPS)
    after = []
    for g in grads:
        param.grad = g.clone()
        opt.step()
        after.append(floats(param))
    return write(folder, "adam.json", {
        **header("torch.optim.Adam (lr 0.003, betas (0.9, 0.999), eps 1e-8) on params[12] with "
                 "the given grads[steps][12], zero and sub-eps magnitudes included; after[t] "
                 "holds the parameters after step t + 1."),
        "lr": ADAM_LR, "beta1": ADAM_BETAS[0], "beta2": ADAM_BETAS[1], "eps": ADAM_EPS,
        "n": start.numel(),
        "steps": grads.shape[0],
        "params": floats(start),
        "grads": [floats(g) for g in grads],
        "after": after,
    })


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
    os.makedirs(folder, exist_ok=True)
    # One thread: the summation order inside PyTorch's kernels, and so the last bits, then do
    # not depend on the machine's core count.
    torch.set_num_threads(1)

    total = make_article(folder)
    total += make_net(folder, "net_mixed.json",
                      "Two hidden layers, 784 -> 12 (layernorm, gelu) -> 8 (rmsnorm, tanh) -> 10, "
                      "RMSNorm by hand as x / sqrt(mean(x^2) + 1e-5) * gain; 6 rows and 12 "
                      "outputs, sizes that leave partial blocks in the first-layer kernel.",
                      784, [{"width": 12, "norm": "layernorm", "act": "gelu"},
                            {"width": 8, "norm": "rmsnorm", "act": "tanh"}], 6, 1)
    total += make_net(folder, "net_plain.json",
                      "No normalisation: 100 -> 12 (elu:0.5) -> 40 (softplus:2) -> 10 on "
                      "100 random pixels per row; widths that are not multiples of 16 or 32 "
                      "exercise the kernels' tails, and 5 rows a leftover row.",
                      100, [{"width": 12, "norm": "none", "act": "elu:0.5"},
                            {"width": 40, "norm": "none", "act": "softplus:2"}], 5, 2)
    total += make_activations(folder)
    total += make_norm_rows(folder)
    total += make_xent(folder)
    total += make_adam(folder)
    print(f"total: {total} bytes")


if __name__ == "__main__":
    main()
