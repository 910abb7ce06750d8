"""A named registry: the one mechanism behind every extensible list in atomlab.

Activations, initialisers, losses, optimisers, regularisers, data sets and experiments are each a
:class:`Registry`. A user extends one with its decorator (``@atomlab.register_activation("mish")``)
and every part of atomlab that takes a name then accepts the new one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from atomlab.errors import ConfigError, unknown_choice

T = TypeVar("T")


class Deferred:
    """An entry named by where it lives (``"torch:relu"``), imported when it is first asked for.

    Built-ins that are library objects (torch's activations) are registered this way, so that
    declaring a model does not import the library.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def resolve(self) -> object:
        module, _, attr = self.path.partition(":")
        obj: object = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj


def _where(obj: object) -> str:
    """Where a registered object was defined, for an error message: ``atomlab.nn.activations.relu``."""
    if isinstance(obj, Deferred):
        return obj.path.replace(":", ".")
    return f"{getattr(obj, '__module__', None) or '?'}.{getattr(obj, '__qualname__', type(obj).__name__)}"


def _same_definition(old: object, new: object) -> bool:
    """``new`` is ``old`` defined again: the same object, or one of the same module and qualified name."""
    if old is new:
        return True
    if isinstance(old, Deferred) or not hasattr(new, "__qualname__"):
        return False
    return _where(old) == _where(new) and not _where(new).startswith("?")


class Registry(Generic[T]):
    """A mapping from names to objects of one kind, with helpful errors.

    Parameters
    ----------
    kind : str
        What the entries are, used in error messages (``"activation"``).
    callables : bool, default True
        Entries must be callable (functions, classes); a registry of declarations says False, and
        lets a name be declared again (a re-run cell redefining an experiment).

    In a registry of callables an existing entry is replaced only with ``overwrite=True``, except by the
    same definition again (a function of the same module and qualified name: a re-run notebook cell, a
    reloaded module), so a user's ``relu`` never silently replaces the built-in one.

    Examples
    --------
    >>> colours = Registry("colour")
    >>> @colours.register("red")
    ... def red():
    ...     return "#f00"
    >>> colours.get("red")()
    '#f00'
    >>> colours.get("rde")
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: unknown colour 'rde'; did you mean 'red'? known: red
    >>> colours.register("red")(lambda: "#e00")
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: colour 'red' is already registered (...red); pass overwrite=True to replace it
    >>> colours.add("blue", "#00f")
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: registered colour 'blue' must be callable (a function or a class), got '#00f' (str)
    """

    def __init__(self, kind: str, *, callables: bool = True) -> None:
        self.kind = kind
        self.callables = callables
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, *aliases: str, overwrite: bool = False) -> Callable[[T], T]:
        """Return a decorator that registers its argument under ``name`` (and ``aliases``)."""
        if not isinstance(name, str) or not name:
            raise ConfigError(f"a {self.kind} name must be a non-empty string, got {name!r}")

        def decorator(obj: T) -> T:
            if self.callables and not callable(obj) and not isinstance(obj, Deferred):
                raise ConfigError(f"registered {self.kind} {name!r} must be callable (a function or a class), "
                                  f"got {obj!r} ({type(obj).__name__})")
            for key in (name, *aliases):
                if overwrite or key not in self:
                    continue
                current = self._entries.get(self.canonical(key))
                # a registry of declarations (experiments) lets a name be declared again, as a re-run cell does
                if self.canonical(key) != name or self.callables and not _same_definition(current, obj):
                    raise ConfigError(f"{self.kind} '{key}' is already registered ({_where(current)}); pass "
                                      "overwrite=True to replace it")
            self._entries[name] = obj
            for alias in aliases:
                self._aliases[alias] = name
            return obj

        return decorator

    def add(self, name: str, obj: T, *aliases: str, overwrite: bool = False) -> T:
        """Register ``obj`` under ``name`` directly (the non-decorator form)."""
        return self.register(name, *aliases, overwrite=overwrite)(obj)

    def add_deferred(self, name: str, path: str, *aliases: str) -> None:
        """Register the object at ``path`` (``"module:attribute"``) under ``name``, importing it on first :meth:`get`.

        Examples
        --------
        >>> fns = Registry("function")
        >>> fns.add_deferred("hypot", "math:hypot")
        >>> "hypot" in fns, fns.get("hypot")(3, 4)
        (True, 5.0)
        """
        self.register(name, *aliases)(Deferred(path))  # type: ignore[arg-type]

    def canonical(self, name: str) -> str:
        """Resolve an alias to its canonical name, raising a helpful error for unknown names."""
        key = name.lower() if isinstance(name, str) else name
        if key in self._entries:
            return key
        if key in self._aliases:
            return self._aliases[key]
        if name in self._entries:
            return name
        raise unknown_choice(self.kind, name, self.names(include_aliases=True))

    def get(self, name: str) -> T:
        """Return the entry called ``name`` (or one of its aliases)."""
        key = self.canonical(name)
        entry = self._entries[key]
        if isinstance(entry, Deferred):
            entry = self._entries[key] = entry.resolve()  # type: ignore[assignment]
        return entry

    def aliases(self, name: str) -> list[str]:
        """The aliases of the entry ``name`` (its canonical name or one of its aliases), sorted.

        Examples
        --------
        >>> fns = Registry("function")
        >>> fns.add_deferred("hypot", "math:hypot", "norm2")
        >>> fns.aliases("hypot"), fns.aliases("norm2")
        (['norm2'], ['norm2'])
        """
        key = self.canonical(name)
        return sorted(a for a, target in self._aliases.items() if target == key)

    def snapshot(self) -> dict[str, T]:
        """A copy of the entries by canonical name, deferred ones unresolved (to see what a later import adds).

        Examples
        --------
        >>> fns = Registry("function")
        >>> _ = fns.add("one", lambda: 1)
        >>> list(fns.snapshot())
        ['one']
        """
        return dict(self._entries)

    def origin(self, name: str) -> str:
        """The module that defines the entry ``name``, read without importing a deferred entry.

        Examples
        --------
        >>> fns = Registry("function")
        >>> fns.add_deferred("hypot", "math:hypot")
        >>> fns.origin("hypot")
        'math'
        """
        entry = self._entries[self.canonical(name)]
        if isinstance(entry, Deferred):
            return entry.path.partition(":")[0]
        return str(getattr(entry, "__module__", None) or type(entry).__module__)

    def names(self, *, include_aliases: bool = False) -> list[str]:
        """The registered names, sorted; aliases too when asked."""
        names = list(self._entries)
        if include_aliases:
            names += list(self._aliases)
        return sorted(names)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        keys = (name, name.lower())
        return any(k in self._entries or k in self._aliases for k in keys)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"
