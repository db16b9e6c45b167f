#!/usr/bin/python3
"""Benchmark of prism: machine, per-phase times, throughput against a measured FMA peak, peak
memory, and the ratio against a PyTorch reference of the same experiment.

Builds nothing of prism (scripts/setup.sh builds build/prism); compiles only bench/peak.c, into a
temporary folder. Runs under any Python 3.8+; the PyTorch part needs an interpreter with torch
(Debian's /usr/bin/python3 with python3-torch) and is skipped, saying so, where there is none.

    /usr/bin/python3 bench/bench.py                      # the article's preset, 20 runs
    /usr/bin/python3 bench/bench.py --runs 2             # quick
    /usr/bin/python3 bench/bench.py --torch-runs 2       # PyTorch on 2 runs, scaled to 20
    /usr/bin/python3 bench/bench.py --scaling --skip-torch --json out.json --csv out.csv

Every figure printed is also written, one per row, by --csv and --json. See bench/README.md.
"""

import argparse
import csv
import hashlib
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

INPUTS = 784   # D: pixels per image
CLASSES = 10   # C
# Arithmetic of one training image and one Adam parameter update; see flop_per_model_epoch.
ADAM_FLOP_PER_PARAM = 12
SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512vl", "avx512_bf16", "amx_tile")


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- figures, printed and stored

class Report:
    """Prints figures and keeps every one of them for --csv and --json."""

    def __init__(self):
        self.figures = []

    def section(self, title):
        print(f"\n## {title}\n", flush=True)

    def line(self, text):
        print(text, flush=True)

    def fig(self, section, item, metric, value, unit="", fmt="{}", note=""):
        """Prints `item: value unit (note)` and records the figure."""
        shown = "n/a" if value is None else fmt.format(value)
        suffix = f" ({note})" if note else ""
        label = f"{item} {metric}".strip() if metric else item
        print(f"  {label}: {shown}{' ' + unit if unit else ''}{suffix}", flush=True)
        self.record(section, item, metric, value, unit, note)

    def record(self, section, item, metric, value, unit="", note=""):
        self.figures.append({"section": section, "item": item, "metric": metric,
                             "value": value, "unit": unit, "note": note})

    def table(self, section, caption, columns, rows):
        """Prints a markdown table; each cell becomes a figure (row key = first column).

        columns: list of (header, metric, unit, fmt); rows: list of lists of values."""
        print(f"\n{caption}\n", flush=True)
        print("| " + " | ".join(h for h, _, _, _ in columns) + " |")
        print("|" + "---|" * len(columns))
        for row in rows:
            cells = []
            for (header, metric, unit, fmt), value in zip(columns, row):
                cells.append("n/a" if value is None else fmt.format(value))
            print("| " + " | ".join(cells) + " |", flush=True)
            key = f"{columns[0][1]}={row[0]}"
            for (header, metric, unit, fmt), value in zip(columns[1:], row[1:]):
                self.record(section, key, metric, value, unit, caption)

    def write_csv(self, path):
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, ["section", "item", "metric", "value", "unit", "note"])
            writer.writeheader()
            writer.writerows(self.figures)

    def write_json(self, path, extra):
        with open(path, "w") as f:
            json.dump(dict(extra, figures=self.figures), f, indent=1)
            f.write("\n")


# ---------------------------------------------------------------- the machine

def cpu_info():
    """CPU model, processors, SIMD flags present, memory, OS kernel, load average."""
    model = platform.processor() or "unknown"
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    model = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    mem_kib = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
    except OSError:
        pass
    cores = os.cpu_count() or 1
    threads_per_core = None
    if shutil.which("lscpu"):
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        match = re.search(r"Thread\(s\) per core:\s*(\d+)", out)
        threads_per_core = int(match.group(1)) if match else None
    return {"model": model, "processors": cores, "threads_per_core": threads_per_core,
            "flags": flags, "mem_gib": mem_kib / 1048576 if mem_kib else None,
            "os_kernel": platform.release(), "loadavg": os.getloadavg()}


def prism_version(prism):
    out = subprocess.run([prism, "--version"], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench: '{prism} --version' failed: {out.stderr.strip()}")
    return out.stdout.strip()


def binary_identity(path):
    """Path, modification time and the start of the SHA-256 of a file."""
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    modified = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(path)))
    return f"{os.path.relpath(path, ROOT)}, modified {modified}, sha256 {digest}..."


# ---------------------------------------------------------------- the FMA peak

