"""The command line: ``atomlab list | show | run | compare | report | runs | store | docs | data | bench``.

Every user error (unknown name, bad key or value) prints one line naming the bad value and the
allowed ones, and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import textwrap
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from atomlab.errors import ConfigError


def _parse_sets(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"--set expects key=value, got {pair!r}")
        key, value = pair.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def _seeds_arg(text: str) -> int | str:
    """``--seeds``: a positive whole number, ``auto`` or ``auto:MAX`` (checked again by the runner)."""
    if text.strip().lower().startswith("auto"):
        from atomlab.lab.api import seed_rounds

        try:
            seed_rounds(text, 3)  # the same validation as in Python: one clear error, exit 2
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text.strip().lower()
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must be a positive whole number, 'auto' or 'auto:MAX', "
                                         f"got {text!r}") from None
    from atomlab.lab.experiment import MAX_SEEDS

    if not 1 <= value <= MAX_SEEDS:
        raise argparse.ArgumentTypeError(f"seeds must be a whole number from 1 to {MAX_SEEDS:,}, got {value}")
    return value


def _whole(name: str, low: int = 1) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``low``, named in the error."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number >= {low}, got {text!r}")
        return value
    return parse


def _positive(name: str) -> Callable[[str], float]:
    """An argparse type: a finite number > 0 (``nan`` and ``inf`` are refused), named in the error."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0 < value < math.inf:
            raise argparse.ArgumentTypeError(f"{name} must be a finite number > 0, got {text!r}")
        return value
    return parse


