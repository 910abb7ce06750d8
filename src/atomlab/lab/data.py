"""Materialising data specs: a registered generator followed by registered transforms."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

from atomlab.data import dataset as _ds
from atomlab.data.transforms import transforms  # the registry, re-exported: DataSpecs name its entries
from atomlab.lab.trial import DataSpec
from atomlab.nn.seeding import stream_seed

__all__ = ["materialize", "transforms"]

#: Materialised data sets by spec key, least recently used first. Prefixes are kept too (the spec with its
#: first k transforms), so arms that share a generator and its first transforms build them once:
#: pca-dummy-dimensions' four PCA settings share each 2,000-dimensional rotation (measured: the rotations
#: were half of that entry's time).
_cache: OrderedDict[str, _ds.Dataset] = OrderedDict()
#: At most this many bytes of arrays stay in the cache (MNIST is about 200 MB).
CACHE_BYTES = 1 << 30


def _nbytes(data: _ds.Dataset) -> int:
    return sum(getattr(a, "nbytes", 0) for a in (data.X_train, data.y_train, data.X_test, data.y_test))


def _remember(key: str, data: _ds.Dataset) -> None:
    _cache[key] = data
    total = sum(_nbytes(d) for d in _cache.values())
    while len(_cache) > 1 and total > CACHE_BYTES:
        _, dropped = _cache.popitem(last=False)
        total -= _nbytes(dropped)


def materialize(spec: DataSpec) -> _ds.Dataset:
    """Build the data set of ``spec`` (memoised within the process: equal specs share one object).

    Each transform's ``random_state`` derives from the spec's seed and the transform's position, so
    the spec with its first k transforms is a prefix whose data set can be shared.

    Examples
    --------
    >>> spec = DataSpec("moons", {"n_train": 50, "n_test": 10}, seed=3,
    ...                 transforms=(("random_labels", {"fraction": 0.5}),))
    >>> materialize(spec) is materialize(spec)
    True
    >>> plain = materialize(DataSpec("moons", {"n_train": 50, "n_test": 10}, seed=3))
    >>> bool((plain.X_train == materialize(spec).X_train).all())
    True
    """
    key = spec.key
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    if spec.transforms:
        i = len(spec.transforms) - 1
        name, params = spec.transforms[i]
        data = materialize(dataclasses.replace(spec, transforms=spec.transforms[:i]))
        fn = transforms.get(name)
        kwargs = dict(params)
        if "random_state" in fn.__code__.co_varnames[: fn.__code__.co_argcount + fn.__code__.co_kwonlyargcount]:
            kwargs.setdefault("random_state", stream_seed(spec.seed * 1000 + i, "dataset") % (2**31))
        data = fn(data, **kwargs)
    else:
        data = _ds.make_dataset(spec.name, random_state=spec.seed, **spec.params)
    _remember(key, data)
    return data
