"""A trial: data + model + recipe + seed, fully determined by its config, with a stable hash."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atomlab._version import __version__
from atomlab.engine.spec import TrainSpec
from atomlab.nn.spec import MLPSpec


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        return _jsonable(obj.to_dict())
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and obj != obj:
        return "nan"
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return obj.item()
    if callable(obj):
        return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', repr(obj))}"
    return obj


def canonical_json(obj: Any) -> str:
    """``obj`` as canonical JSON: sorted keys, tuples as lists, specs through their ``to_dict``.

    Examples
    --------
    >>> canonical_json({"b": (1, 2), "a": float("nan")})
    '{"a": "nan", "b": [1, 2]}'
    """
    return json.dumps(_jsonable(obj), sort_keys=True, default=str)


def stable_hash(obj: Any, length: int = 16) -> str:
    """A hex digest of ``obj``'s canonical JSON form.

    Examples
    --------
    >>> stable_hash({"b": 1, "a": [1, 2]}) == stable_hash({"a": (1, 2), "b": 1})
    True
    """
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()[:length]


@dataclass(frozen=True)
class DataSpec:
    """A registered data set, its parameters, a seed and the transforms applied after it.

    ``transforms`` is a sequence of ``(name, params)`` pairs from :data:`atomlab.data.transforms.transforms`.

    Examples
    --------
    >>> spec = DataSpec("moons", {"n_train": 50}, seed=2, transforms=(("random_labels", {"fraction": 0.5}),))
    >>> spec.key == DataSpec("moons", {"n_train": 50}, seed=2, transforms=(("random_labels", {"fraction": 0.5}),)).key
    True
    >>> spec.key == DataSpec("moons", {"n_train": 50}, seed=3).key
    False
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    transforms: tuple[tuple[str, dict[str, Any]], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "params": self.params, "seed": self.seed,
                "transforms": [list(t) for t in self.transforms]}

    @property
    def key(self) -> str:
        """Hash of the spec: equal keys give equal arrays."""
        return stable_hash(self.to_dict())


@dataclass(frozen=True)
class Trial:
    """One model to train (or one estimator to fit): the unit of caching.

    Attributes
    ----------
    levels : dict
        The value of each varied factor: together they name the arm.
    seed : int
        The trial's seed (initial weights, data order, dropout).
    data : DataSpec
        The data.
    model : MLPSpec or dict
        The architecture: an :class:`MLPSpec` for the population engine, or a dict that the
        trial's ``kind`` understands.
    train : TrainSpec or None
        The recipe.
    kind : str
        ``"population"`` for the vectorised MLP engine, else a registered trial kind
        (``"module"``, ``"sklearn"``, ``"scratch"``...).

    Examples
    --------
    >>> from atomlab.engine import TrainSpec
    >>> from atomlab.nn import MLPSpec
    >>> t = Trial({"depth": 2, "width": [4, 4]}, 0, DataSpec("moons"), MLPSpec(layers=(4, 4)), TrainSpec(steps=5))
    >>> t.arm, len(t.key)
    ('depth=2, width=[4,4]', 16)
    """

    levels: dict[str, Any]
    seed: int
    data: DataSpec
    model: MLPSpec | dict[str, Any]
    train: TrainSpec | None = None
    kind: str = "population"

    def to_dict(self) -> dict[str, Any]:
        return {"levels": self.levels, "seed": self.seed, "data": self.data, "model": self.model,
                "train": self.train, "kind": self.kind}

    @property
    def key(self) -> str:
        """Stable hash of the config, the package version and any user-registered code it names.

        Built-ins are covered by the version and by a fingerprint of the code that trains (see
        :func:`engine_fingerprint`), so fixing a bug in an optimiser retrains instead of serving
        the old numbers; a function a user registered (an activation, a loss, a data set...) is
        fingerprinted by its code, so redefining it retrains too.
        """
        return stable_hash({"trial": self.to_dict(), "version": __version__, "engine": engine_fingerprint(),
                            "user_code": _user_code(self)})

    @property
    def arm(self) -> str:
        """A readable label of the arm: ``"depth=2, function=sine"``."""
        return ", ".join(f"{k}={_fmt(v)}" for k, v in self.levels.items())


#: The modules the runner itself trains with (the ``population`` kind, materialising data specs, this
#: module's specs). Everything else that decides what a trial computes is found from the registries.
RUNNER_MODULES = ("atomlab.engine.population", "atomlab.lab.data", __name__)


