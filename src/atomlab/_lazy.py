"""Modules imported on first use, so that declaring an experiment (``atomlab list``) loads neither torch nor matplotlib.

The standard library's :class:`importlib.util.LazyLoader` puts a placeholder in ``sys.modules`` and
imports a submodule's parent package at once (``matplotlib`` for ``matplotlib.pyplot``); a
:class:`LazyModule` does neither: nothing is imported until an attribute is read.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any


class LazyModule:
    """A stand-in for the module ``name``: the first attribute read imports it (after ``before()``).

    Parameters
    ----------
    name : str
        The module to import, e.g. ``"matplotlib.pyplot"``.
    before : callable, optional
        Called once, just before the import (to choose matplotlib's backend, say).

    Examples
    --------
    >>> import sys
    >>> fractions = LazyModule("fractions")
    >>> fractions.Fraction(1, 3) + fractions.Fraction(1, 6)
    Fraction(1, 2)
    >>> "fractions" in sys.modules
    True
    """

    def __init__(self, name: str, before: Callable[[], None] | None = None) -> None:
        self._name = name
        self._before = before
        self._module: ModuleType | None = None

    def _load(self) -> ModuleType:
        if self._module is None:
            if self._before is not None:
                self._before()
            self._module = importlib.import_module(self._name)
        return self._module

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):  # doctest, pickle and inspect probe dunders: do not import for them
            raise AttributeError(attr)
        value = getattr(self._load(), attr)
        # Kept on the stand-in, so the next read is an ordinary attribute lookup (no __getattr__ call):
        # code that reads torch.xxx in a training loop pays for the indirection once.
        self.__dict__[attr] = value
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r} ({'loaded' if self._module else 'not loaded'})>"


def _agg_backend() -> None:
    # Figures are written to files, often from worker threads or processes: never open a window.
    import matplotlib

    matplotlib.use("Agg")


#: ``torch``, imported when first used (a model built, a tensor made).
torch = LazyModule("torch")
#: ``matplotlib.pyplot`` with the Agg backend, imported when a figure is first drawn.
pyplot = LazyModule("matplotlib.pyplot", before=_agg_backend)


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` (PEP 562): each exported name imported from its module on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__`` (for the error message).
    exports : dict of str to str
        Exported name -> the module that defines it.

    Examples
    --------
    >>> getattr_, dir_ = lazy_exports("demo", {"Fraction": "fractions"})
    >>> getattr_("Fraction")(2, 4)
    Fraction(1, 2)
    >>> "Fraction" in dir_()
    True
    """

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name]), name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