def _executor_arg(text: str) -> str:
    from atomlab.lab.executors import check_executor_name

    try:
        return check_executor_name(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_list(args: argparse.Namespace) -> int:
    import atomlab

    if getattr(args, "what", None):
        return cmd_list_entries(args)

    rows = [atomlab.get_experiment(n) for n in atomlab.experiments()]
    if args.format == "json":
        print(json.dumps([{"name": e.name, "title": e.title, "source": e.source, "section": e.section,
                           "question": e.question} for e in rows], indent=2))
        return 0
    width = max(len(e.name) for e in rows) if rows else 10
    for e in sorted(rows, key=lambda e: (e.source, e.name)):
        print(f"{e.name:<{width}}  {e.source}  {textwrap.shorten(e.question, 90)}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    import atomlab

    exp = atomlab.get_experiment(args.name)
    if args.format == "json":
        print(json.dumps(exp.describe(), indent=2, default=str))
        return 0
    d = exp.describe()
    print(f"{exp.name}: {exp.title}\nsource: {exp.source}, {exp.section}\n")
    for key in ("question", "hypothesis", "method", "source_conclusion"):
        print(f"{key.replace('_', ' ')}:\n" + textwrap.indent(textwrap.fill(d[key], 100), "  ") + "\n")
    print("factors: " + ", ".join(exp.factors))
    print("settings (paper scale unless a scale overrides; change with --set key=value):")
    for k, v in d["settings"].items():
        print(f"  {k} = {v}")
    for scale, over in d["scales"].items():
        print(f"scale {scale}: " + ", ".join(f"{k}={v}" for k, v in over.items()))
    return 0


def _run_one(name: str, args: argparse.Namespace, out: Path):
    import atomlab
    from atomlab.lab.api import run_experiment

    atomlab._load_catalog()
    overrides = _parse_sets(args.set or [])
    if getattr(args, "animate", False):
        overrides["animate"] = "true"  # entries without an animation say so (unknown setting)
    formats = ("png", "svg") if args.svg else ("png",)
    executor = getattr(args, "executor", None) or "local"
    if executor == "slurm":
        from atomlab.lab.executors import slurm_executor

        executor = slurm_executor(folder=args.slurm_folder, partition=args.slurm_partition, time_min=args.slurm_time,
                                  cpus=args.slurm_cpus, mem_gb=args.slurm_mem)
    return run_experiment(name, scale=args.scale, seeds=args.seeds, overrides=overrides, out=out,
                          cache=not args.no_cache, device=args.device, progress=not args.quiet,
                          formats=formats, workers=args.workers, executor=executor,
                          force=getattr(args, "force", False))


def select_experiments(only: list[str], exclude: list[str]) -> list[str]:
    """Catalog names kept by ``--only`` and ``--exclude``, each matching a name, a source or a tag.

    Examples
    --------
    >>> "mnist-cnn" in select_experiments([], ["mnist"])
    False
    >>> select_experiments(["004"], ["mnist", "cnn"])
    ['example-ordering', 'relu-vs-sigmoid-speed', 'xor-depth', 'zero-initialization']
    """
    import atomlab

    entries = [atomlab.get_experiment(n) for n in atomlab.experiments()]
    labels = {e.name: {e.name, e.source, *e.tags} for e in entries}
    known = sorted(set().union(*labels.values())) if labels else []
    for value in [*only, *exclude]:
        if value not in known:
            raise ConfigError(f"--only/--exclude value {value!r} matches no experiment name, source or tag; "
                              f"known: {', '.join(known)}")
    return [e.name for e in entries
            if (not only or labels[e.name] & set(only)) and not labels[e.name] & set(exclude)]


def longest_first(names: list[str], root: Path) -> list[str]:
    """``names`` ordered for two workers: longest training first, as the last run in ``root`` timed it.

    Two workers finish a list of entries soonest when the long ones start first (a long entry drawn
    last runs alone at the end). The time of an entry is its previous training time in ``root``,
    scaled to all its trials when part came from the cache; entries never timed go first, in
    catalog order.
    """
    def previous_seconds(name: str) -> float:
        try:
            p = json.loads((root / name / "verdict.json").read_text())["provenance"]
            return float(p["wall_time_s"]) * p["trials"] / p["trials_trained"] if p["trials_trained"] else 0.0
        except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError):
            return math.inf
    seconds = {n: previous_seconds(n) for n in names}
    return sorted(names, key=lambda n: -seconds[n])  # sorted() is stable: ties keep catalog order


def cmd_run(args: argparse.Namespace) -> int:
    import atomlab

    _load_cli_plugins(args)

    if args.all == bool(args.name):
        raise ConfigError("give one experiment name, or --all" if not args.name else
                          "give either an experiment name or --all, not both")
    if args.name and (args.only or args.exclude):
        raise ConfigError("--only and --exclude select entries for --all; with one name, drop them")
    if args.name:
        atomlab.get_experiment(args.name)  # validate the name before any work
        out = Path(args.out) if args.out else Path("runs") / f"{args.name}-{args.scale}"
        result = _run_one(args.name, args, out)
        print(result.verdict_line())
        for note in result.sanity():
            print(f"warning: {note}")
        print(f"report: {result.report_path}")
        return 0
    from atomlab.lab.atlas import write_atlas

    root = Path(args.out) if args.out else Path("runs") / f"atlas-{args.scale}"
    names = longest_first(select_experiments(args.only or [], args.exclude or []), root)
    failures: dict[str, str] = {}
    start = time.perf_counter()
    workers = args.workers if args.workers else min(2, os.cpu_count() or 1)
    done = 0

    def report(name: str, line: str | None, error: str | None, seconds: float) -> None:
        nonlocal done
        done += 1
        if error is None:
            print(f"[{done}/{len(names)}] {line} ({seconds:.1f} s)", flush=True)
        else:
            failures[name] = error
            print(f"[{done}/{len(names)}] {name}: FAILED — {error}", file=sys.stderr, flush=True)

    if workers > 1 and len(names) > 1:
        # Whole experiments in parallel, one thread each: the small networks of the catalog gain more
        # from two processes than from two threads (docs/benchmarks.md).
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed
        from concurrent.futures.process import BrokenProcessPool

        ctx = multiprocessing.get_context("spawn")
        todo, tries = list(names), 0
        while todo and tries < 2:
            # A worker killed by the system (out of memory, a signal) breaks the pool: the entries it took
            # down run once more, each alone in a fresh process; killed again, they are reported as failed.
            tries += 1
            killed = []
            for batch in ([todo] if tries == 1 else [[n] for n in todo]):
                with ProcessPoolExecutor(max_workers=min(workers, len(batch)), mp_context=ctx,
                                         initializer=_init_atlas_worker) as pool:
                    futures = {}
                    for name in batch:
                        try:
                            futures[pool.submit(_atlas_job, name, vars(args), str(root / name))] = name
                        except BrokenProcessPool:
                            killed.append(name)
                    for fut in as_completed(futures):
                        try:
                            result = fut.result()
                        except BrokenProcessPool:
                            killed.append(futures[fut])
                            continue
                        report(futures[fut], *result)
            todo = killed
        for name in todo:
            report(name, None, "its worker process was killed twice (out of memory or a signal)", 0.0)
    else:
        for name in names:
            report(name, *_atlas_job(name, vars(args), str(root / name)))
    index = write_atlas(root, wall_time=time.perf_counter() - start, failures=failures)
    print(f"atlas: {index}  ({len(names) - len(failures)} ran, {len(failures)} failed, "
          f"{time.perf_counter() - start:.0f} s)")
    return min(len(failures), 125)


def _init_atlas_worker() -> None:
    from atomlab.engine.threads import set_threads
    from atomlab.lab.runner import exit_with_parent

    exit_with_parent()
    set_threads(1)  # torch's and NumPy's BLAS
    os.environ["ATOMLAB_WORKERS"] = "1"  # no nested worker pools inside a worker


def _atlas_job(name: str, arg_dict: dict, out: str) -> tuple[str | None, str | None, float]:
    """Run one catalog entry for the atlas; never raises (a failure is returned as text)."""
    t0 = time.perf_counter()
    args = argparse.Namespace(**{**arg_dict, "quiet": True})
    try:
        result = _run_one(name, args, Path(out))
        (Path(out) / "error.txt").unlink(missing_ok=True)
        return result.verdict_line(), None, time.perf_counter() - t0
    except Exception as exc:  # one failing entry must not stop the atlas
        Path(out).mkdir(parents=True, exist_ok=True)
        for stale in ("verdict.json", "report.html"):  # an old success must not hide this failure
            (Path(out) / stale).unlink(missing_ok=True)
        (Path(out) / "error.txt").write_text(traceback.format_exc())
        return None, f"{type(exc).__name__}: {exc}", time.perf_counter() - t0


def cmd_report(args: argparse.Namespace) -> int:
    from atomlab.lab.atlas import write_atlas

    if (rebuilt := _report_run(args)) is not None:
        return rebuilt
    index = write_atlas(Path(args.dir))
    print(f"atlas: {index}")
    return 0


def _report_run(args: argparse.Namespace) -> int | None:
    """``atomlab report RUN``: rebuild a recorded run from the trial store; None if ``RUN`` names no run."""
    from atomlab.lab.store import TrialStore

    store = TrialStore(args.store)
    if not store.path.is_file():
        return None  # never create a store just to look in it
    with store:
        run = store.find_run(args.dir)
    if run is None:
        return None
    import atomlab
    from atomlab.lab.api import rebuild_run

    atomlab._load_catalog()
    experiment = None
    if isinstance(run.get("config"), dict) and "atomlab_compare" in run["config"]:  # a comparison: no catalog entry
        from atomlab.lab.compare import comparison_from_config, load_config

        experiment = comparison_from_config(load_config(run["config"]))
    result = rebuild_run(run["id"], cache_dir=args.store, out=args.out, experiment=experiment)
    print(result.verdict_line())
    print(f"rebuilt run {run['id']} without training: {result.report_path or result.out_dir}")
    return 0


def _when(t: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t)) if t else "-"