def measure_peak(flags, seconds, threads):
    """Compiles bench/peak.c for the widest FMA the CPU has and runs it.

    Returns ({(isa, threads): GFLOP/s}, compile command) or ({}, reason)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return {}, "no C compiler (cc) found: peak not measured"
    if "avx512f" in flags and "fma" in flags:
        isa_flags = ["-mavx512f", "-mfma"]
    elif "avx2" in flags and "fma" in flags:
        isa_flags = ["-mavx2", "-mfma"]
    else:
        return {}, "CPU has no AVX2/AVX-512 FMA: peak not measured"
    with tempfile.TemporaryDirectory(prefix="prism-peak-") as tmp:
        binary = os.path.join(tmp, "peak")
        command = [cc, "-O2", *isa_flags, "-pthread", "-o", binary, os.path.join(HERE, "peak.c")]
        built = subprocess.run(command, capture_output=True, text=True)
        if built.returncode != 0:
            return {}, f"peak.c did not compile: {built.stderr.strip()[:300]}"
        peaks = {}
        # five tries, the best kept: other processes on the machine can only slow it down
        for _ in range(5):
            out = subprocess.run([binary, str(seconds), str(threads)], capture_output=True,
                                 text=True)
            for m in re.finditer(r"isa=(\w+) threads=(\d+) gflops=([\d.]+)", out.stdout):
                key = (m.group(1), int(m.group(2)))
                peaks[key] = max(peaks.get(key, 0.0), float(m.group(3)))
        return peaks, " ".join(["cc"] + command[1:-3] + ["bench/peak.c"])


# ---------------------------------------------------------------- arithmetic of the model

def params(hidden):
    """fc1 weights and biases, LayerNorm gain and shift, fc2 weights and biases."""
    return INPUTS * hidden + hidden + 2 * hidden + hidden * CLASSES + CLASSES


def flop_per_train_image(hidden):
    """FLOP of one image's forward and backward pass (a multiply-add is 2, exp/erf/tanh 1).

    fc1: forward 2DH + H, weight gradient 2DH + H (no input gradient: x is data)
    LayerNorm: forward 7H, backward 10H;  activation: forward H, backward 2H
    fc2: forward 2HC + C, weight gradient 2HC + C, input gradient 2HC
    softmax cross-entropy and its gradient: 5C"""
    h, d, c = hidden, INPUTS, CLASSES
    return (4 * d * h + 2 * h) + 17 * h + 3 * h + (6 * h * c + 2 * c) + 5 * c


def flop_per_model_epoch(hidden, train_count, batch):
    """Every image once, plus one Adam update (12 FLOP per parameter) per batch."""
    steps = math.ceil(train_count / batch)
    return train_count * flop_per_train_image(hidden) + steps * ADAM_FLOP_PER_PARAM * params(hidden)


def executed_flop_per_model_epoch(hidden, train_count, batch, tiles_per_image):
    """The FLOP prism executes: as above, but the first layer's two products multiply only the
    16 pixels of each of an image's non-zero 4 x 4 tiles (summary.json
    dataset.train_nonzero_tiles_per_image), not all 784."""
    skipped = 4 * (INPUTS - 16 * tiles_per_image) * hidden
    return flop_per_model_epoch(hidden, train_count, batch) - train_count * skipped


def flop_eval_per_model(hidden, test_count, slots):
    """fc1 once over the test set (prism keeps its output), then per slot the rest of the
    forward pass: mask H, LayerNorm 7H, activation H, fc2 2HC + C, argmax C."""
    h, d, c = hidden, INPUTS, CLASSES
    return test_count * (2 * d * h + h) + slots * test_count * (9 * h + 2 * h * c + 2 * c)


# ---------------------------------------------------------------- running prism

def run_measured(command, stdout_path, stderr_path, env=None):
    """Runs a command to completion; returns (exit status, wall seconds, peak RSS in KiB)."""
    with open(stdout_path, "w") as out, open(stderr_path, "w") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") \
        else (status >> 8)
    return child.returncode, wall, usage.ru_maxrss


def prism_once(prism, data, runs, epochs, threads, hidden, tmp):
    """One `prism run`; returns its timings, configuration and peak RSS."""
    out_dir = tempfile.mkdtemp(prefix="out-", dir=tmp)
    command = [prism, "run", "--runs", str(runs), "--epochs", str(epochs),
               "--out", out_dir]
    if data:
        command += ["--dataset", data]
    if threads is not None:
        command += ["--threads", str(threads)]
    if hidden is not None:
        command += ["--hidden", str(hidden)]
    stdout_path = os.path.join(out_dir, "stdout.txt")
    stderr_path = os.path.join(out_dir, "stderr.txt")
    status, wall, rss_kib = run_measured(command, stdout_path, stderr_path)
    with open(stderr_path) as f:
        stderr = f.read()
    if status != 0:
        raise SystemExit(f"bench: '{' '.join(command)}' exited {status}:\n{stderr[-2000:]}")
    with open(os.path.join(out_dir, "summary.json")) as f:
        summary = json.load(f)
    shutil.rmtree(out_dir, ignore_errors=True)

    load = re.search(r"load ([\d.]+) s, experiment ([\d.]+) s wall", stderr)
    start_line = re.search(r"(\d+) threads, ([\w-]+) kernels", stderr)
    timing = summary["timing"]
    config = summary["config"]
    clean = {e["activation"]: e["mean"] for e in summary["summary"]
             if e["test"] == config["tests"][0]["test"] and e["level"] == 0}
    return {
        "command": " ".join(command).replace(out_dir, "DIR"),
        "total_wall_s": wall,
        "load_s": float(load.group(1)) if load else None,
        "experiment_s": float(load.group(2)) if load else None,
        "wall_s": timing["wall_s"],
        "train_thread_s": timing["train_thread_s"],
        "eval_thread_s": timing["eval_thread_s"],
        "threads": int(start_line.group(1)) if start_line else None,
        "kernel_stderr": start_line.group(2) if start_line else None,
        "kernel_json": summary["build"].get("kernel_variant"),
        "build": summary["build"],
        "models": len(config["models"]),
        "hidden": config["models"][0]["hidden_layers"][0]["width"],
        "batch": config["batch"],
        "runs": config["runs"],
        "epochs": config["epochs"],
        "slots": sum(len(t["levels"]) for t in config["tests"]),
        "train_count": summary["dataset"]["train_count"],
        "tiles_per_image": summary["dataset"].get("train_nonzero_tiles_per_image"),
        "test_count": summary["dataset"]["test_count"],
        "clean_pct": clean,
        "rss_kib": rss_kib,
    }


def prism_best(args, tmp, runs, epochs, threads=None, hidden=None):
    """Runs prism args.repeat times; returns the run with the least total wall time, with the
    total walls of all repetitions attached."""
    results = []
    for i in range(args.repeat):
        log(f"prism --runs {runs} --epochs {epochs}"
            + (f" --threads {threads}" if threads is not None else "")
            + (f" --hidden {hidden}" if hidden is not None else "")
            + f" (repetition {i + 1}/{args.repeat})")
        results.append(prism_once(args.prism, args.data, runs, epochs, threads, hidden, tmp))
    best = min(results, key=lambda r: r["total_wall_s"])
    best["all_total_wall_s"] = [r["total_wall_s"] for r in results]
    best["rss_kib"] = max(r["rss_kib"] for r in results)
    return best


def derived(r, peaks, isa):
    """Model-epochs, FLOP and rates of one prism measurement."""
    model_epochs = r["runs"] * r["models"] * r["epochs"]
    train_flop = model_epochs * flop_per_model_epoch(r["hidden"], r["train_count"], r["batch"])
    eval_flop = r["runs"] * r["models"] * flop_eval_per_model(r["hidden"], r["test_count"],
                                                              r["slots"])
    per_thread = train_flop / r["train_thread_s"] * 1e-9
    threads = r["threads"] or 1
    d = {
        "model_epochs": model_epochs,
        "model_epoch_gflop": flop_per_model_epoch(r["hidden"], r["train_count"], r["batch"]) * 1e-9,
        "train_gflop": train_flop * 1e-9,
        "eval_gflop": eval_flop * 1e-9,
        "model_epochs_per_s": model_epochs / r["wall_s"],
        "model_epochs_per_thread_s": model_epochs / r["train_thread_s"],
        "train_gflops_per_thread": per_thread,
        "eval_gflops_per_thread": (eval_flop / r["eval_thread_s"] * 1e-9
                                   if r["eval_thread_s"] else None),
        "all_gflops_wall": (train_flop + eval_flop) / r["wall_s"] * 1e-9,
        "peak_1": peaks.get((isa, 1)),
        "peak_all": peaks.get((isa, threads)) or peaks.get((isa, max(
            [t for i, t in peaks if i == isa] or [1]))),
    }
    d["pct_peak_1"] = 100 * per_thread / d["peak_1"] if d["peak_1"] else None
    if r["tiles_per_image"] is not None:
        executed = model_epochs * executed_flop_per_model_epoch(
            r["hidden"], r["train_count"], r["batch"], r["tiles_per_image"])
        d["executed_gflops_per_thread"] = executed / r["train_thread_s"] * 1e-9
        d["pct_peak_1_executed"] = (100 * d["executed_gflops_per_thread"] / d["peak_1"]
                                    if d["peak_1"] else None)
    d["pct_peak_all"] = 100 * d["all_gflops_wall"] / d["peak_all"] if d["peak_all"] else None
    return d


def spread_pct(values):
    return 100.0 * (max(values) - min(values)) / min(values) if values else None


# ---------------------------------------------------------------- PyTorch

def torch_available(python):
    try:
        probe = subprocess.run([python, "-c", "import torch; print(torch.__version__)"],
                               capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as e:
        return None, str(e)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["import failed"])[-1]
        return None, f"{python}: {last}"
    return probe.stdout.strip(), ""


def torch_once(args, runs, threads, wait_policy, tmp):
    """Runs bench/pytorch_reference.py; returns its RESULT with the process's wall and RSS."""
    command = [args.torch_python, os.path.join(HERE, "pytorch_reference.py"),
               "--data", args.data_folder, "--runs", str(runs), "--epochs", str(args.epochs),
               "--threads", str(threads)]
    # one thread count for every pool in the process: torch's OpenMP and OpenBLAS's own
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    env.pop("OMP_WAIT_POLICY", None)
    if wait_policy:
        env["OMP_WAIT_POLICY"] = wait_policy
    name = f"torch-{threads}-{wait_policy or 'default'}"
    stdout_path = os.path.join(tmp, name + ".out")
    stderr_path = os.path.join(tmp, name + ".err")
    log(f"PyTorch reference: --runs {runs} --threads {threads}"
        + (f" OMP_WAIT_POLICY={wait_policy}" if wait_policy else ""))
    status, wall, rss_kib = run_measured(command, stdout_path, stderr_path, env)
    with open(stdout_path) as f:
        stdout = f.read()
    if status != 0:
        with open(stderr_path) as f:
            raise SystemExit(f"bench: PyTorch reference exited {status}:\n{f.read()[-2000:]}")
    result = json.loads(stdout.rsplit("RESULT ", 1)[1])
    result["process_wall_s"] = wall
    result["rss_kib"] = rss_kib
    return result


