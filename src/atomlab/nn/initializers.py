"""Initialisers: a registry of functions that draw a weight matrix from an explicit generator.

An initialiser is called as ``init(shape, fan_in=..., fan_out=..., generator=..., **params)`` and
returns a float64 tensor of ``shape``. It never touches global random state: every member of a
population draws from its own ``torch.Generator`` seeded by its trial, so a model's weights do not
depend on which other models it trains beside.

A spec names an initialiser as a string, optionally with arguments: ``"xavier"``,
``"normal(0.01)"``, ``"normal(std=1)"``, ``"uniform(a=0.05)"``.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from typing import Any

from atomlab._lazy import torch  # imported when weights are first drawn, not when a model is declared
from atomlab.errors import ConfigError
from atomlab.registry import Registry

#: ``f(shape, *, generator, fan_in, fan_out) -> tensor``.
Initializer = Callable[..., Any]

#: Registered initialisers, by name.
initializers: Registry[Initializer] = Registry("initializer")


def register_initializer(name: str, *aliases: str, overwrite: bool = False):
    """Register ``init(shape, *, fan_in, fan_out, generator, **params) -> Tensor`` under ``name``.

    Examples
    --------
    >>> import torch
    >>> @register_initializer("half-doc-example", overwrite=True)
    ... def half(shape, *, fan_in, fan_out, generator):
    ...     return torch.full(shape, 0.5, dtype=torch.float64)
    >>> make_weights("half-doc-example", (2, 3), seed=0).sum().item()
    3.0
    """
    return initializers.register(name, *aliases, overwrite=overwrite)


def _rand(shape, generator):
    return torch.rand(shape, generator=generator, dtype=torch.float64)


def _randn(shape, generator):
    return torch.randn(shape, generator=generator, dtype=torch.float64)


@register_initializer("xavier_uniform", "xavier", "glorot", "glorot_uniform")
def xavier_uniform(shape, *, fan_in, fan_out, generator, gain: float = 1.0):
    """Glorot & Bengio (2010): U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> w = xavier_uniform((4, 3), fan_in=4, fan_out=3, generator=g)
    >>> bool((w.abs() <= (6 / 7) ** 0.5).all()), w.dtype
    (True, torch.float64)
    """
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return (2 * _rand(shape, generator) - 1) * a


@register_initializer("xavier_normal", "glorot_normal")
def xavier_normal(shape, *, fan_in, fan_out, generator, gain: float = 1.0):
    """Glorot normal: N(0, gain^2 * 2 / (fan_in + fan_out)).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> w = xavier_normal((200, 200), fan_in=200, fan_out=200, generator=g)
    >>> round(w.std().item(), 2)  # sqrt(2 / 400) = 0.0707
    0.07
    """
    return _randn(shape, generator) * gain * math.sqrt(2.0 / (fan_in + fan_out))


@register_initializer("he_uniform", "kaiming_uniform")
def he_uniform(shape, *, fan_in, fan_out, generator):
    """He et al. (2015) uniform: U(-a, a) with a = sqrt(6 / fan_in).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> w = he_uniform((6, 2), fan_in=6, fan_out=2, generator=g)
    >>> bool((w.abs() <= 1.0).all())  # a = sqrt(6 / 6)
    True
    """
    return (2 * _rand(shape, generator) - 1) * math.sqrt(6.0 / fan_in)


@register_initializer("he_normal", "kaiming_normal", "he", "kaiming")
def he_normal(shape, *, fan_in, fan_out, generator):
    """He normal: N(0, 2 / fan_in).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> w = he_normal((50, 400), fan_in=50, fan_out=400, generator=g)
    >>> round(w.std().item(), 1)  # sqrt(2 / 50) = 0.2
    0.2
    """
    return _randn(shape, generator) * math.sqrt(2.0 / fan_in)


@register_initializer("lecun_normal", "lecun")
def lecun_normal(shape, *, fan_in, fan_out, generator):
    """LeCun normal: N(0, 1 / fan_in).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> w = lecun_normal((100, 400), fan_in=100, fan_out=400, generator=g)
    >>> round(w.std().item(), 1)  # sqrt(1 / 100)
    0.1
    """
    return _randn(shape, generator) * math.sqrt(1.0 / fan_in)


@register_initializer("lecun_uniform")
def lecun_uniform(shape, *, fan_in, fan_out, generator):
    """LeCun uniform: U(-a, a) with a = sqrt(3 / fan_in).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> w = lecun_uniform((3, 5), fan_in=3, fan_out=5, generator=g)
    >>> bool((w.abs() <= 1.0).all())  # a = sqrt(3 / 3)
    True
    """
    return (2 * _rand(shape, generator) - 1) * math.sqrt(3.0 / fan_in)


@register_initializer("zeros", "zero")
def zeros(shape, *, fan_in, fan_out, generator):
    """All zeros: every unit of a layer starts identical (see the zero-initialisation experiments).

    Examples
    --------
    >>> zeros((2, 2), fan_in=2, fan_out=2, generator=None).tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    """
    return torch.zeros(shape, dtype=torch.float64)


@register_initializer("ones", "one")
def ones(shape, *, fan_in, fan_out, generator):
    """All ones.

    Examples
    --------
    >>> ones((1, 3), fan_in=1, fan_out=3, generator=None).tolist()
    [[1.0, 1.0, 1.0]]
    """
    return torch.ones(shape, dtype=torch.float64)


@register_initializer("constant")
def constant(shape, *, fan_in, fan_out, generator, value: float = 0.0):
    """Every entry equal to ``value``.

    Examples
    --------
    >>> constant((1, 2), fan_in=1, fan_out=2, generator=None, value=0.5).tolist()
    [[0.5, 0.5]]
    >>> make_weights("constant(0.25)", (1, 2)).tolist()
    [[0.25, 0.25]]
    """
    return torch.full(shape, float(value), dtype=torch.float64)


@register_initializer("normal", "gaussian")
def normal(shape, *, fan_in, fan_out, generator, std: float = 1.0, mean: float = 0.0):
    """N(mean, std^2), independent of the fan: ``normal(0.01)`` is the source's small random init.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> w = normal((200, 200), fan_in=200, fan_out=200, generator=g, std=0.01)
    >>> round(w.std().item(), 3)
    0.01
    """
    return _randn(shape, generator) * std + mean


@register_initializer("uniform")
def uniform(shape, *, fan_in, fan_out, generator, a: float = 0.05):
    """U(-a, a), independent of the fan.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> w = uniform((10, 10), fan_in=10, fan_out=10, generator=g, a=0.5)
    >>> bool((w.abs() <= 0.5).all())
    True
    """
    return (2 * _rand(shape, generator) - 1) * a


@register_initializer("pytorch_default", "torch")
def pytorch_default(shape, *, fan_in, fan_out, generator):
    """What ``torch.nn.Linear`` does: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> w = pytorch_default((4, 3), fan_in=4, fan_out=3, generator=g)
    >>> bool((w.abs() <= 0.5).all())  # 1 / sqrt(4)
    True
    """
    return (2 * _rand(shape, generator) - 1) / math.sqrt(fan_in)


_CALL = re.compile(r"^\s*([A-Za-z_][\w\-]*)\s*(?:\((.*)\))?\s*$")

# The positional argument each parameterised initialiser takes in "name(value)" form.
_POSITIONAL = {"normal": "std", "uniform": "a", "constant": "value", "xavier_uniform": "gain",
               "xavier_normal": "gain"}


def parse_initializer(spec: str | dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Split an initialiser spec into its canonical name and parameters.

    Examples
    --------
    >>> parse_initializer("normal(0.01)")
    ('normal', {'std': 0.01})
    >>> parse_initializer("glorot")
    ('xavier_uniform', {})
    >>> parse_initializer({"name": "uniform", "a": 0.1})
    ('uniform', {'a': 0.1})
    """
    if isinstance(spec, dict):
        params = dict(spec)
        name = params.pop("name", None)
        if name is None:
            raise ConfigError(f"an initializer dict needs a 'name' key, got {spec!r}")
        return initializers.canonical(name), params
    match = _CALL.match(str(spec))
    if not match:
        raise ConfigError(f"cannot read initializer {spec!r}; write e.g. 'xavier' or 'normal(0.01)'")
    name = initializers.canonical(match.group(1))
    params: dict[str, Any] = {}
    if match.group(2):
        call = ast.parse(f"f({match.group(2)})", mode="eval").body
        assert isinstance(call, ast.Call)
        try:
            args = [ast.literal_eval(a) for a in call.args]
            params = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
        except ValueError as exc:
            raise ConfigError(f"initializer arguments must be numbers, got {spec!r}") from exc
        if args:
            if len(args) > 1 or name not in _POSITIONAL:
                raise ConfigError(f"initializer {name!r} takes keyword arguments only, got {spec!r}")
            params[_POSITIONAL[name]] = args[0]
    return name, params


