"""Plugins: a user's module that registers activations, initialisers, losses, optimisers, regularisers or data sets.

A plugin is an ordinary Python file or module whose import registers new building blocks
(``@atomlab.register_activation("snake")`` ...). It is loaded

* from the command line, ``--plugin my_acts.py`` (a file) or ``--plugin my_package.acts`` (a module), or
  ``FILE_OR_MODULE:FUNCTION`` to call a function of it after the import;
* from Python, ``atomlab.compare(..., plugins=["my_acts.py"])`` or :func:`load_plugin`;
* from installed packages, through the entry-point group ``atomlab.plugins``: a package declares
  ``[project.entry-points."atomlab.plugins"] my_acts = "my_package.acts"`` (a module, registered by importing
  it) or ``"my_package.acts:register"`` (a function, called).

A plugin loaded in the parent process is loaded again in every worker process the runner starts (the
runner passes :func:`loaded_plugins` to its workers), so a sweep over a plugin's activation can use every
core. A plugin's whole file enters the cache key of every trial that names one of its entries
(:func:`plugin_fingerprint`, used by :attr:`atomlab.lab.trial.Trial.key`): editing a helper function
the plugin's activation calls retrains, as editing the activation itself does.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atomlab.errors import ConfigError, unknown_choice
from atomlab.registry import Deferred, Registry

#: The entry-point group installed packages declare their plugins in.
ENTRY_POINT_GROUP = "atomlab.plugins"

#: What a plugin may register, by the name ``atomlab list`` uses for it.
KINDS = ("activations", "datasets", "initializers", "losses", "optimizers", "regularizers")


def registries() -> dict[str, Registry]:
    """The registries a plugin may extend, by kind (:data:`KINDS`).

    Examples
    --------
    >>> sorted(registries()) == sorted(KINDS)
    True
    >>> "relu" in registries()["activations"]
    True
    """
    from atomlab.data.dataset import datasets
    from atomlab.nn import activations, initializers, losses, optimizers, regularizers

    return {"activations": activations, "datasets": datasets, "initializers": initializers, "losses": losses,
            "optimizers": optimizers, "regularizers": regularizers}


@dataclass(frozen=True)
class Plugin:
    """A loaded plugin.

    Attributes
    ----------
    spec : str
        As the user gave it (``"my_acts.py"``, ``"my_package.acts:register"``), or ``"entry point NAME"``.
    module : str
        The name it is imported as (a file gets a name of its own, the same in every process).
    path : str or None
        The plugin's file (absolute), when it has one.
    sha256 : str or None
        The digest of that file when it was loaded: what enters the cache key.
    added : dict
        Per kind (:data:`KINDS`), the names the plugin registered.
    """

    spec: str
    module: str
    path: str | None = None
    sha256: str | None = None
    added: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly record (for ``config.json``): enough to load it again and to notice an edit."""
        return {"spec": self.spec, "path": self.path, "sha256": self.sha256,
                "added": {k: list(v) for k, v in self.added.items() if v}}


#: Loaded plugins by spec (a file by its absolute path), in loading order.
_loaded: dict[str, Plugin] = {}
_entry_points_loaded = False


def _digest(path: str | os.PathLike | None) -> str | None:
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _module_name(path: Path) -> str:
    """The name a plugin file is imported under: its stem and a digest of its path (the same in every process).

    Not ``atomlab...``: that prefix marks atomlab's own code, which the cache key covers by version instead of
    by source.
    """
    stem = re.sub(r"\W", "_", path.stem)
    return f"plugin_{stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"


def _snapshot() -> dict[str, dict[str, Any]]:
    """Each registry's entries, deferred ones unresolved (so that a re-registration counts as an addition)."""
    return {kind: reg.snapshot() for kind, reg in registries().items()}


def _split(spec: str) -> tuple[str, str | None]:
    """``"file.py:fn"`` -> ``("file.py", "fn")``; a spec without a trailing ``:identifier`` has no function."""
    head, sep, tail = spec.rpartition(":")
    if sep and tail.isidentifier() and head:
        return head, tail
    return spec, None


def _is_file(target: str) -> bool:
    return target.endswith(".py") or os.sep in target or "/" in target or Path(target).is_file()