def torch_configs(args):
    """(threads, OMP_WAIT_POLICY) pairs to run: every processor as asked, the same with
    sleeping instead of spinning OpenMP threads, and one thread."""
    threads = args.threads or os.cpu_count() or 1
    configs = [(threads, None)]
    if not args.torch_threads_only and threads > 1:
        configs += [(threads, "PASSIVE"), (1, None)]
    return configs


# ---------------------------------------------------------------- sections

def section_machine(rep, args, cpu):
    rep.section("Machine")
    rep.fig("machine", "CPU", "", cpu["model"])
    rep.fig("machine", "processors", "", cpu["processors"], "",
            note=f"{cpu['threads_per_core']} thread(s) per core" if cpu["threads_per_core"]
            else "")
    present = [f for f in SIMD_FLAGS if f in cpu["flags"]]
    rep.fig("machine", "SIMD flags", "", " ".join(present) or "none of " + " ".join(SIMD_FLAGS))
    rep.fig("machine", "memory", "", cpu["mem_gib"], "GiB", "{:.1f}")
    rep.fig("machine", "OS kernel", "", cpu["os_kernel"])
    rep.fig("machine", "load average at start", "", "{:.2f} {:.2f} {:.2f}".format(
        *cpu["loadavg"]), "", note="other work on the machine makes every time noisier")
    rep.fig("machine", "prism", "", prism_version(args.prism),
            note="from prism --version: compiler and build flags")
    rep.fig("machine", "prism binary", "", binary_identity(args.prism),
            note="others may rebuild it between benchmarks: this ties figures to one build")