def cmd_runs(args: argparse.Namespace) -> int:
    """``atomlab runs``: the runs recorded in the trial store, newest first."""
    from atomlab.lab.store import TrialStore

    with TrialStore(args.store) as store:
        runs = store.runs(experiment=args.experiment, limit=args.limit or None)
    if args.format == "json":
        print(json.dumps([{**{k: v for k, v in r.items() if k != "trial_keys"},
                           "trials": len(r.get("trial_keys") or [])} for r in runs], indent=2, default=str))
        return 0
    if not runs:
        print(f"no runs recorded in {store.path}")
        return 0
    header = ("run", "experiment", "scale", "seeds", "verdict", "started", "wall", "trained", "reused", "failed",
              "out")
    table = [header]
    for r in runs:
        wall = f"{r['finished'] - r['started']:.0f} s" if r.get("finished") and r.get("started") else "-"
        verdict = r["verdict"] if r["status"] == "finished" else r["status"]
        table.append(tuple("-" if v is None else str(v) for v in (
            r["id"], r["experiment"], r["scale"], r["seeds"], verdict, _when(r["started"]), wall, r["trained"],
            r["reused"], r["failed"], r["out_dir"])))
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1])
    return 0


def cmd_store_gc(args: argparse.Namespace) -> int:
    """``atomlab store gc``: remove the records this atomlab can never serve."""
    from atomlab.lab.store import TrialStore

    with TrialStore(args.store) as store:
        summary = store.gc(dry_run=args.dry_run)
    if args.format == "json":
        print(json.dumps(summary, indent=2))
        return 0
    verb = "would remove" if args.dry_run else "removed"
    removed = summary["trials_removed"]
    print(f"{summary['store']}: {verb} {sum(removed.values())} trial records "
          f"({removed.get('other_version', 0)} of other versions or training code, {removed.get('damaged', 0)} "
          f"damaged, {removed.get('stale_claims', 0)} claims of runs that are gone), {summary['runs_removed']} "
          f"runs of other versions and {summary['legacy_pickles']} files of the old pickle cache "
          f"({summary['legacy_pickle_bytes'] / 2**20:.1f} MB); kept {summary['trials_kept']} trials and "
          f"{summary['runs_kept']} runs ({summary['bytes_before'] / 2**20:.1f} MB -> "
          f"{summary['bytes_after'] / 2**20:.1f} MB)")
    return 0


