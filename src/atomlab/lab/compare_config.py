"""The configuration of a comparison: every setting resolved, validated before any training, written as JSON.

:func:`resolve_config` turns what a user asked for (a data set, the factors to vary and their levels,
fixed settings of the model and the recipe) into the full configuration of the run: every field of
:class:`~atomlab.nn.MLPSpec` and :class:`~atomlab.engine.TrainSpec` and every parameter of the data set,
defaults included, so that ``config.json`` alone reproduces the run even if a default changes later
(``atomlab compare --config DIR/config.json``). :func:`make_trial` turns that configuration, an arm's
levels and a seed into a :class:`~atomlab.lab.trial.Trial`.

Layout of the configuration (JSON)::

    {"atomlab_compare": 1, "name": "snake", "factors": {"activation": "model"},
     "activation": ["relu", "tanh", "snake"],           # each factor's levels, under its own name
     "dataset": {"name": "spirals", "n_train": 400, ...}, "data_seed": 0,
     "model": {"layers": [10, 10], "init": "xavier", ...},   # every MLPSpec field not varied
     "train": {"optimizer": "adam", "lr": 0.01, "steps": 3000, ...},   # every TrainSpec field not varied
     "metric": "test_acc", "hypothesis": ["snake > relu"], "plugins": [...], "seeds": 10, "seed": 0}

A factor's *role* says what it sets: ``model`` / ``train`` (a field of the spec), ``data`` (a parameter
of the data set), ``dataset`` (the data set itself; its levels are names, each with its resolved
parameters under ``dataset_levels``), or ``width`` / ``depth`` (every hidden layer's width, the number
of hidden layers: shorthands for ``layers``).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

from atomlab.engine.spec import TrainSpec
from atomlab.errors import ConfigError, unknown_choice
from atomlab.lab.data import materialize
from atomlab.lab.experiment import coerce
from atomlab.lab.trial import DataSpec, Trial
from atomlab.nn.spec import MLPSpec

#: The version of the configuration's layout, written as ``atomlab_compare``.
SCHEMA = 1
#: The recipe of a comparison where the user sets nothing: Adam, batches of 64 (TrainSpec's defaults) at a
#: learning rate of 0.01 for 1,000 steps. TrainSpec's own 0.003 for 500 steps left tanh on spirals at 67 %
#: training accuracy (the issue that made comparisons first-class); every value is shown in the report.
DEFAULT_TRAIN = {"steps": 1000, "lr": 0.01}
#: Points per side of the mesh a 2-D classifier is drawn on (the decision surfaces of the report).
GRID = 60
#: Names of the factor that varies the data set itself.
DATASET_KEYS = ("data", "dataset", "name", "data.name")
#: Shorthands for the hidden layers: every layer's width, the number of layers.
SHAPE_KEYS = ("width", "depth")
#: Top-level keys of the configuration: a factor may not take one of these names.
META_KEYS = ("atomlab_compare", "name", "factors", "dataset", "dataset_levels", "data_seed", "model", "train",
             "metric", "hypothesis", "plugins", "seeds", "seed", "scale", "seeds_rule", "seeds_alpha")
#: What each task records, and so what a comparison may compare.
TASK_METRICS = {"classification": ("test_acc", "train_acc", "test_loss", "train_loss"),
                "regression": ("test_mse", "train_mse", "test_loss", "train_loss")}

MODEL_FIELDS = tuple(f.name for f in dataclasses.fields(MLPSpec))
TRAIN_FIELDS = tuple(f.name for f in dataclasses.fields(TrainSpec))


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory()  # type: ignore[misc]


def _plain(v: Any) -> Any:
    """``v`` as JSON would give it back (tuples as lists), or a ConfigError for what JSON cannot hold."""
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ConfigError(f"{v!r} cannot be written to config.json; give a finite number")
        return v
    if hasattr(v, "item") and callable(v.item):  # numpy scalars
        return _plain(v.item())
    raise ConfigError(f"{v!r} ({type(v).__name__}) cannot be written to config.json, so the run could not be "
                      "reproduced from its files; register it under a name (atomlab.register_activation, "
                      "register_dataset ...) and give the name")


def _jsonable(v: Any) -> bool:
    try:
        _plain(v)
    except ConfigError:
        return False
    return True


def dataset_params(name: str) -> tuple[dict[str, Any], list[str]]:
    """The data set's parameters with JSON-able defaults, and the names of those it requires."""
    import inspect

    from atomlab.data.dataset import datasets

    try:
        signature = inspect.signature(datasets.get(name))
    except (TypeError, ValueError):
        return {}, []
    defaults, required = {}, []
    for p in signature.parameters.values():
        if p.name == "random_state" or p.kind not in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD):
            continue
        if p.default is p.empty:
            required.append(p.name)
        elif _jsonable(p.default):
            defaults[p.name] = _plain(p.default)
    return defaults, required