def section_peak(rep, args, cpu):
    rep.section("FP32 FMA peak measured by bench/peak.c (best of 5)")
    peaks, how = measure_peak(cpu["flags"], args.peak_seconds, args.threads or cpu["processors"])
    if not peaks:
        rep.line(f"  {how}")
        return peaks
    rep.line(f"  compiled with: {how}")
    for (isa, threads), gflops in sorted(peaks.items()):
        rep.fig("peak", f"{isa} {threads} thread(s)", "measured", gflops, "GFLOP/s", "{:.1f}")
    # Threads on separate cores each have their own FMA units, so the all-thread peak is the
    # one-thread peak times the threads; a measurement well under that means another process
    # held a core, and the product is the better figure of the hardware.
    if cpu["threads_per_core"] == 1:
        for (isa, threads), gflops in sorted(peaks.items()):
            one = peaks.get((isa, 1))
            if threads > 1 and one and gflops < 0.9 * threads * one:
                peaks[(isa, threads)] = threads * one
                rep.fig("peak", f"{isa} {threads} thread(s)", "used", threads * one, "GFLOP/s",
                        "{:.1f}", f"{threads} x the one-thread peak: the measurement was low, "
                        "another process was using a core")
    return peaks


def section_prism(rep, args, tmp, peaks):
    rep.section(f"prism, the article's preset: {args.runs} runs x 3 models x {args.epochs} "
                f"epochs (best of {args.repeat} by total wall)")
    r = prism_best(args, tmp, args.runs, args.epochs, args.threads)
    isa = {"avx512": "zmm", "avx2-fma": "ymm"}.get(r["kernel_json"] or "", "ymm")
    d = derived(r, peaks, isa)
    s = "prism"
    rep.fig(s, "command", "", r["command"])
    rep.fig(s, "kernel variant", "", r["kernel_stderr"],
            note=f"stderr; summary.json build.kernel_variant = {r['kernel_json']}")
    rep.fig(s, "build flags", "", f"{r['build']['compiler']}, {r['build']['build_type']}, "
            f"{r['build']['compiler_flags'].strip()}", note="summary.json")
    rep.fig(s, "threads", "", r["threads"])
    rep.fig(s, "load", "", r["load_s"], "s", "{:.2f}", "stderr: reading and checking MNIST")
    rep.fig(s, "experiment", "", r["experiment_s"], "s", "{:.2f}", "stderr: wall, train + eval")
    rep.fig(s, "train", "", r["train_thread_s"], "thread-s", "{:.2f}",
            "summary.json timing.train_thread_s, summed over models")
    rep.fig(s, "stress/eval", "", r["eval_thread_s"], "thread-s", "{:.2f}",
            "summary.json timing.eval_thread_s, summed over models")
    rep.fig(s, "experiment wall (json)", "", r["wall_s"], "s", "{:.2f}",
            "summary.json timing.wall_s")
    rep.fig(s, "total wall", "", r["total_wall_s"], "s", "{:.2f}",
            "process start to exit, measured by bench.py")
    rep.fig(s, "total wall, every repetition", "",
            " ".join(f"{w:.2f}" for w in r["all_total_wall_s"]), "s",
            note=f"spread {spread_pct(r['all_total_wall_s']):.0f} % of the minimum")
    rep.fig(s, "peak RSS", "", r["rss_kib"] / 1024, "MiB", "{:.1f}",
            "wait4 ru_maxrss, max of repetitions")
    rep.fig(s, "model-epochs", "", d["model_epochs"])
    rep.fig(s, "model-epochs per second", "", d["model_epochs_per_s"], "1/s", "{:.1f}",
            "over experiment wall, all threads")
    rep.fig(s, "model-epochs per train thread-second", "", d["model_epochs_per_thread_s"],
            "1/s", "{:.2f}")
    rep.fig(s, "GFLOP per model-epoch", "", d["model_epoch_gflop"], "GFLOP", "{:.4f}",
            f"H = {r['hidden']}, see README")
    rep.fig(s, "training GFLOP/s per thread", "", d["train_gflops_per_thread"], "GFLOP/s",
            "{:.1f}", "dense-equivalent: the FLOP of dense products / train thread-s; prism "
            "skips the all-0 4 x 4 tiles of pixels, about 62 % of the first layer's on MNIST")
    rep.fig(s, "training share of one-thread peak", "", d["pct_peak_1"], "%", "{:.1f}",
            f"{isa} {d['peak_1'] or 0:.1f} GFLOP/s, dense-equivalent")
    if "executed_gflops_per_thread" in d:
        rep.fig(s, "first-layer tiles read per image", "", r["tiles_per_image"], "", "{:.2f}",
                "summary.json dataset.train_nonzero_tiles_per_image, of 49")
        rep.fig(s, "training GFLOP/s per thread, executed", "", d["executed_gflops_per_thread"],
                "GFLOP/s", "{:.1f}", "the FLOP prism executes / train thread-s")
        rep.fig(s, "training share of one-thread peak, executed", "", d["pct_peak_1_executed"],
                "%", "{:.1f}", f"{isa} {d['peak_1'] or 0:.1f} GFLOP/s")
    rep.fig(s, "stress/eval GFLOP/s per thread", "", d["eval_gflops_per_thread"], "GFLOP/s",
            "{:.1f}", "eval FLOP / eval thread-s")
    rep.fig(s, "whole experiment GFLOP/s", "", d["all_gflops_wall"], "GFLOP/s", "{:.1f}",
            "(train + eval FLOP) / experiment wall")
    rep.fig(s, "whole experiment share of all-thread peak", "", d["pct_peak_all"], "%", "{:.1f}",
            f"{isa} {d['peak_all'] or 0:.1f} GFLOP/s")
    rep.fig(s, "clean accuracy (mean over runs)", "",
            ", ".join(f"{a} {v:.2f}" for a, v in r["clean_pct"].items()), "%")
    return r


