"""The benchmark suite: workloads, repeated interleaved runs, and the table they produce."""

from __future__ import annotations

import functools
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from atomlab.bench import contenders as C
from atomlab.bench.workloads import WORKLOADS
from atomlab.engine.allocator import keep_freed_memory
from atomlab.engine.threads import set_threads
from atomlab.errors import ConfigError, unknown_choice

# (name, function, how many of the P models it trains per repeat: slow ones are measured on a few)
CONTENDERS: list[tuple[str, Callable[..., float | None], Callable[[int], int]]] = [
    ("naive PyTorch (1 model at a time)", C.naive_torch, lambda P: max(1, P // 16)),
    ("scikit-learn MLPClassifier", C.sklearn_mlp, lambda P: max(1, P // 32)),
    ("NumPy scratch network", C.numpy_scratch, lambda P: max(1, P // 16)),
    ("torch.func vmap(functional_call)", C.torch_vmap, lambda P: P),
    ("atomlab population, autograd", lambda t, P: C.atomlab_population(t, P, fastpath=False), lambda P: P),
    ("atomlab population, fast path (torch)", lambda t, P: C.atomlab_population(t, P, backend="torch"), lambda P: P),
    ("atomlab population, fast path (NumPy)", lambda t, P: C.atomlab_population(t, P, backend="numpy"), lambda P: P),
    ("atomlab population, compiled kernels", lambda t, P: C.atomlab_population(t, P, backend="kernel"), lambda P: P),
    ("atomlab, 2 worker processes", lambda t, P: C.atomlab_workers(t, P, workers=2), lambda P: P),
    ("JAX jit(vmap) + lax.scan", C.jax_population, lambda P: P),
]


def _reset_peak_rss() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_suite(workloads: list[str] | None = None, *, repeats: int = 3, scale: float = 1.0, threads: int = 1,
              only: list[str] | None = None, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run every contender on each workload ``repeats`` times, interleaved, and summarise.

    Parameters
    ----------
    workloads : list of str, optional
        Names from :data:`WORKLOADS` (default: all).
    repeats : int
        Runs per contender; the median and the min-max spread are reported.
    scale : float
        Multiplies the number of epochs (``0.01`` makes a tiny smoke run).
    threads : int
        Intra-op threads for the in-process contenders (the worker contender uses one per process).
    only : list of str, optional
        Substrings selecting contenders by name.

    Returns
    -------
    dict
        ``{"machine": ..., "workloads": {name: {"contenders": [...], ...}}}``.
    """
    from atomlab.bench import catalog_bench as CB

    names = workloads or [*WORKLOADS, *CB.CATALOG_WORKLOADS]
    catalog_names = set(__import__("atomlab").experiments())
    for n in names:
        if n not in WORKLOADS and n not in catalog_names:
            raise unknown_choice("workload", n, [*WORKLOADS, *sorted(catalog_names)])
    set_threads(threads)  # torch's and NumPy's BLAS: every in-process contender gets the same
    keep_freed_memory()  # and the same allocator setting, whoever runs first (atomlab's runs set it)
    peak = C.matmul_peak_gflops()
    out: dict[str, Any] = {"machine": machine_info(), "threads": threads, "repeats": repeats, "scale": scale,
                           "matmul_peak_gflops": round(peak, 1), "workloads": {}}
    for wname in names:
        if wname not in WORKLOADS:
            out["workloads"][wname] = _run_catalog_entry(wname, repeats=repeats, scale=scale, peak=peak, log=log,
                                                         only=only)
            continue
        task, P = WORKLOADS[wname](scale)
        selected = _chosen(CONTENDERS, only)
        rows = _measure(wname, [(cname, functools.partial(fn, task, count(P)), count(P))
                                for cname, fn, count in selected],
                        repeats=repeats, flops=task.flops_per_model(), peak=peak, log=log, unit="models/s")
        out["workloads"][wname] = {"description": WORKLOADS[wname].__doc__, "P": P, "steps_per_model": task.steps,
                                   "gflop_per_model": task.flops_per_model() / 1e9,
                                   "arithmetic_bound_models_per_s": peak * 1e9 / task.flops_per_model(),
                                   "contenders": rows}
    return out


def _chosen(contenders: list[tuple], only: list[str] | None) -> list[tuple]:
    """The contenders (``(name, ...)`` tuples) whose name holds one of ``only``'s strings; all without ``only``."""
    return [c for c in contenders if not only or any(o.lower() in c[0].lower() for o in only)]


def _measure(workload: str, contenders: list[tuple[str, Callable[[], float | None], int]], *, repeats: int,
             flops: float, peak: float, log: Callable[[str], None], unit: str,
             skipped: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Run ``contenders`` (``(name, fn() -> seconds or None, models trained)``) interleaved, ``repeats`` rounds.

    Every contender runs once per round, in turn, so machine load falls on all alike; a contender whose
    ``fn`` returns None is skipped as not installed, one that returns a :class:`~atomlab.bench.contenders.Skip`
    for its reason, as are those already in ``skipped``. The first contender is the baseline of the
    ratios. Returns one table row each (:func:`_row`).
    """
    skipped = dict(skipped or {})
    rates: dict[str, list[float]] = {c[0]: [] for c in contenders}
    mem: dict[str, float | None] = {}
    for r in range(repeats):
        for cname, fn, count in contenders:
            if cname in skipped:
                continue
            _reset_peak_rss()
            seconds = fn()
            if seconds is None or isinstance(seconds, C.Skip):
                skipped[cname] = "not installed" if seconds is None else seconds.reason
                continue
            rates[cname].append(count / seconds)
            mem[cname] = max(mem.get(cname) or 0, _peak_rss_mb() or 0)
            log(f"{workload} round {r + 1}: {cname}: {count / seconds:.3f} {unit}")
    first = rates[contenders[0][0]]
    base = statistics.median(first) if first else None
    return [_row(cname, rates[cname], base, flops, peak, mem.get(cname), count) if rates[cname]
            else {"contender": cname, "skipped": skipped.get(cname, "no runs")} for cname, _, count in contenders]


def _row(contender: str, rates: list[float], base: float | None, flops: float, peak: float,
         peak_rss_mb: float | None, models_per_run: int) -> dict[str, Any]:
    """One contender's line of a workload table: median rate, spread, ratio to naive, GFLOP/s, memory."""
    med = statistics.median(rates)
    gflops = med * flops / 1e9
    return {"contender": contender, "models_per_s": med, "min": min(rates), "max": max(rates),
            "ratio_to_naive": med / base if base else None, "gflops": gflops, "fraction_of_peak": gflops / peak,
            "peak_rss_mb": peak_rss_mb, "models_per_run": models_per_run, "runs": len(rates)}


def _run_catalog_entry(name: str, *, repeats: int, scale: float, peak: float,
                       log: Callable[[str], None], only: list[str] | None = None) -> dict[str, Any]:
    """One catalog entry's paper-scale trials (smoke scale when ``scale < 1``): naive against the runner.

    ``only`` keeps the contenders whose name holds one of its strings, as for the other workloads.
    """
    from atomlab.bench import catalog_bench as CB
    from atomlab.lab.data import materialize

    entry_scale = "paper" if scale >= 1 else "smoke"
    trials = CB.catalog_trials(name, entry_scale)
    if not trials:
        raise ConfigError(f"catalog entry {name!r} has no population trials to benchmark")
    datasets = [materialize(t.data) for t in trials]
    flops = float(np.mean([CB.trial_flops(t, d) for t, d in zip(trials, datasets)]))
    naive = CB.sample(trials, max(2, len(trials) // 40))
    naive_data = [materialize(t.data) for t in naive]
    fits = [(t, d) for t, d in zip(naive, naive_data) if CB.sklearn_unsupported(t) is None]
    contenders: list[tuple[str, Callable[[], float | None], int]] = [
        (f"naive PyTorch (1 trial at a time, {len(naive)} of {len(trials)})",
         lambda: CB.naive_one_at_a_time(naive, naive_data), len(naive)),
        (f"scikit-learn MLP (1 trial at a time, {len(fits)} of {len(naive)} sampled)",
         lambda: CB.sklearn_one_at_a_time([t for t, _ in fits], [d for _, d in fits]), len(fits)),
        ("atomlab runner, 1 process", lambda: CB.atomlab_runner(trials, workers=1, name=name), len(trials)),
        ("atomlab runner, 2 workers (threads or processes, its choice)",
         lambda: CB.atomlab_runner(trials, workers=2, name=name), len(trials)),
        ("JAX jit(vmap) + lax.scan, equal networks together", lambda: CB.jax_groups(trials, datasets), len(trials)),
    ]
    skipped: dict[str, str] = {}
    if not fits:
        skipped[contenders[1][0]] = "no sampled trial is expressible in scikit-learn (" + \
            "; ".join(sorted({CB.sklearn_unsupported(t) for t in naive})) + ")"
    contenders = _chosen(contenders, only)
    rows = _measure(name, contenders, repeats=repeats, flops=flops, peak=peak, log=log, unit="trials/s",
                    skipped=skipped)
    steps = [t.train.total_steps(d.n_train) for t, d in zip(trials, datasets)]
    return {"description": f"catalog entry `{name}` at {entry_scale} scale: {len(trials)} trials "
                           f"(every arm and seed), trained as `atomlab run {name} --scale {entry_scale}` trains them.",
            "P": len(trials), "steps_per_model": int(np.median(steps)), "gflop_per_model": flops / 1e9,
            "arithmetic_bound_models_per_s": peak * 1e9 / flops, "contenders": rows}


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on."""
    import sklearn

    try:
        import jax

        jax_version = jax.__version__
    except ImportError:
        jax_version = None
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__, "scikit-learn": sklearn.__version__, "jax": jax_version,
            "date": time.strftime("%Y-%m-%d")}


def markdown(result: dict[str, Any]) -> str:
    """The result as markdown tables (for docs/benchmarks.md)."""
    m = result["machine"]
    lines = [f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores), Python {m['python']}, torch {m['torch']}, "
             f"NumPy {m['numpy']}, scikit-learn {m['scikit-learn']}, JAX {m['jax'] or 'not installed'}; "
             f"{result['threads']} intra-op thread(s) in-process, {result['repeats']} interleaved rounds "
             f"(median, [min, max]); matmul peak {result['matmul_peak_gflops']} GFLOP/s.", ""]
    for wname, w in result["workloads"].items():
        title = w["description"] if w["description"].startswith(f"{wname}:") else f"{wname}: {w['description']}"
        lines += [f"### {title}", "",
                  f"{w['steps_per_model']} steps per model, {w['gflop_per_model']:.3g} GFLOP per model; the "
                  f"arithmetic bound at the measured peak is {w['arithmetic_bound_models_per_s']:.3g} models/s.", "",
                  "| contender | models/s (median [min, max]) | x naive | GFLOP/s | % of peak | peak RSS (MB) |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for r in w["contenders"]:
            if "skipped" in r:
                lines.append(f"| {r['contender']} | skipped: {r['skipped']} | | | | |")
                continue
            lines.append(f"| {r['contender']} | {r['models_per_s']:.3g} [{r['min']:.3g}, {r['max']:.3g}] | "
                         f"{r['ratio_to_naive']:.1f} | {r['gflops']:.2f} | {100 * r['fraction_of_peak']:.1f} | "
                         f"{r['peak_rss_mb']:.0f} |")
        lines.append("")
    return "\n".join(lines)


def write(result: dict[str, Any], json_path: Path) -> None:
    """Write the result as JSON."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(result, indent=2))