def _add_store_commands(sub: argparse._SubParsersAction) -> None:
    """The subcommands that read or tidy the trial store: ``runs`` and ``store gc``."""
    p = sub.add_parser("runs", help="list the runs recorded in the trial store")
    p.add_argument("--experiment", help="only the runs of this experiment")
    p.add_argument("--limit", type=_whole("--limit", 0), default=20, help="at most this many, newest first (0: all)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--store", help="folder of the trial store (default $ATOMLAB_CACHE or ~/.cache/atomlab)")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("store", help="maintain the trial store")
    ssub = p.add_subparsers(dest="action", required=True)
    g = ssub.add_parser("gc", help="remove records of other atomlab versions, damaged records, stale claims and "
                                   "the old pickle cache's files")
    g.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    g.add_argument("--format", choices=("text", "json"), default="text")
    g.add_argument("--store", help="folder of the trial store (default $ATOMLAB_CACHE or ~/.cache/atomlab)")
    g.set_defaults(func=cmd_store_gc)


# ----- your own question: atomlab compare, and the registries it draws on ---------------------------------------

#: What ``atomlab list KIND`` lists (the registries a plugin may extend: atomlab.lab.plugins.KINDS).
REGISTRY_KINDS = ("activations", "datasets", "initializers", "losses", "optimizers", "regularizers")


def _add_plugin_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plugin", action="append", metavar="FILE_OR_MODULE[:FUNCTION]",
                   help="load a Python file or module that registers activations, data sets, losses, optimizers, "
                        "initializers or regularizers (repeatable); installed atomlab.plugins entry points load "
                        "always")


def _load_cli_plugins(args: argparse.Namespace) -> list:
    from atomlab.lab.plugins import load_plugins

    return load_plugins(getattr(args, "plugin", None) or [])


def cmd_list_entries(args: argparse.Namespace) -> int:
    """``atomlab list activations`` (datasets, losses ...): what is registered, built-in and from plugins."""
    from atomlab.lab.plugins import describe_entries

    _load_cli_plugins(args)
    entries = describe_entries(args.what)
    if args.format == "json":
        print(json.dumps(entries, indent=2, default=str))
        return 0
    origins: dict[str, int] = {}
    for e in entries:
        origins[e["origin"]] = origins.get(e["origin"], 0) + 1
    print(f"{args.what}: {len(entries)} (" + ", ".join(f"{n} {o}" for o, n in origins.items()) + ")")
    width = max((len(e["name"]) for e in entries), default=4)
    for e in entries:
        notes = []
        if e["aliases"]:
            notes.append("also " + ", ".join(e["aliases"]))
        if e["origin"] != "built-in":
            notes.append(e["origin"])
        if "parameters" in e:
            notes.append(", ".join(f"{k}={v!r}" for k, v in e["parameters"].items()))
        print(f"  {e['name']:<{width}}  {'; '.join(notes)}".rstrip())
    return 0