def _accepts(name: str) -> list[str] | None:
    """The parameters data set ``name`` takes (None: any)."""
    from atomlab.data.dataset import dataset_parameters, datasets

    accepted = dataset_parameters(datasets.get(name))
    return None if accepted is None else [p for p in accepted if p != "random_state"]


def _coerce_level(key: str, value: Any, default: Any) -> Any:
    if isinstance(value, str) and value.strip() in ("None", "none", "null") and not isinstance(default, str):
        return None  # batch_size=None (full batch), grid=None (no surfaces) from the command line
    if isinstance(value, str) and not isinstance(default, str):
        return coerce(key, value, default)
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # lr=1 and lr=1.0 are one recipe: one cache key
    return value


def _split_role(key: str, data_names: Sequence[str]) -> tuple[str, str]:
    """``(role, factor name)`` of a key of ``vary`` (see the module notes)."""
    if key in DATASET_KEYS:
        return "dataset", "data"
    if key in SHAPE_KEYS:
        return key, key
    head, dot, tail = key.partition(".")
    if dot and head in ("model", "train", "data"):
        allowed = {"model": MODEL_FIELDS, "train": TRAIN_FIELDS}.get(head)
        if allowed is not None and tail not in allowed:
            raise unknown_choice(f"{head} setting", tail, allowed)
        if head == "data":
            _check_data_param(tail, data_names)
        return head, tail
    in_model, in_train = key in MODEL_FIELDS, key in TRAIN_FIELDS
    in_data = all(_takes(n, key) for n in data_names)
    if (in_model or in_train) and in_data:
        where = "model" if in_model else "train"
        raise ConfigError(f"{key!r} is both a {where} setting and a parameter of the data set; write {where}.{key} "
                          f"or data.{key}")
    if in_model:
        return "model", key
    if in_train:
        return "train", key
    if in_data:
        return "data", key
    known = {*MODEL_FIELDS, *TRAIN_FIELDS, "data", *SHAPE_KEYS}
    for n in data_names:
        known |= set(_accepts(n) or [])
    raise unknown_choice("factor", key, sorted(known))


def _takes(name: str, param: str) -> bool:
    accepted = _accepts(name)
    return accepted is None or param in accepted


def _check_data_param(param: str, data_names: Sequence[str]) -> None:
    for n in data_names:
        accepted = _accepts(n)
        if accepted is not None and param not in accepted:
            message = str(unknown_choice("parameter", param, accepted))
            raise ConfigError(f"data set '{n}' has no {message[len('unknown '):]}")


def _levels(key: str, levels: Any) -> list[Any]:
    if isinstance(levels, str) or not isinstance(levels, Sequence) or isinstance(levels, bytes):
        raise ConfigError(f"vary[{key!r}] must be a list of levels, e.g. vary={{{key!r}: [a, b]}}; got {levels!r}")
    if len(levels) == 0:
        raise ConfigError(f"vary[{key!r}] has no levels; give at least one, e.g. vary={{{key!r}: [a, b]}}")
    return list(levels)


def _layers(value: Any, what: str) -> list[int]:
    items = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    try:
        widths = [int(w) for w in items]
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be a list of positive layer widths such as [10, 10], got {value!r}") from None
    if any(w <= 0 or w != float(x) for w, x in zip(widths, items)):
        raise ConfigError(f"{what} must be a list of positive layer widths such as [10, 10], got {value!r}")
    return widths


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, str):
        value = coerce(what, value, 1)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{what} must be a positive whole number, got {value!r}")
    return value