def section_torch(rep, args, tmp, prism_result):
    torch_runs = args.torch_runs or args.runs
    scale = args.runs / torch_runs
    label = "scaled" if scale != 1 else "measured"
    rep.section(f"PyTorch reference (bench/pytorch_reference.py), {torch_runs} runs"
                + (f", scaled linearly to {args.runs}" if scale != 1 else "")
                + ", each configuration run once")
    version, why = torch_available(args.torch_python)
    if version is None:
        rep.line(f"  skipped: PyTorch is not importable ({why})")
        rep.record("pytorch", "skipped", "", why)
        return
    prism_wall = prism_result["total_wall_s"]
    model_epochs = torch_runs * 3 * args.epochs
    flop = model_epochs * flop_per_model_epoch(prism_result["hidden"],
                                               prism_result["train_count"],
                                               prism_result["batch"])
    rows = []
    for index, (t, policy) in enumerate(torch_configs(args)):
        res = torch_once(args, torch_runs, t, policy, tmp)
        config = f"{t} thread(s)" + (f", OMP_WAIT_POLICY={policy}" if policy else "")
        s = "pytorch " + config
        if index == 0:
            rep.fig("pytorch", "torch", "", res["torch_version"])
            blas = res["blas"]
            rep.fig("pytorch", "BLAS", "", blas["kind"])
            rep.fig("pytorch", "BLAS libraries mapped into the process", "",
                    ", ".join(blas["loaded"]) or "none")
            rep.fig("pytorch", "libblas.so.3 alternative", "", blas["libblas_alternative"],
                    note="update-alternatives --query libblas.so.3-x86_64-linux-gnu")
            rep.fig("pytorch", "torch.__config__.show()", "", blas["torch_config"])
        work = res["train_s"] + res["eval_s"]
        wall = res["process_wall_s"] - work + work * scale
        rep.line(f"\n  {config}" + (" (torch.set_num_threads, OMP_NUM_THREADS and "
                                     "OPENBLAS_NUM_THREADS)" if index == 0 else ""))
        rep.fig(s, "load", "", res["load_s"], "s", "{:.2f}")
        rep.fig(s, "train (measured)", "", res["train_s"], "s", "{:.2f}", f"{torch_runs} runs")
        rep.fig(s, "eval (measured)", "", res["eval_s"], "s", "{:.2f}", f"{torch_runs} runs")
        rep.fig(s, "total wall (measured)", "", res["process_wall_s"], "s", "{:.2f}",
                f"{torch_runs} runs, interpreter start to exit")
        how = f"start-up and load once + (train + eval) x {scale:g}" if scale != 1 else ""
        rep.fig(s, f"total wall for {args.runs} runs ({label})", "", wall, "s", "{:.1f}", how)
        rep.fig(s, "peak RSS", "", res["rss_kib"] / 1024, "MiB", "{:.1f}")
        rep.fig(s, "model-epochs per second", "", model_epochs / res["train_s"], "1/s",
                "{:.2f}", "over measured train time")
        rep.fig(s, "training GFLOP/s", "", flop / res["train_s"] * 1e-9, "GFLOP/s", "{:.1f}",
                "same FLOP count as prism")
        rep.fig(s, "clean accuracy (mean over runs)", "",
                ", ".join(f"{a} {v:.2f}" for a, v in res["clean_mean_pct"].items()), "%")
        rows.append([config, wall, prism_wall, wall / prism_wall])

    cols = [("PyTorch configuration", "config", "", "{}"),
            (f"PyTorch wall s, {args.runs} runs ({label})", "pytorch_wall_s", "s", "{:.1f}"),
            (f"prism wall s ({prism_result['threads']} threads)", "prism_wall_s", "s", "{:.2f}"),
            ("PyTorch / prism", "ratio", "x", "{:.1f}")]
    rep.table("pytorch_ratio", f"prism against PyTorch, {args.runs} runs x {args.epochs} epochs"
              + (f" (PyTorch {label} from {torch_runs} runs)" if scale != 1 else ""), cols, rows)


