"""Argument checks and seeding shared by the generators: one clear ConfigError per bad value."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from atomlab.errors import ConfigError, unknown_choice

RandomState = int | np.random.Generator


def check_random_state(random_state: Any) -> np.random.Generator:
    """Turn an int seed or a Generator into a Generator; reject anything else (no hidden global seed)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if int(random_state) < 0:
            raise ConfigError(f"random_state must be a non-negative int, got {random_state}")
        return np.random.default_rng(int(random_state))
    raise ConfigError(
        f"random_state must be an int seed or a numpy Generator, got {random_state!r}; "
        "atomlab has no hidden global seed"
    )


def seed_record(random_state: Any) -> int | str:
    """What to write in ``params`` for the seed: the int, or a marker for a caller's Generator."""
    if isinstance(random_state, np.random.Generator):
        return "<numpy Generator>"
    return int(random_state)


def child_seed(rng: np.random.Generator) -> int:
    """An int seed drawn from ``rng`` for libraries that want one (scikit-learn)."""
    return int(rng.integers(0, 2**31 - 1))


def check_int(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int within bounds, or raise a ConfigError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ConfigError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_float(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
) -> float:
    """Return ``value`` as a finite float within bounds, or raise a ConfigError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ConfigError(f"{name} must be finite, got {value}")
    if minimum is not None and (value < minimum or (value == minimum and not min_inclusive)):
        op = ">=" if min_inclusive else ">"
        raise ConfigError(f"{name} must be {op} {minimum}, got {value}")
    if maximum is not None and (value > maximum or (value == maximum and not max_inclusive)):
        op = "<=" if max_inclusive else "<"
        raise ConfigError(f"{name} must be {op} {maximum}, got {value}")
    return value


def check_choice(kind: str, value: Any, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed`` (case-insensitive), else a did-you-mean error."""
    allowed = list(allowed)
    if isinstance(value, str) and value.lower() in allowed:
        return value.lower()
    raise unknown_choice(kind, value, allowed)


def check_interval(name: str, low: Any, high: Any) -> tuple[float, float]:
    """Return ``(low, high)`` as floats with low < high."""
    low = check_float(f"{name} low", low)
    high = check_float(f"{name} high", high)
    if not low < high:
        raise ConfigError(f"{name} needs low < high, got low={low}, high={high}")
    return low, high


def as_labels(y: np.ndarray) -> np.ndarray:
    """Class labels as a contiguous int64 vector."""
    return np.ascontiguousarray(y, dtype=np.int64).reshape(-1)


def as_features(X: np.ndarray) -> np.ndarray:
    """Inputs as a contiguous float64 array."""
    return np.ascontiguousarray(X, dtype=np.float64)


def split_counts(n: int, ratio: float) -> tuple[int, int]:
    """Split ``n`` into (minority, majority) counts as close to ``1 : ratio`` as integers allow."""
    minority = int(np.floor(n / (ratio + 1.0) + 0.5))
    return minority, n - minority