def _pairs(text: str, flag: str) -> dict[str, str]:
    """``"steps=3000,lr=0.01"`` -> ``{"steps": "3000", "lr": "0.01"}``: a comma starts a new pair only before
    ``key=``, so a value may hold commas (``layers=10,10``)."""
    import re

    out: dict[str, str] = {}
    for part in re.split(r",\s*(?=[A-Za-z_][\w.]*\s*=)", text.strip()):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} expects key=value pairs separated by commas (e.g. {flag} steps=3000,lr=0.01), "
                              f"got {part!r}")
        out[key.strip()] = value.strip()
    return out


def _data_arg(texts: list[str]) -> dict[str, str] | None:
    """``--data spirals,noise=0.1`` (or ``name=spirals,...``): the data set and its parameters."""
    if not texts:
        return None
    out: dict[str, str] = {}
    for text in texts:
        head, sep, rest = text.partition(",")
        if "=" not in head:
            out["name"] = head.strip()
            text = rest if sep else ""
        out.update(_pairs(text, "--data") if text.strip() else {})
    return out


def _vary_arg(texts: list[str]) -> dict[str, list[str]]:
    """``--vary activation=relu,tanh`` (repeatable): each factor's levels, split at commas outside brackets."""
    from atomlab.lab.experiment import _split_top_level

    vary: dict[str, list[str]] = {}
    for text in texts or []:
        key, sep, levels = text.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--vary expects FACTOR=LEVEL,LEVEL,... (e.g. --vary activation=relu,tanh), got {text!r}")
        if key.strip() in vary:
            raise ConfigError(f"--vary {key.strip()} is given twice; list all its levels in one --vary")
        vary[key.strip()] = _split_top_level(levels)
    return vary


def _data_seed_arg(text: str) -> int | None:
    if text.strip().lower() in ("none", "each", "per-seed"):
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--data-seed must be a whole number or 'none', got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--data-seed must be >= 0, got {value}")
    return value


def cmd_compare(args: argparse.Namespace) -> int:
    """``atomlab compare``: vary settings, train over seeds, check the hypothesis, write the report."""
    from atomlab.lab.compare import compare, load_config

    formats = ("png", "svg") if args.svg else ("png",)
    run = {"cache": not args.no_cache, "device": args.device, "workers": args.workers, "progress": not args.quiet,
           "events": args.events, "formats": formats}
    if args.config:
        settings = [f"--{k.replace('_', '-')}" for k in ("data", "vary", "model", "train", "metric", "hypothesis",
                                                           "plugin", "name", "seed")
                    if getattr(args, k) not in (None, [])]
        if args.data_seed is not _UNSET:
            settings.append("--data-seed")
        if settings:
            raise ConfigError(f"--config repeats a recorded run with its own settings; drop {', '.join(settings)} "
                              "(or edit the file); only --seeds and --out may change")
        cfg = load_config(args.config)
        if args.seeds is not None:
            if not isinstance(args.seeds, int):
                raise ConfigError("--config takes a whole number of --seeds, not 'auto'")
            cfg["seeds"] = args.seeds
        out = Path(args.out) if args.out else Path("runs") / cfg["name"]
        result = compare(config=cfg, out=out, **run)
    else:
        if not args.vary:
            raise ConfigError("atomlab compare needs --vary FACTOR=LEVEL,LEVEL (e.g. --vary activation=relu,tanh), or "
                              "--config DIR/config.json to repeat a recorded comparison")
        data = _data_arg(args.data) or {"name": "surface2d"}
        train: dict[str, str] = {}
        for text in args.train or []:
            train.update(_pairs(text, "--train"))
        model: dict[str, str] = {}
        for text in args.model or []:
            model.update(_pairs(text, "--model"))
        settings = {"data": data, "vary": _vary_arg(args.vary), "model": model, "train": train,
                    "seeds": args.seeds if args.seeds is not None else 5, "seed": args.seed or 0,
                    "metric": args.metric, "hypothesis": args.hypothesis, "plugins": args.plugin or [],
                    "data_seed": 0 if args.data_seed is _UNSET else args.data_seed, "name": args.name}
        from atomlab.lab.compare_config import default_name

        if args.out:
            out = Path(args.out)
        else:  # the default folder needs the resolved name: resolve once without training (cheap: no trials run)
            from atomlab.lab.compare_config import resolve_config
            from atomlab.lab.plugins import load_plugins

            records = [p.to_dict() for p in load_plugins(settings["plugins"])]
            cfg = resolve_config(**{**settings, "seeds": 5 if isinstance(settings["seeds"], str) else
                                    settings["seeds"], "plugins": records})
            out = Path("runs") / (cfg["name"] or default_name(cfg))
        result = compare(**settings, out=out, **run)
    print(result.verdict_line())
    for note in result.sanity():
        print(f"warning: {note}")
    print(f"report: {result.report_path}")
    return 0