def load_plugin(spec: str | os.PathLike) -> Plugin:
    """Load one plugin (a file, a module, or either with ``:FUNCTION``) and return what it registered.

    Loading the same file again re-runs it when it changed since (so a notebook picks up an edit) and
    does nothing otherwise.

    Parameters
    ----------
    spec : str or path
        ``"my_acts.py"`` (a file), ``"my_package.acts"`` (an importable module), or either followed by
        ``":register"`` to call that function after the import.

    Returns
    -------
    Plugin

    Raises
    ------
    ConfigError
        The file or module does not exist or fails to import, the named function is missing or not
        callable, or the plugin registered something that is not callable.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "cube_act.py"
    >>> _ = path.write_text("import atomlab\\n@atomlab.register_activation('cube-plugin-example', overwrite=True)\\n"
    ...                     "def cube(x):\\n    return x ** 3\\n")
    >>> load_plugin(path).added["activations"]
    ['cube-plugin-example']
    >>> load_plugin(str(path) + ":nothing")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: plugin '...cube_act.py:nothing' has no function 'nothing'; it defines: cube
    """
    text = os.fspath(spec)
    target, function = _split(text)
    before = _snapshot()
    if _is_file(target):
        path = Path(target).expanduser().resolve()
        if not path.is_file():
            raise ConfigError(f"plugin {text!r}: no file {str(path)!r} (give a Python file, or an importable module "
                              "name such as my_package.acts)")
        key = str(path) + (f":{function}" if function else "")
        digest = _digest(path)
        known = _loaded.get(key)
        if known is not None and known.sha256 == digest and known.module in sys.modules:
            return known
        name = _module_name(path)
        module_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module  # before exec: pickle and the runner's workers find it by this name
        try:
            module_spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(name, None)
            raise ConfigError(f"plugin {text!r} failed to load: {type(exc).__name__}: {exc}") from exc
        record_path: str | None = str(path)
    else:
        key, digest = text, None
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise ConfigError(f"plugin {text!r} is neither a file nor an importable module ({exc}); give a path "
                              "to a .py file or a module name such as my_package.acts") from exc
        except Exception as exc:
            raise ConfigError(f"plugin {text!r} failed to load: {type(exc).__name__}: {exc}") from exc
        name = module.__name__
        record_path = getattr(module, "__file__", None)
        digest = _digest(record_path)
    if function is not None:
        _call(text, module, function)
    plugin = Plugin(text if not _is_file(target) else key, name, record_path, digest, _added(before, text))
    _loaded[key] = plugin
    return plugin


def _call(text: str, module: Any, function: str) -> None:
    fn = getattr(module, function, None)
    if fn is None:
        defined = sorted(k for k, v in vars(module).items() if callable(v) and getattr(v, "__module__", None)
                         == module.__name__)
        raise ConfigError(f"plugin {text!r} has no function {function!r}; it defines: "
                          f"{', '.join(defined) or 'no functions'}")
    if not callable(fn):
        raise ConfigError(f"plugin {text!r}: {function!r} is a {type(fn).__name__}, not callable; name a function "
                          "that registers the plugin's entries")
    try:
        fn()
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"plugin {text!r}: {function}() failed: {type(exc).__name__}: {exc}") from exc


def _added(before: dict[str, dict[str, Any]], text: str) -> dict[str, list[str]]:
    """What changed in the registries since ``before``; every new entry must be callable.

    An entry is new when its name is, or when it was replaced (a plugin may re-register a name); a
    deferred built-in resolved in the meantime (the plugin called ``get_activation("relu")``) is not.
    """
    added: dict[str, list[str]] = {}
    for kind, reg in registries().items():
        now = reg.snapshot()
        new = [n for n, obj in now.items() if n not in before[kind]
               or (obj is not before[kind][n] and not isinstance(before[kind][n], Deferred))]
        for n in new:
            obj = reg.get(n)
            if not callable(obj):
                raise ConfigError(f"plugin {text!r} registered {reg.kind} {n!r} as a {type(obj).__name__} "
                                  f"({obj!r}), which is not callable; register a function (or a class, for an "
                                  "optimiser)")
        added[kind] = new
    return added


def load_plugins(specs: Iterable[str | os.PathLike]) -> list[Plugin]:
    """Load each of ``specs`` (see :func:`load_plugin`) and the installed entry points; return the former.

    Examples
    --------
    >>> load_plugins([])
    []
    """
    load_entry_points()
    return [load_plugin(s) for s in specs]


