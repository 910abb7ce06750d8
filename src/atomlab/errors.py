"""Errors raised by atomlab, and the helper that writes their messages.

Every error a user can trigger from the CLI or the public API is a :class:`ConfigError`: one
sentence naming the bad value and what is allowed, so the CLI can print it and exit with status 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ConfigError(ValueError):
    """A user-supplied name or value is not allowed; the message says what is."""


def unknown_choice(kind: str, value: object, allowed: Iterable[str]) -> ConfigError:
    """Build the error for a value that is not among ``allowed``, with a did-you-mean hint.

    Examples
    --------
    >>> print(unknown_choice("activation", "rleu", ["relu", "tanh"]))
    unknown activation 'rleu'; did you mean 'relu'? known: relu, tanh
    """
    names = sorted(str(a) for a in allowed)
    close = difflib.get_close_matches(str(value), names, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ";"
    return ConfigError(f"unknown {kind} '{value}'{hint} known: {', '.join(names)}")
