"""A user's hypothesis in words, read into one of the lab's claims.

The forms, where ``A`` and ``B`` name arms by a level (``snake``) or by ``factor=level`` (``lr=0.1``):

* ``"A > B"`` / ``"A < B"``: a :class:`~atomlab.lab.claims.Compare` claim that ``A`` scores higher (lower) on
  the metric than ``B``, paired by seed: literally the metric's value, so on a loss ``"A < B"`` says that
  ``A`` is better;
* ``"A = B within 0.01"``: an :class:`~atomlab.lab.claims.Equivalent` claim (the two differ by less than the
  margin; ``==`` and ``~`` read the same);
* ``"increases with FACTOR"`` / ``"decreases with FACTOR"``, optionally after a metric
  (``"test_loss decreases with width"``): a :class:`~atomlab.lab.claims.Trend` along the factor's levels in
  the order given.

When other factors are crossed with the one the hypothesis names, the claim is tested within each of
their combinations (``by``), and :func:`atomlab.lab.claims.check_claims` corrects over the tests. This
module only reads the words: the verdict is the claim's, decided by :mod:`atomlab.stats`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from typing import Any

from atomlab.errors import ConfigError
from atomlab.lab.claims import Claim, Compare, Equivalent, Trend

#: The forms a hypothesis may take, for error messages.
FORMS = ("'A > B'", "'A < B'", "'A = B within 0.01'", "'increases with FACTOR'", "'decreases with FACTOR'")

_TREND = re.compile(r"^\s*(?:(?P<metric>[\w.]+)\s+)?(?P<dir>increases|decreases)\s+with\s+(?P<factor>[\w.]+)\s*$",
                    re.I)
# "A = B within m": the operator spaced (so that either side may be factor=level), or compact ("a=b within m").
_EQUIV = (re.compile(r"^\s*(?P<a>.+?)\s+(?:==|=|~|≈)\s+(?P<b>.+?)\s+within\s+(?P<margin>\S+)\s*$", re.I),
          re.compile(r"^\s*(?P<a>[^=~≈]+?)(?:==|=|~|≈)(?P<b>[^=~≈]+?)\s+within\s+(?P<margin>\S+)\s*$", re.I))
# "A > B": one < or >, not followed by = (">=" is not a form), between two sides without < or >.
_ORDER = re.compile(r"^\s*(?P<a>[^<>]+?)\s*(?P<op>[<>])(?!=)\s*(?P<b>[^<>=][^<>]*?)\s*$")


def _key(v: Any) -> Any:
    return tuple(_key(x) for x in v) if isinstance(v, list | tuple) else v


def level_text(v: Any) -> str:
    """A level as the report writes it: ``relu``, ``0.01``, ``[10,10]``.

    Examples
    --------
    >>> level_text([10, 10]), level_text(0.01), level_text("relu")
    ('[10,10]', '0.01', 'relu')
    """
    if isinstance(v, list | tuple):
        return "[" + ",".join(level_text(x) for x in v) + "]"
    return f"{v:g}" if isinstance(v, float) else str(v)


def arm_label(levels: Mapping[str, Any]) -> str:
    """An arm as a comparison's report names it: a level alone, ``factor=level`` pairs for several.

    A lone level is named by itself even when other factors are crossed with it (a hypothesis's arms,
    tested within each level of the others); a combination of levels names each factor.

    Examples
    --------
    >>> arm_label({"activation": "snake"}), arm_label({"activation": "relu", "lr": 0.1})
    ('snake', 'activation=relu, lr=0.1')
    """
    if len(levels) == 1:
        return level_text(next(iter(levels.values())))
    return ", ".join(f"{k}={level_text(v)}" for k, v in levels.items())


def _same(token: str, level: Any) -> bool:
    if token == level_text(level) or token.lower() == str(level).lower():
        return True
    try:
        parsed = ast.literal_eval(token)
    except (ValueError, SyntaxError):
        return False
    if isinstance(level, bool) or isinstance(parsed, bool):
        return parsed is level
    return _key(parsed) == _key(level)


def resolve_arm(token: str, levels: Mapping[str, Sequence[Any]], *, text: str) -> dict[str, Any]:
    """The arm ``token`` names: ``{factor: level}`` from ``"snake"`` or ``"activation=snake"``.

    Examples
    --------
    >>> resolve_arm("snake", {"activation": ["relu", "snake"]}, text="snake > relu")
    {'activation': 'snake'}
    >>> resolve_arm("lr=1e-2", {"lr": [0.1, 0.01]}, text="")
    {'lr': 0.01}
    >>> resolve_arm("snak", {"activation": ["relu", "snake"]}, text="snak > relu")
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: hypothesis 'snak > relu': no arm 'snak'; did you mean 'snake'? known: relu, snake
    """
    token = token.strip()
    factor, sep, value = token.partition("=")
    if sep and factor.strip() in levels:
        factor, value = factor.strip(), value.strip()
        found = [lv for lv in levels[factor] if _same(value, lv)]
        if not found:
            raise _unknown(text, f"{factor} level {value!r}", [level_text(v) for v in levels[factor]])
        return {factor: found[0]}
    if sep:
        raise _unknown(text, f"factor {factor.strip()!r}", list(levels))
    hits = [(f, lv) for f, lvs in levels.items() for lv in lvs if _same(token, lv)]
    if not hits:
        known = [level_text(v) for lvs in levels.values() for v in lvs]
        raise _unknown(text, f"arm {token!r}", known)
    if len({f for f, _ in hits}) > 1:
        raise ConfigError(f"hypothesis {text!r}: {token!r} is a level of several factors "
                          f"({', '.join(sorted({f for f, _ in hits}))}); write factor=level, e.g. "
                          f"{hits[0][0]}={token}")
    return {hits[0][0]: hits[0][1]}


def _unknown(text: str, what: str, known: Sequence[str]) -> ConfigError:
    import difflib

    value = what.split("'")[1] if "'" in what else what
    close = difflib.get_close_matches(value, list(known), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ";"
    return ConfigError(f"hypothesis {text!r}: no {what}{hint} known: {', '.join(sorted(set(known)))}")


def _factor_of(a: dict[str, Any], b: dict[str, Any], text: str) -> str:
    if list(a) != list(b):
        raise ConfigError(f"hypothesis {text!r} compares levels of different factors ({next(iter(a))} and "
                          f"{next(iter(b))}); compare two levels of one factor")
    if _key(a[next(iter(a))]) == _key(b[next(iter(b))]):
        raise ConfigError(f"hypothesis {text!r} compares an arm with itself")
    return next(iter(a))


def parse_hypothesis(text: str, levels: Mapping[str, Sequence[Any]], metric: str,
                     metrics: Sequence[str] | None = None) -> Claim:
    """Read ``text`` into a claim on ``metric`` over the factors and ``levels`` of a comparison.

    Parameters
    ----------
    text : str
        The hypothesis (see the module notes for the forms).
    levels : mapping of str to sequence
        Each factor's levels, in order.
    metric : str
        The metric the claim is about (a trend may name another one first).
    metrics : sequence of str, optional
        The metrics a trend may name (default: any).

    Returns
    -------
    Claim
        A Compare, Equivalent or Trend, with ``text`` set to the hypothesis and ``by`` to the other factors.

    Raises
    ------
    ConfigError
        A form not listed in :data:`FORMS`, an unknown arm or factor, or a bad margin.

    Examples
    --------
    >>> levels = {"activation": ["relu", "tanh", "snake"], "width": [4, 8]}
    >>> c = parse_hypothesis("snake > relu", levels, "test_acc")
    >>> type(c).__name__, c.a, c.b, c.direction, c.by
    ('Compare', {'activation': 'snake'}, {'activation': 'relu'}, 'greater', ['width'])
    >>> c = parse_hypothesis("tanh = relu within 0.01", levels, "test_acc")
    >>> type(c).__name__, c.margin
    ('Equivalent', 0.01)
    >>> c = parse_hypothesis("increases with width", levels, "test_acc")
    >>> type(c).__name__, c.factor, c.direction, c.by
    ('Trend', 'width', 'increasing', ['activation'])
    >>> parse_hypothesis("snake >> relu", levels, "test_acc")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: cannot read the hypothesis 'snake >> relu'; write one of 'A > B', ...
    """
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"a hypothesis must be a non-empty string such as 'snake > relu', got {text!r}")
    text = text.strip()
    factors = list(levels)

    def others(factor: str) -> list[str] | None:
        rest = [f for f in factors if f != factor]
        return rest or None

    if m := _TREND.match(text):
        factor = m["factor"]
        if factor not in levels:
            raise _unknown(text, f"factor {factor!r}", factors)
        if len(levels[factor]) < 2:
            raise ConfigError(f"hypothesis {text!r}: {factor} has one level; a trend needs two or more")
        which = m["metric"] or metric
        if m["metric"] and metrics is not None and which not in metrics:
            raise _unknown(text, f"metric {which!r}", list(metrics))
        direction = "increasing" if m["dir"].lower() == "increases" else "decreasing"
        return Trend(which, factor, direction, levels=list(levels[factor]), by=others(factor), text=text)
    if m := (_EQUIV[0].match(text) or _EQUIV[1].match(text)):
        try:
            margin = float(m["margin"])
        except ValueError:
            margin = float("nan")
        if not margin > 0 or margin == float("inf"):
            raise ConfigError(f"hypothesis {text!r}: the margin after 'within' must be a positive number, "
                              f"got {m['margin']!r}")
        a, b = resolve_arm(m["a"], levels, text=text), resolve_arm(m["b"], levels, text=text)
        factor = _factor_of(a, b, text)
        return Equivalent(metric, a, b, margin, by=others(factor), text=text)
    if m := _ORDER.match(text):
        a, b = resolve_arm(m["a"], levels, text=text), resolve_arm(m["b"], levels, text=text)
        factor = _factor_of(a, b, text)
        direction = "greater" if m["op"] == ">" else "smaller"
        return Compare(metric, a, b, direction=direction, by=others(factor), text=text)
    raise ConfigError(f"cannot read the hypothesis {text!r}; write one of {', '.join(FORMS)}, where A and B are "
                      "levels (snake) or factor=level (activation=snake)")