def load_entry_points() -> list[Plugin]:
    """Load every plugin installed packages declare in the entry-point group ``atomlab.plugins`` (once).

    An entry point names a module (importing it registers its entries) or a function (called).

    Examples
    --------
    >>> isinstance(load_entry_points(), list)
    True
    """
    global _entry_points_loaded
    if _entry_points_loaded:
        return [p for p in _loaded.values() if p.spec.startswith("entry point ")]
    _entry_points_loaded = True
    found = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        spec = f"entry point {ep.name}"
        before = _snapshot()
        try:
            obj = ep.load()
        except Exception as exc:
            raise ConfigError(f"the {ENTRY_POINT_GROUP} entry point {ep.name!r} ({ep.value}) failed to load: "
                              f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(obj, type(sys)):
            if not callable(obj):
                raise ConfigError(f"the {ENTRY_POINT_GROUP} entry point {ep.name!r} ({ep.value}) is a "
                                  f"{type(obj).__name__}, not a module or a function")
            obj()
        module = obj.__name__ if isinstance(obj, type(sys)) else getattr(obj, "__module__", ep.value)
        path = getattr(sys.modules.get(module), "__file__", None)
        plugin = Plugin(spec, module, path, _digest(path), _added(before, spec))
        _loaded[spec] = plugin
        found.append(plugin)
    return found


def loaded_plugins() -> list[Plugin]:
    """The plugins loaded in this process, in loading order (entry points included).

    Examples
    --------
    >>> all(isinstance(p, Plugin) for p in loaded_plugins())
    True
    """
    return list(_loaded.values())


def load_in_worker(plugins: Iterable[Plugin]) -> None:
    """In a worker process: load the parent's plugins, each from where the parent loaded it."""
    for p in plugins:
        if p.spec.startswith("entry point "):
            load_entry_points()
        else:
            load_plugin(p.spec)


def plugin_fingerprint(module: str | None) -> str | None:
    """The digest of the loaded plugin whose module is ``module`` (None when it is no plugin's).

    Examples
    --------
    >>> plugin_fingerprint("atomlab.nn.activations") is None
    True
    """
    if not module:
        return None
    for p in _loaded.values():
        if p.module == module:
            return p.sha256 or p.module
    return None


def describe_entries(kind: str) -> list[dict[str, Any]]:
    """Every entry registered as ``kind`` (:data:`KINDS`): its name, aliases and where it comes from.

    ``origin`` is ``"built-in"``, ``"plugin SPEC"`` or ``"module NAME"`` (registered by a user's own
    code). For data sets, ``parameters`` lists the generator's parameters with their defaults.

    Examples
    --------
    >>> relu = next(e for e in describe_entries("activations") if e["name"] == "relu")
    >>> relu["origin"]
    'built-in'
    >>> describe_entries("activation")
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: unknown kind of entry 'activation'; did you mean 'activations'? known: activations, \
datasets, initializers, losses, optimizers, regularizers
    """
    regs = registries()
    if kind not in regs:
        raise unknown_choice("kind of entry", kind, KINDS)
    reg = regs[kind]
    out = []
    for name in reg.names():
        module = reg.origin(name)
        owner = next((p for p in _loaded.values() if name in p.added.get(kind, []) or p.module == module), None)
        if owner is not None:
            origin = f"plugin {owner.spec}"
        elif module.split(".")[0] in ("atomlab", "torch"):  # torch: built-ins that name torch's own functions
            origin = "built-in"
        else:
            origin = f"module {module}"
        entry: dict[str, Any] = {"name": name, "aliases": reg.aliases(name), "origin": origin}
        if kind == "datasets":
            entry["parameters"] = dataset_defaults(name)
        out.append(entry)
    return out


def dataset_defaults(name: str) -> dict[str, Any]:
    """The parameters of the data set ``name`` and their defaults (``random_state`` left out; the seed sets it).

    A parameter without a default maps to None.

    Examples
    --------
    >>> dataset_defaults("spirals")
    {'n_train': 400, 'n_test': 400, 'n_classes': 2, 'n_turns': 1.5, 'noise': 0.05}
    """
    import inspect

    from atomlab.data.dataset import datasets

    try:
        signature = inspect.signature(datasets.get(name))
    except (TypeError, ValueError):
        return {}
    return {p.name: (None if p.default is inspect.Parameter.empty else p.default)
            for p in signature.parameters.values()
            if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            and p.name != "random_state"}