#: ``--data-seed`` left out (None is a value of its own: a fresh draw of the data per seed).
_UNSET = object()


def _add_compare_command(sub: argparse._SubParsersAction) -> None:
    """``atomlab compare``: the command-line twin of :func:`atomlab.compare`."""
    p = sub.add_parser(
        "compare", help="compare settings of an MLP over seeds and check your hypothesis",
        description="Train every combination of the --vary levels (the arms) from the same seeds, compare them seed "
                    "by seed and write a report. Example: atomlab compare --data spirals --vary "
                    "activation=relu,tanh,snake --model layers=10,10 --train steps=3000,lr=0.01 --seeds 10 --plugin "
                    "my_acts.py --hypothesis 'snake > relu' --out runs/snake")
    p.add_argument("--data", action="append", metavar="NAME[,KEY=VALUE...]",
                   help="the data set and its parameters, e.g. spirals or spirals,noise=0.1 (default surface2d; "
                        "`atomlab list datasets` lists them)")
    p.add_argument("--vary", action="append", metavar="FACTOR=LEVEL,LEVEL...",
                   help="a factor and its levels (repeatable: factors are crossed): any model or train setting "
                        "(activation, layers, init, lr, optimizer, batch_size, steps ...), a data set parameter "
                        "(noise, n_train ...), data (the data set itself), width or depth; layer lists in brackets: "
                        "layers=[10],[10,10]")
    p.add_argument("--model", action="append", metavar="KEY=VALUE,...", help="fixed model settings, e.g. "
                   "layers=10,10,init=he_normal")
    p.add_argument("--train", action="append", metavar="KEY=VALUE,...", help="fixed training settings, e.g. "
                   "steps=3000,lr=0.01,optimizer=sgd (default: adam, lr 0.01, batches of 64, 1000 steps)")
    p.add_argument("--seeds", type=_seeds_arg, metavar="N|auto|auto:MAX", help="seeds per arm (default 5)")
    p.add_argument("--seed", type=int, help="the first seed (default 0)")
    p.add_argument("--data-seed", type=_data_seed_arg, default=_UNSET, metavar="N|none",
                   help="seed of the data set, the same for every trial (default 0); none: a fresh draw per seed")
    p.add_argument("--metric", help="what is compared (default test_acc, or test_mse for regression)")
    p.add_argument("--hypothesis", action="append", metavar="TEXT",
                   help="'A > B', 'A < B', 'A = B within 0.01', 'increases with FACTOR' or 'decreases with FACTOR' "
                        "(A, B: a level or factor=level); without one every arm is compared with the first")
    _add_plugin_option(p)
    p.add_argument("--config", metavar="DIR/config.json", help="repeat a recorded comparison exactly, every setting "
                   "from its config.json (--seeds and --out may change)")
    p.add_argument("--name", help="name of the run (default compare-FACTORS-DATA)")
    p.add_argument("--out", help="output folder (default runs/NAME)")
    p.add_argument("--no-cache", action="store_true", help="train every trial even if the store has it")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--workers", type=int, help="worker processes (default: the number of cores)")
    p.add_argument("--svg", action="store_true", help="also write figures as SVG")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--events", metavar="FILE", help="write JSON-lines events (start, each trial, the verdict) here")
    p.set_defaults(func=cmd_compare)


