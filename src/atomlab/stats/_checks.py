"""Validation of the arguments every public function shares; each failure is one ConfigError."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from atomlab.errors import ConfigError

METHODS = ("auto", "t", "exact")


def level_(level: float) -> float:
    """A confidence level strictly between 0 and 1."""
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise ConfigError(f"level must be a number in (0, 1), got {level!r}") from None
    if not 0.0 < value < 1.0:
        raise ConfigError(f"level must be in (0, 1) (0.95 for a 95% interval), got {level!r}")
    return value


def rate_(value: object, name: str) -> float:
    """An error rate (alpha, q) or a power strictly between 0 and 1."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = math.nan
    if not 0.0 < x < 1.0:
        raise ConfigError(f"{name} must be in (0, 1), got {value!r}")
    return x


def direction_(direction: object) -> int | None:
    """+1, -1 or None."""
    if direction is None:
        return None
    if isinstance(direction, bool) or direction not in (1, -1):
        raise ConfigError(f"direction must be +1, -1 or None (two-sided), got {direction!r}")
    return int(direction)  # type: ignore[call-overload]


def method_(method: str) -> str:
    if method not in METHODS:
        raise ConfigError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    return method


def finite_number(value: object, name: str) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a finite number, got {value!r}") from None
    if not math.isfinite(x):
        raise ConfigError(f"{name} must be a finite number, got {value!r}")
    return x


def vector(values: object, name: str) -> np.ndarray:
    """A 1-D float array (NaN allowed); ragged, nested or non-numeric input is an error."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a 1-D sequence of numbers (NaN allowed), got {_short(values)}") from None
    if arr.ndim == 0:
        raise ConfigError(f"{name} must be a 1-D sequence of numbers, got the scalar {_short(values)}")
    if arr.ndim != 1:
        raise ConfigError(f"{name} must be 1-D (one value per seed), got shape {arr.shape}")
    return arr


def matrix(values: object, name: str) -> np.ndarray:
    """A 2-D float array (seeds x levels); ragged rows are an error."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a seeds x levels table of numbers with rows of equal length "
                          f"(NaN for a missing level), got {_short(values)}") from None
    if arr.ndim != 2:
        raise ConfigError(f"{name} must be 2-D (seeds x levels), got shape {arr.shape}")
    if arr.shape[1] < 2:
        raise ConfigError(f"{name} needs at least 2 levels (columns) for a trend, got {arr.shape[1]}")
    return arr


def same_length(a: np.ndarray, b: np.ndarray) -> None:
    if len(a) != len(b):
        raise ConfigError(f"a and b must pair seed by seed (same length), got lengths {len(a)} and {len(b)}")


def bounds_(bounds: Sequence[float] | None) -> tuple[float, float] | None:
    """None, or (lo, hi) with lo < hi (either may be infinite)."""
    if bounds is None:
        return None
    try:
        lo, hi = (float(x) for x in bounds)
    except (TypeError, ValueError):
        raise ConfigError(f"bounds must be a pair (lo, hi), e.g. (0, 1) for an accuracy, got {bounds!r}") from None
    if math.isnan(lo) or math.isnan(hi) or not lo < hi:
        raise ConfigError(f"bounds must be (lo, hi) with lo < hi, got {bounds!r}")
    return (lo, hi)


def inside(values: np.ndarray, bounds: tuple[float, float] | None, name: str) -> None:
    """Finite values must lie within the bounds the caller declared."""
    if bounds is None:
        return
    v = values[np.isfinite(values)]
    if v.size and (v.min() < bounds[0] or v.max() > bounds[1]):
        raise ConfigError(f"{name} has values in [{v.min():g}, {v.max():g}], outside bounds {bounds}")


def _short(values: object) -> str:
    text = repr(values)
    return text if len(text) <= 60 else text[:57] + "..."