def make_weights(spec: str | dict[str, Any], shape: tuple[int, ...], *, seed: int | None = None,
                 generator: torch.Generator | None = None, fan_in: int | None = None,
                 fan_out: int | None = None) -> torch.Tensor:
    """Draw a float64 tensor of ``shape`` from the initialiser ``spec``.

    ``fan_in`` and ``fan_out`` default to ``shape[0]`` and ``shape[-1]`` (weights are stored as
    ``[fan_in, fan_out]`` throughout atomlab, so that a layer computes ``x @ W + b``).

    Examples
    --------
    >>> w = make_weights("xavier", (4, 3), seed=0)
    >>> tuple(w.shape), bool((w.abs() <= (6 / 7) ** 0.5).all())
    ((4, 3), True)
    """
    name, params = parse_initializer(spec)
    if generator is None:
        generator = torch.Generator().manual_seed(0 if seed is None else int(seed))
    fan_in = shape[0] if fan_in is None else fan_in
    fan_out = shape[-1] if fan_out is None else fan_out
    try:
        out = initializers.get(name)(tuple(shape), fan_in=fan_in, fan_out=fan_out, generator=generator,
                                     **params)
    except TypeError as exc:
        raise ConfigError(f"bad parameters for initializer {name!r}: {exc}") from exc
    return out.to(torch.float64)