def section_scaling(rep, args, tmp, peaks, isa):
    rep.section("Scaling")
    e, n = args.scaling_epochs, args.scaling_runs
    cols = [("H", "hidden", "", "{}"),
            ("GFLOP/model-epoch", "model_epoch_gflop", "GFLOP", "{:.3f}"),
            ("total wall s", "total_wall_s", "s", "{:.2f}"),
            ("train thread-s", "train_thread_s", "thread-s", "{:.2f}"),
            ("eval thread-s", "eval_thread_s", "thread-s", "{:.2f}"),
            ("model-epochs/thread-s", "model_epochs_per_thread_s", "1/s", "{:.2f}"),
            ("train GFLOP/s/thread", "train_gflops_per_thread", "GFLOP/s", "{:.1f}"),
            ("% of 1-thread peak", "pct_peak_1", "%", "{:.1f}"),
            ("eval GFLOP/s/thread", "eval_gflops_per_thread", "GFLOP/s", "{:.1f}"),
            ("peak RSS MiB", "rss_mib", "MiB", "{:.1f}"),
            ("wall spread %", "spread_pct", "%", "{:.0f}")]
    rows = []
    for h in args.widths:
        r = prism_best(args, tmp, n, e, args.threads, h)
        d = derived(r, peaks, isa)
        rows.append([h, d["model_epoch_gflop"], r["total_wall_s"], r["train_thread_s"],
                     r["eval_thread_s"], d["model_epochs_per_thread_s"],
                     d["train_gflops_per_thread"], d["pct_peak_1"],
                     d["eval_gflops_per_thread"], r["rss_kib"] / 1024,
                     spread_pct(r["all_total_wall_s"])])
    rep.table("scaling_width", f"Against hidden width: --runs {n} --epochs {e} (fewer than "
              f"the article's 20 x 12 to keep H = 1024 short), best of {args.repeat}", cols, rows)

    cols = [("runs", "runs", "", "{}"), ("total wall s", "total_wall_s", "s", "{:.2f}"),
            ("load s", "load_s", "s", "{:.2f}"),
            ("train thread-s", "train_thread_s", "thread-s", "{:.2f}"),
            ("eval thread-s", "eval_thread_s", "thread-s", "{:.2f}"),
            ("model-epochs/s", "model_epochs_per_s", "1/s", "{:.1f}"),
            ("wall per run s", "wall_per_run_s", "s", "{:.2f}"),
            ("peak RSS MiB", "rss_mib", "MiB", "{:.1f}"),
            ("wall spread %", "spread_pct", "%", "{:.0f}")]
    rows = []
    for runs in args.runs_list:
        r = prism_best(args, tmp, runs, args.epochs, args.threads)
        d = derived(r, peaks, isa)
        rows.append([runs, r["total_wall_s"], r["load_s"], r["train_thread_s"],
                     r["eval_thread_s"], d["model_epochs_per_s"], r["total_wall_s"] / runs,
                     r["rss_kib"] / 1024, spread_pct(r["all_total_wall_s"])])
    rep.table("scaling_runs", f"Against runs: --epochs {args.epochs}, H = 10, "
              f"best of {args.repeat}", cols, rows)

    cols = [("threads", "threads", "", "{}"), ("total wall s", "total_wall_s", "s", "{:.2f}"),
            ("experiment wall s", "wall_s", "s", "{:.2f}"),
            ("train thread-s", "train_thread_s", "thread-s", "{:.2f}"),
            ("speed-up", "speedup", "x", "{:.2f}"),
            ("parallel efficiency %", "efficiency_pct", "%", "{:.0f}"),
            ("peak RSS MiB", "rss_mib", "MiB", "{:.1f}"),
            ("wall spread %", "spread_pct", "%", "{:.0f}")]
    rows = []
    base_wall = None
    base_threads = args.threads_list[0]
    for t in args.threads_list:
        r = prism_best(args, tmp, args.scaling_thread_runs, args.epochs, t)
        if base_wall is None:
            base_wall = r["wall_s"]
        speedup = base_wall / r["wall_s"]
        rows.append([t, r["total_wall_s"], r["wall_s"], r["train_thread_s"],
                     speedup, 100 * speedup * base_threads / t, r["rss_kib"] / 1024,
                     spread_pct(r["all_total_wall_s"])])
    rep.table("scaling_threads", f"Against threads: --runs {args.scaling_thread_runs} --epochs "
              f"{args.epochs} (fewer runs than 20 to keep the 1-thread case short), H = 10, "
              f"best of {args.repeat}; speed-up of the experiment wall against "
              f"{args.threads_list[0]} thread(s)", cols, rows)