def resolve_config(*, data: str | Mapping[str, Any], vary: Mapping[str, Sequence[Any]],
                   model: Mapping[str, Any] | None = None, train: Mapping[str, Any] | None = None,
                   seeds: int | str = 5, seed: int = 0, metric: str | None = None,
                   hypothesis: str | Sequence[str] | None = None, plugins: Sequence[dict[str, Any]] = (),
                   data_seed: int | None = 0, name: str | None = None) -> dict[str, Any]:
    """The full configuration of a comparison (see the module notes), every value checked.

    Raises a :class:`~atomlab.errors.ConfigError` naming the bad value and the allowed ones for an unknown
    data set, parameter, factor, setting, metric or arm, an empty list of levels, a single arm, or a
    hypothesis it cannot read.

    Examples
    --------
    >>> cfg = resolve_config(data="moons", vary={"activation": ["relu", "tanh"]}, train={"steps": 50})
    >>> cfg["factors"], cfg["activation"], cfg["train"]["steps"], cfg["train"]["optimizer"], cfg["dataset"]
    ({'activation': 'model'}, ['relu', 'tanh'], 50, 'adam', {'name': 'moons', 'n_train': 200, 'n_test': 200, \
'noise': 0.2})
    >>> "activation" in cfg["model"]  # a varied setting lives in its factor, not in the fixed settings
    False
    >>> resolve_config(data="moons", vary={"activaton": ["relu", "tanh"]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: unknown factor 'activaton'; did you mean 'activation'? known: ...
    """
    from atomlab.data.dataset import datasets

    if not isinstance(vary, Mapping) or not vary:
        raise ConfigError("a comparison needs at least one factor to vary, e.g. vary={'activation': ['relu', "
                          "'tanh']} (--vary activation=relu,tanh)")
    if isinstance(data, str):
        data = {"name": data}
    if not isinstance(data, Mapping) or "name" not in data:
        raise ConfigError(f"data must be a data set name or a dict with its 'name' and parameters, got {data!r}")
    data = dict(data)
    base_name = datasets.canonical(str(data.pop("name")))

    # --- factors and their levels ------------------------------------------------------------------
    raw = {str(k): _levels(str(k), v) for k, v in vary.items()}
    data_key = next((k for k in raw if k in DATASET_KEYS), None)
    if sum(k in DATASET_KEYS for k in raw) > 1:
        raise ConfigError(f"the data set is varied twice ({', '.join(k for k in raw if k in DATASET_KEYS)}); "
                          "give one of them")
    data_names = [datasets.canonical(str(n)) for n in raw[data_key]] if data_key else [base_name]
    roles: dict[str, str] = {}
    levels: dict[str, list[Any]] = {}
    for key, values in raw.items():
        role, factor = _split_role(key, data_names)
        if factor in roles:
            raise ConfigError(f"factor {factor!r} is varied twice; give its levels once")
        if factor in META_KEYS:
            raise ConfigError(f"{factor!r} cannot be a factor of a comparison (its configuration uses the name "
                              f"for itself); the names it keeps are {', '.join(META_KEYS)}")
        roles[factor] = role
        if role == "dataset":
            values = data_names
        elif role == "model":
            default = _default(next(f for f in dataclasses.fields(MLPSpec) if f.name == factor))
            values = ([_layers(coerce(factor, v, [1]) if isinstance(v, str) else v, f"a level of {factor}")
                       for v in values] if factor == "layers" else [_coerce_level(factor, v, default) for v in values])
        elif role == "train":
            default = _default(next(f for f in dataclasses.fields(TrainSpec) if f.name == factor))
            values = [_coerce_level(factor, v, default) for v in values]
        elif role in SHAPE_KEYS:
            values = [_positive_int(v, f"a level of {factor}") for v in values]
        else:
            default = dataset_params(data_names[0])[0].get(factor)
            values = [_coerce_level(factor, v, default) for v in values]
        values = [_plain(v) for v in values]
        seen: list[Any] = []
        for v in values:
            if v in seen:
                raise ConfigError(f"factor {factor!r} lists the level {v!r} twice")
            seen.append(v)
        levels[factor] = values
    if "layers" in roles and set(roles) & set(SHAPE_KEYS):
        raise ConfigError("vary either layers or width/depth (shorthands for layers), not both")
    if math.prod(len(v) for v in levels.values()) < 2:
        raise ConfigError(f"nothing to compare: {', '.join(f'{k}={v[0]!r}' for k, v in levels.items())} is one "
                          "arm; give a factor two levels or more")

    # --- the fixed settings, defaults included ------------------------------------------------------
    model_block = {f.name: _default(f) for f in dataclasses.fields(MLPSpec)}
    for key, value in (model or {}).items():
        if key not in MODEL_FIELDS:
            raise unknown_choice("model setting", key, MODEL_FIELDS)
        model_block[key] = _coerce_level(key, value, model_block[key])
    model_block["layers"] = _layers(model_block["layers"], "model layers")
    train_block = {f.name: _default(f) for f in dataclasses.fields(TrainSpec)}
    given_train = dict(train or {})
    for key in given_train:
        if key not in TRAIN_FIELDS:
            raise unknown_choice("train setting", key, TRAIN_FIELDS)
    train_block.update(DEFAULT_TRAIN)
    if ("epochs" in given_train or "epochs" in roles) and "steps" not in given_train and "steps" not in roles:
        train_block["steps"] = None  # epochs given: the default length in steps no longer applies
    for key, value in given_train.items():
        train_block[key] = _coerce_level(key, value, train_block[key])

    fixed_data = {}
    for key, value in data.items():
        _check_data_param(key, data_names)
        fixed_data[key] = value
    resolved_levels: dict[str, dict[str, Any]] = {}
    for n in data_names:
        defaults, required = dataset_params(n)
        params = {**defaults}
        for key, value in fixed_data.items():
            params[key] = _coerce_level(key, value, defaults.get(key))
        missing = [r for r in required if r not in params and r not in roles]
        if missing:
            raise ConfigError(f"data set '{n}' needs the parameter(s) {', '.join(missing)}; give them in data, e.g. "
                              f"data={{'name': '{n}', '{missing[0]}': ...}}")
        resolved_levels[n] = {k: _plain(v) for k, v in params.items()
                              if not (k in roles and roles[k] == "data")}

    for factor, role in roles.items():  # a varied setting lives in its factor only
        if role in ("model", "train"):
            (model_block if role == "model" else train_block).pop(factor, None)
    if set(roles) & set(SHAPE_KEYS):
        model_block["layers"] = model_block["layers"] or [10]

    cfg: dict[str, Any] = {"atomlab_compare": SCHEMA, "factors": roles, **levels}
    if data_key:
        cfg["dataset"] = {k: _plain(v) for k, v in fixed_data.items()}
        cfg["dataset_levels"] = resolved_levels
    else:
        cfg["dataset"] = {"name": base_name, **resolved_levels[base_name]}
    if data_seed is not None:
        data_seed = _seed(data_seed, "data_seed")
    cfg.update({"data_seed": data_seed, "model": _plain(model_block), "train": _plain(train_block)})

    # --- what the data are: the metric, and whether decision surfaces can be drawn ---------------------
    seed = _seed(seed, "seed")
    tasks, two_d = set(), True
    first_levels = {f: levels[f][0] for f, role in roles.items() if role == "data"}
    for n in data_names:
        spec = _data_spec(cfg, n, first_levels, seed)
        try:
            built = materialize(spec)
        except ConfigError:
            raise
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"data set {n!r} with {spec.params}: {exc}") from exc
        tasks.add(built.task)
        two_d &= built.input_dim == 2 and built.task == "classification"
    if len(tasks) > 1:
        raise ConfigError(f"the data sets {', '.join(data_names)} mix classification and regression; compare data "
                          "sets of one task")
    task = tasks.pop()
    if "grid" not in given_train and "grid" not in roles:
        cfg["train"]["grid"] = GRID if two_d else None
    if task == "regression" and "loss" not in given_train and "loss" not in roles:
        cfg["train"]["loss"] = "mse"  # the recipe's default, cross-entropy, needs class labels
    allowed = TASK_METRICS[task]
    metric = metric or allowed[0]
    if metric not in allowed:
        raise unknown_choice(f"metric for {task} data", metric, allowed)
    hypotheses = [hypothesis] if isinstance(hypothesis, str) else list(hypothesis or [])
    from atomlab.lab.hypothesis import parse_hypothesis

    for h in hypotheses:
        parse_hypothesis(h, levels, metric, metrics=allowed)  # read now: a typo costs no training
    cfg.update({"metric": metric, "hypothesis": hypotheses, "plugins": [dict(p) for p in plugins],
                "seeds": _positive_int(seeds, "seeds"), "seed": seed})
    cfg["name"] = name or default_name(cfg)

    # every arm's specs are built once now, so a bad value is named before any training
    for combo in itertools.product(*levels.values()):
        arm = dict(zip(levels, combo))
        try:
            make_trial(cfg, arm, seed)
        except ConfigError as exc:
            # a name atomlab does not know may be the user's own: say how to bring it in
            hint = ("; an entry of your own? register it in a plugin file and load it (--plugin FILE, "
                    "plugins=[FILE])") if str(exc).startswith("unknown ") else ""
            raise ConfigError(f"arm {', '.join(f'{k}={v}' for k, v in arm.items())}: {exc}{hint}") from exc
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"arm {', '.join(f'{k}={v}' for k, v in arm.items())}: {exc}") from exc
    return cfg