def cmd_docs(args: argparse.Namespace) -> int:
    """``atomlab docs``: record runs into docs/results, then generate (or check) the catalog's pages."""
    import atomlab
    from atomlab.lab import pages, recorded

    atomlab._load_catalog()
    entries = [atomlab.get_experiment(n) for n in atomlab.experiments()]
    docs = Path(args.docs)
    if args.check and args.record:
        raise ConfigError("--check writes nothing, so it cannot be combined with --record")
    if args.record:
        if not docs.is_dir():
            raise ConfigError(f"no docs folder at {str(docs)!r}: run from the repository's root, or give --docs")
        folders, skipped = recorded.run_folders(args.record)
        for why in skipped:
            print(f"atomlab docs: skipped {why}", file=sys.stderr)
        for folder in folders:
            path = recorded.write_record(folder, docs, figures=args.figures)
            print(f"recorded {folder} -> {path}")
    if args.check:
        for line in pages.generate(docs, entries).warnings:  # stale records: said, not failed on
            print(f"atomlab docs: warning: {line}", file=sys.stderr)
        problems = pages.check_pages(docs, entries)
        for line in problems:
            print(line)
        if problems:
            print(f"atomlab docs: {len(problems)} page(s) differ from what `atomlab docs` generates; run it and "
                  "commit the result", file=sys.stderr)
            return 1
        print(f"docs up to date: {len(entries) + 1} generated pages in {docs / pages.CATALOG}")
        return 0
    changed, removed, warnings = pages.write_pages(docs, entries)
    for line in warnings:
        print(f"atomlab docs: warning: {line}", file=sys.stderr)
    for path in changed:
        print(f"wrote {path}")
    for path in removed:
        print(f"removed {path}")
    print(f"{len(entries) + 1} pages in {docs / pages.CATALOG}: {len(changed)} changed, {len(removed)} removed")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    if args.dataset != "mnist":
        raise ConfigError(f"unknown dataset to download {args.dataset!r}; known: mnist")
    from atomlab.data.mnist import download_mnist

    path = download_mnist(path=args.path, progress=print)
    print(f"MNIST ready in {path}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from atomlab.bench import suite

    if args.workload:
        for w in args.workload:
            if not w.strip():
                raise ConfigError("--workload needs a name (W, W2 or a catalog entry), got an empty one")
    log = (lambda msg: print(msg, file=sys.stderr, flush=True)) if args.format == "json" else print
    result = suite.run_suite(args.workload or None, repeats=args.repeats, scale=args.scale, threads=args.threads,
                             only=args.only or None, log=log)
    if args.out:
        suite.write(result, Path(args.out))
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        print(suite.markdown(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from atomlab._version import __version__

    parser = argparse.ArgumentParser(prog="atomlab", description="Atomic deep-learning experiments.")
    parser.add_argument("--version", action="version", version=f"atomlab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list the experiments of the catalog, or the registered activations, data sets, "
                                    "losses, optimizers, initializers or regularizers")
    p.add_argument("what", nargs="?", choices=REGISTRY_KINDS, help="list these instead of the experiments")
    p.add_argument("--format", choices=("text", "json"), default="text")
    _add_plugin_option(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="describe one experiment and its settings")
    p.add_argument("name")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("run", help="run an experiment (or --all) and write its report")
    p.add_argument("name", nargs="?")
    p.add_argument("--all", action="store_true", help="run the whole catalog and write the atlas")
    p.add_argument("--scale", choices=("smoke", "quick", "paper"), default="quick")
    p.add_argument("--only", action="append", metavar="NAME|SOURCE|TAG",
                   help="with --all: run only entries with this name, source (000) or tag (repeatable)")
    p.add_argument("--exclude", action="append", metavar="NAME|SOURCE|TAG",
                   help="with --all: skip entries with this name, source or tag, e.g. mnist (repeatable)")
    p.add_argument("--seeds", type=_seeds_arg, metavar="N|auto|auto:MAX",
                   help="seeds per arm; 'auto' adds seeds in rounds until every claim is decisive (at most 4x the "
                        "scale's seeds, or MAX), spending the error rate across the looks")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a setting (repeatable)")
    p.add_argument("--out", help="output directory (default runs/NAME-SCALE)")
    p.add_argument("--no-cache", action="store_true", help="train every trial even if the store has it")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--workers", type=_whole("--workers"), help="worker processes (default: the number of cores)")
    p.add_argument("--executor", type=_executor_arg, default="local", metavar="local|dask://HOST:PORT|slurm",
                   help="where the training runs: this machine (default), a Dask scheduler, or SLURM jobs through "
                        "submitit (docs/cluster.md); results come back to this process, which writes the store")
    p.add_argument("--slurm-partition", help="with --executor slurm: the partition (default: the cluster's)")
    p.add_argument("--slurm-time", type=_whole("--slurm-time"), default=60, metavar="MINUTES",
                   help="with --executor slurm: minutes each job may run (default 60)")
    p.add_argument("--slurm-cpus", type=_whole("--slurm-cpus"), default=1,
                   help="with --executor slurm: CPUs (and training threads) per job (default 1)")
    p.add_argument("--slurm-mem", type=_positive("--slurm-mem"), default=4.0, metavar="GB",
                   help="with --executor slurm: memory per job in GB (default 4)")
    p.add_argument("--slurm-folder", metavar="DIR",
                   help="with --executor slurm: submitit's job folder, on a file system the nodes share "
                        "(default ./atomlab-slurm)")
    p.add_argument("--force", action="store_true",
                   help="run a plan the time guard refuses (estimated over a day); never one that cannot fit in "
                        "memory")
    p.add_argument("--svg", action="store_true", help="also write figures as SVG")
    p.add_argument("--animate", action="store_true", help="also write a GIF of the surfaces over training")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_plugin_option(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("report", help="rebuild a recorded run (RUN: its id or output folder), or the atlas of a "
                                      "run --all folder, without training")
    p.add_argument("dir", metavar="RUN|DIR")
    p.add_argument("--out", help="with a recorded run: write here instead of the run's own folder")
    p.add_argument("--store", help="folder of the trial store (default $ATOMLAB_CACHE or ~/.cache/atomlab)")
    p.set_defaults(func=cmd_report)
    _add_store_commands(sub)
    _add_compare_command(sub)

    p = sub.add_parser("bench", help="time the engine against the alternatives (see docs/benchmarks.md)")
    p.add_argument("--workload", action="append",
                   help="W, W2 or a catalog entry at paper scale, e.g. activation-functions (repeatable; default: W, "
                        "W2 and three entries)")
    p.add_argument("--repeats", type=_whole("--repeats"), default=3)
    p.add_argument("--scale", type=_positive("--scale"), default=1.0, help="multiply the epochs (0.01 for a tiny run)")
    p.add_argument("--threads", type=_whole("--threads"), default=1, help="intra-op threads in-process")
    p.add_argument("--only", action="append", help="run only contenders whose name contains this")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--out", help="also write the JSON result to this file")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("docs", help="generate the catalog's docs pages from the declarations and the recorded runs "
                                    "(docs/developing.md, 'Regenerating the docs')")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 and name every page that differs from what would be generated")
    p.add_argument("--record", nargs="+", metavar="RUN_DIR",
                   help="first record these finished runs into DOCS/results (a run's folder, or a `run --all` "
                        "folder of them), then generate the pages")
    p.add_argument("--figures", action=argparse.BooleanOptionalAction, default=None,
                   help="with --record: copy each run's main figure too (default: for paper-scale runs only)")
    p.add_argument("--docs", default="docs", help="the docs folder (default: ./docs)")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("data", help="get data sets")
    dsub = p.add_subparsers(dest="action", required=True)
    d = dsub.add_parser("download", help="download a data set (needs the network)")
    d.add_argument("dataset", help="mnist")
    d.add_argument("--path", help="directory to put the files in (default: the user cache)")
    d.set_defaults(func=cmd_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``atomlab`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"atomlab: error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"atomlab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("atomlab: interrupted; finished trials are kept in the trial store", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