# ---------------------------------------------------------------- main

def int_list(text):
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a comma list of whole numbers, got '{text}'")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected whole numbers >= 1, got '{text}'")
    return values


def parse_args():
    p = argparse.ArgumentParser(
        description="Benchmark prism against its own peak and a PyTorch reference.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--prism", default=os.path.join(ROOT, "build", "prism"),
                   help="the prism binary (built by scripts/setup.sh)")
    p.add_argument("--data", default=None,
                   help="dataset folder for prism --dataset (default: prism's own, mnist)")
    p.add_argument("--runs", type=int, default=20, help="runs of the main measurement")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--threads", type=int, default=None,
                   help="prism --threads and PyTorch threads (default: every processor)")
    p.add_argument("--repeat", type=int, default=3,
                   help="times each prism measurement is run; the fastest is reported")
    p.add_argument("--skip-torch", action="store_true", help="no PyTorch reference")
    p.add_argument("--torch-runs", type=int, default=None,
                   help="runs for PyTorch (default: --runs); fewer are scaled linearly")
    p.add_argument("--torch-threads-only", action="store_true",
                   help="run PyTorch only at --threads, not also at 1 thread")
    p.add_argument("--torch-python", default="/usr/bin/python3",
                   help="interpreter that has torch")
    p.add_argument("--peak-seconds", type=float, default=0.5)
    p.add_argument("--scaling", action="store_true", help="also the three scaling tables")
    p.add_argument("--widths", type=int_list, default=[10, 64, 256, 1024])
    p.add_argument("--scaling-runs", type=int, default=2, help="runs for the width sweep")
    p.add_argument("--scaling-epochs", type=int, default=2, help="epochs for the width sweep")
    p.add_argument("--runs-list", type=int_list, default=[1, 5, 20])
    p.add_argument("--threads-list", type=int_list, default=[1, 2])
    p.add_argument("--scaling-thread-runs", type=int, default=5,
                   help="runs for the thread sweep")
    p.add_argument("--json", metavar="FILE", help="also write every figure as JSON")
    p.add_argument("--csv", metavar="FILE", help="also write every figure as CSV")
    args = p.parse_args()
    for name in ("runs", "epochs", "repeat", "scaling_runs", "scaling_epochs",
                 "scaling_thread_runs"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be at least 1")
    if args.torch_runs is not None and not 1 <= args.torch_runs <= args.runs:
        p.error("--torch-runs must be in 1..--runs")
    if not os.access(args.prism, os.X_OK):
        p.error(f"no prism binary at {args.prism}: build it with scripts/setup.sh")
    args.data_folder = args.data or os.path.join(ROOT, "data", "mnist")
    return args


def main():
    args = parse_args()
    rep = Report()
    started = time.perf_counter()
    print(f"# prism benchmark ({time.strftime('%Y-%m-%d %H:%M:%S')})")
    print("# command: " + " ".join([os.path.basename(sys.executable)] + sys.argv))
    cpu = cpu_info()
    section_machine(rep, args, cpu)
    peaks = section_peak(rep, args, cpu)
    with tempfile.TemporaryDirectory(prefix="prism-bench-") as tmp:
        result = section_prism(rep, args, tmp, peaks)
        if args.skip_torch:
            rep.section("PyTorch reference")
            rep.line("  skipped (--skip-torch)")
        else:
            section_torch(rep, args, tmp, result)
        if args.scaling:
            isa = {"avx512": "zmm", "avx2-fma": "ymm"}.get(result["kernel_json"] or "", "ymm")
            section_scaling(rep, args, tmp, peaks, isa)
    rep.line(f"\nbenchmark took {time.perf_counter() - started:.0f} s; load average at end "
             + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    extra = {"command": sys.argv, "machine": {k: (sorted(v) if isinstance(v, set) else v)
                                              for k, v in cpu.items() if k != "flags"}}
    if args.csv:
        rep.write_csv(args.csv)
        log(f"wrote {args.csv}")
    if args.json:
        rep.write_json(args.json, extra)
        log(f"wrote {args.json}")


if __name__ == "__main__":
    main()