def training_modules() -> list[str]:
    """The atomlab modules whose code decides what a trial computes, found without a hand-kept list.

    They are the modules that define a registered built-in (a trial kind, data set, transform,
    activation, initialiser, loss, optimiser or regulariser: those named ``atomlab.*``), the
    :data:`RUNNER_MODULES`, and every atomlab module these import, followed through the source (so a
    helper a trial kind calls is covered too). Figures, reports, claims and the CLI are not reached,
    so redrawing or re-judging a run still reuses its trained trials.

    Examples
    --------
    >>> mods = training_modules()
    >>> {"atomlab.nn.optimizers", "atomlab.engine.kinds.scratch_net", "atomlab.scratch.deep"} <= set(mods)
    True
    >>> any(m.startswith(("atomlab.catalog", "atomlab.viz", "atomlab.cli")) for m in mods)
    False
    """
    from atomlab.data.dataset import datasets
    from atomlab.data.transforms import transforms
    from atomlab.engine.trial_kinds import trial_kinds
    from atomlab.nn import activations, initializers, losses, optimizers, regularizers

    roots = set(RUNNER_MODULES)
    for registry in (trial_kinds, datasets, transforms, activations, initializers, losses, optimizers, regularizers):
        for name in registry.names():
            module = getattr(registry.get(name), "__module__", None) or ""
            if module.startswith("atomlab."):
                roots.add(module)
    return sorted(_import_closure(roots))


def _module_file(name: str) -> Path | None:
    root = Path(__file__).resolve().parents[2]  # the directory holding the atomlab package
    path = root.joinpath(*name.split("."))
    if path.is_dir() and (path / "__init__.py").exists():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").exists() else None


def _import_closure(roots: set[str]) -> set[str]:
    """``roots`` and every atomlab module they import (at any depth; imports inside functions too)."""
    import ast

    seen: set[str] = set()
    todo = [r for r in roots if _module_file(r) is not None]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _module_file(name)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # a relative import: up ``level - 1`` packages from this one
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                # ``from pkg import name``: name is a submodule, or an attribute of pkg
                targets = [f"{base}.{a.name}" if _module_file(f"{base}.{a.name}") else base for a in node.names]
            todo += [t for t in targets if t.startswith("atomlab.") and _module_file(t) is not None]
    return seen


@functools.cache
def engine_fingerprint() -> str:
    """A hash of the source of atomlab's training code (:func:`training_modules`), read once per process.

    Examples
    --------
    >>> len(engine_fingerprint())
    16
    """
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for name in training_modules():
        path = _module_file(name)
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _code_fingerprint(obj: Any) -> str:
    import inspect

    from atomlab.lab.plugins import plugin_fingerprint

    # A plugin's entry is known by its whole file: an edit to a helper it calls retrains too.
    whole = plugin_fingerprint(getattr(obj, "__module__", None))
    if whole is not None:
        return f"plugin {whole[:16]}:{getattr(obj, '__qualname__', '')}"
    try:
        return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()[:16]
    except (OSError, TypeError):
        code = getattr(obj, "__code__", None)
        if code is not None:
            return hashlib.sha256(code.co_code + repr(code.co_consts).encode()).hexdigest()[:16]
        return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', repr(obj))}"


def _user_code(trial: Trial) -> dict[str, str]:
    """Fingerprints of the registered objects the trial names that do not come with atomlab."""
    from atomlab.data.dataset import datasets
    from atomlab.data.transforms import transforms
    from atomlab.engine.trial_kinds import trial_kinds
    from atomlab.nn import activations, initializers, losses, optimizers, parse_initializer, regularizers

    named: list[tuple[str, Any]] = []
    if trial.data.name in datasets:
        named.append((f"dataset:{trial.data.name}", datasets.get(trial.data.name)))
    named += [(f"transform:{name}", transforms.get(name)) for name, _ in trial.data.transforms if name in transforms]
    if trial.kind != "population" and trial.kind in trial_kinds:
        named.append((f"trial kind:{trial.kind}", trial_kinds.get(trial.kind)))
    m = trial.model
    if isinstance(m, MLPSpec):
        named.append((f"activation:{m.activation}", activations.get(m.activation)))
        for init in {m.init, m.bias_init} - {"same"}:
            name = parse_initializer(init)[0]
            named.append((f"initializer:{name}", initializers.get(name)))
    t = trial.train
    if t is not None:
        named += [(f"loss:{t.loss}", losses.get(t.loss)), (f"optimizer:{t.optimizer}", optimizers.get(t.optimizer))]
        if t.regularizer:
            named.append((f"regularizer:{t.regularizer}", regularizers.get(t.regularizer)))
    return {k: _code_fingerprint(obj) for k, obj in named
            if not str(getattr(obj, "__module__", "") or "").startswith("atomlab")}


def _fmt(v: Any) -> str:
    if isinstance(v, list | tuple):
        return "[" + ",".join(_fmt(x) for x in v) + "]"
    return str(v)
