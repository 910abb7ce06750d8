"""Materialising data specs: a registered generator followed by registered transforms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from atomlab.data import dataset as _ds
from atomlab.lab.trial import DataSpec
from atomlab.nn.seeding import stream_seed
from atomlab.registry import Registry

#: Transforms usable in a :class:`DataSpec`: ``f(dataset, **params) -> dataset``.
transforms: Registry[Callable[..., Any]] = Registry("transform")


def _register_builtin_transforms() -> None:
    from atomlab.data import transforms as t

    for name in ("imbalance", "oversample_minority", "random_labels", "add_dummy_dimensions", "pca",
                 "standardize"):
        if hasattr(t, name) and name not in transforms:
            transforms.add(name, getattr(t, name))


_cache: dict[str, Any] = {}


def materialize(spec: DataSpec) -> _ds.Dataset:
    """Build the data set of ``spec`` (memoised within the process: equal specs share one object)."""
    key = spec.key
    if key in _cache:
        return _cache[key]
    _register_builtin_transforms()
    data = _ds.make_dataset(spec.name, random_state=spec.seed, **spec.params)
    for i, (name, params) in enumerate(spec.transforms):
        fn = transforms.get(name)
        kwargs = dict(params)
        if "random_state" in fn.__code__.co_varnames[: fn.__code__.co_argcount + fn.__code__.co_kwonlyargcount]:
            kwargs.setdefault("random_state", stream_seed(spec.seed * 1000 + i, "dataset") % (2**31))
        data = fn(data, **kwargs)
    if len(_cache) > 256:
        _cache.clear()
    _cache[key] = data
    return data