def _seed(value: Any, what: str) -> int:
    if isinstance(value, str):
        value = coerce(what, value, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{what} must be a whole number >= 0, got {value!r}")
    return value


def default_name(cfg: Mapping[str, Any]) -> str:
    """``compare-activation-spirals``: the factors and the data set, for the run's name and folder.

    Examples
    --------
    >>> default_name({"factors": {"activation": "model", "lr": "train"}, "dataset": {"name": "moons"}})
    'compare-activation-lr-moons'
    """
    data = cfg["dataset"].get("name", "data-sets")
    return "-".join(["compare", *cfg["factors"], str(data)])


def _data_spec(cfg: Mapping[str, Any], name: str, levels: Mapping[str, Any], seed: int) -> DataSpec:
    if "dataset_levels" in cfg:
        params = dict(cfg["dataset_levels"][name])
    else:
        params = {k: v for k, v in cfg["dataset"].items() if k != "name"}
    for factor, role in cfg["factors"].items():
        if role == "data" and factor in levels:
            params[factor] = levels[factor]
    data_seed = cfg.get("data_seed")
    return DataSpec(name, params, seed if data_seed is None else int(data_seed))


def make_trial(cfg: Mapping[str, Any], levels: Mapping[str, Any], seed: int) -> Trial:
    """The trial of the arm ``levels`` and ``seed`` under the configuration ``cfg``.

    Examples
    --------
    >>> cfg = resolve_config(data="moons", vary={"width": [4, 8]}, model={"layers": [10, 10]},
    ...                      train={"steps": 20})
    >>> make_trial(cfg, {"width": 8}, seed=3).model.layers
    (8, 8)
    """
    model = dict(cfg["model"])
    train = dict(cfg["train"])
    roles = cfg["factors"]
    for factor, value in levels.items():
        role = roles[factor]
        if role == "model":
            model[factor] = value
        elif role == "train":
            train[factor] = value
    layers = list(model["layers"])
    if "width" in levels or "depth" in levels:
        width = levels.get("width", layers[0] if layers else 10)
        depth = levels.get("depth", len(layers))
        layers = [width] * depth
    model["layers"] = tuple(layers)
    name = levels.get("data", cfg["dataset"].get("name"))
    return Trial(dict(levels), seed, _data_spec(cfg, name, levels, seed), MLPSpec(**model), TrainSpec(**train))
