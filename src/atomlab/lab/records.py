"""A trial's outcome as a store record: JSON for what is small, raw bytes without pickle for arrays.

Nothing here can run code while reading: JSON is parsed by :mod:`json`, arrays are rebuilt from their
bytes by :func:`numpy.frombuffer` after their dtype (numbers and booleans only), shape and size are
checked, and the rare array inside ``info`` by :func:`numpy.load` with ``allow_pickle=False``. Python values that
JSON cannot hold exactly (tuples, NumPy scalars, dicts with non-string keys, small arrays inside
``info``) are written as tagged objects such as ``{"$tuple": [...]}``, so a record read back
equals the outcome written, type for type: a run served from the store computes the same tables as
the run that trained. A value of any other type is refused with :class:`UnstorableValue` (the trial
is then kept for this run only) rather than stored as its ``repr``, which would read back as a
different value.

:func:`digest` is the SHA-256 checksum over every field of a record; the store verifies it before
anything else is parsed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from atomlab.engine.outcome import Outcome

#: Version of the record layout; a record of another version is never served.
SCHEMA = 1

_TAGS = ("$tuple", "$dict", "$np", "$array", "$float")


class RecordError(ValueError):
    """A record that must not be served: damaged, foreign or of another layout."""


class UnstorableValue(TypeError):
    """An outcome holds a value the store cannot write so that it reads back equal."""


#: Where a value sits in what is being encoded: the top-level name, or ``(parent, how, key)`` with ``how``
#: one of "index" (a list or tuple), "item" (a dict value) or "key" (a dict key).
Where = str | tuple


def _path(where: Where) -> str:
    """The readable place of a value, e.g. ``rows[3]['test_acc']``.

    Built only for an error message: formatting it for every element cost more than encoding the
    element (a trial's rows are thousands of them).

    Examples
    --------
    >>> _path(((("rows", "index", 3)), "item", "test_acc")), _path(("info", "key", 2))
    ("rows[3]['test_acc']", 'info key')
    """
    if isinstance(where, str):
        return where
    parent, how, key = where
    base = _path(parent)
    return f"{base} key" if how == "key" else f"{base}[{key!r}]" if how == "item" else f"{base}[{key}]"


def _encode(obj: Any, where: Where) -> Any:
    kind = type(obj)
    if kind is float:  # the common values first, by exact type (NumPy's float64 is a float too: below)
        # JSON has no NaN or infinity; json's NaN extension is not read by other tools
        return obj if math.isfinite(obj) else {"$float": repr(obj)}
    if kind is str or kind is int or obj is None or kind is bool:
        return obj
    if isinstance(obj, bool | str):
        return obj
    if isinstance(obj, np.generic):
        if obj.dtype.kind not in "biufc" or obj.dtype.hasobject:
            raise UnstorableValue(f"{_path(where)} is a NumPy {obj.dtype} scalar")
        return {"$np": obj.dtype.str, "v": _encode(obj.item(), where)}
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else {"$float": repr(float(obj))}
    if isinstance(obj, complex):
        return {"$np": "<c16", "v": [_encode(obj.real, where), _encode(obj.imag, where)]}
    if isinstance(obj, list):
        return [_encode(v, (where, "index", i)) for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        return {"$tuple": [_encode(v, (where, "index", i)) for i, v in enumerate(obj)]}
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in obj):
            return {k: _encode(v, (where, "item", k)) for k, v in obj.items()}
        return {"$dict": [[_encode(k, (where, "key", k)), _encode(v, (where, "item", k))] for k, v in obj.items()]}
    if isinstance(obj, np.ndarray):
        return {"$array": base64.b64encode(_npy_bytes(obj, _path(where))).decode("ascii")}
    raise UnstorableValue(f"{_path(where)} is a {type(obj).__module__}.{type(obj).__qualname__}")


def _decode(obj: Any) -> Any:
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    tags = [t for t in _TAGS if t in obj]
    if not tags:
        if any(k.startswith("$") for k in obj):
            raise RecordError(f"unknown tag in {sorted(obj)}")
        return {k: _decode(v) for k, v in obj.items()}
    tag = tags[0]
    if tag == "$tuple":
        return tuple(_decode(v) for v in obj[tag])
    if tag == "$dict":
        return {_hashable(_decode(k)): _decode(v) for k, v in obj[tag]}
    if tag == "$float":
        if obj[tag] not in ("nan", "inf", "-inf"):
            raise RecordError(f"bad float {obj[tag]!r}")
        return float(obj[tag])
    if tag == "$array":
        return _npy_array(base64.b64decode(obj[tag], validate=True))
    dtype = np.dtype(obj["$np"])
    if dtype.kind not in "biufc" or dtype.hasobject:
        raise RecordError(f"refused NumPy type {dtype}")
    value = _decode(obj["v"])
    return dtype.type(complex(*value) if dtype.kind == "c" else value)


def _hashable(key: Any) -> Any:
    if isinstance(key, list | dict):
        raise RecordError("a dict key that is a list or dict")
    return key


def dumps(obj: Any, where: str = "value") -> str:
    """``obj`` as tagged JSON (ASCII; dict keys keep their order, which becomes the order of table columns).

    Examples
    --------
    >>> loads(dumps({"a": (1, 2.5), 3: np.float32(0.5), "nan": float("nan")}))
    {'a': (1, 2.5), 3: np.float32(0.5), 'nan': nan}
    """
    return json.dumps(_encode(obj, where), allow_nan=False, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """Parse :func:`dumps`' output; anything malformed raises :class:`RecordError`.

    Examples
    --------
    >>> loads('{"$tuple": [1, "x"]}')
    (1, 'x')
    """
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
        # Every tag is an object key starting with "$": a text without '"$' has none, and needs no walk.
        return _decode(value) if (b'"$' if isinstance(text, bytes) else '"$') in text else value
    except RecordError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, RecursionError, OverflowError, MemoryError) as exc:
        raise RecordError(f"unreadable JSON ({type(exc).__name__}: {exc})") from None


def _refuse_constant(name: str) -> Any:
    raise RecordError(f"non-standard JSON constant {name}")


def _npy_bytes(array: np.ndarray, where: str) -> bytes:
    buf = io.BytesIO()
    try:
        np.save(buf, np.asarray(array), allow_pickle=False)
    except ValueError as exc:  # object arrays would need pickle
        raise UnstorableValue(f"{where} is an array of {array.dtype}: {exc}") from None
    return buf.getvalue()


def _npy_array(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


#: First bytes of an array blob: the layout's name and version.
ARRAYS_MAGIC = b"atomlab-arrays-1\n"


def pack_arrays(state: dict[str, np.ndarray], artefacts: dict[str, np.ndarray]) -> bytes:
    """``state`` and ``artefacts`` as one blob: a JSON index, then each array's raw bytes (no pickle).

    The index lists each array's part (``s`` state, ``a`` artefacts), name, dtype (numbers and booleans
    only: object arrays are refused), shape and place in the blob. Hand-written rather than
    ``np.savez``: reading a ``.npz`` costs about 0.7 ms per array here (the zip directory and
    ``ast.literal_eval`` of each header), ten times the pickle it replaces, and this layout is read
    with one ``np.frombuffer`` per array.

    Examples
    --------
    >>> blob = pack_arrays({"W0": np.eye(2)}, {"snap/W0": np.zeros((3, 2, 2), np.float32)})
    >>> state, artefacts = unpack_arrays(blob)
    >>> state["W0"].tolist(), artefacts["snap/W0"].dtype
    ([[1.0, 0.0], [0.0, 1.0]], dtype('float32'))
    """
    index, chunks, offset = [], [], 0
    for part, arrays in (("s", state), ("a", artefacts)):
        for name, value in arrays.items():
            arr = np.ascontiguousarray(value)
            if not _plain(arr.dtype):
                where = "state" if part == "s" else "artefacts"
                raise UnstorableValue(f"{where}[{name!r}] is an array of {arr.dtype} (numbers and booleans only)")
            data = arr.tobytes()
            index.append([part, str(name), arr.dtype.str, list(arr.shape), offset, len(data)])
            chunks.append(data)
            offset += len(data)
    head = json.dumps(index, separators=(",", ":")).encode("ascii")
    return ARRAYS_MAGIC + struct.pack("<Q", len(head)) + head + b"".join(chunks)


def _plain(dtype: np.dtype) -> bool:
    return dtype.kind in "biufc" and dtype.fields is None and not dtype.hasobject and dtype.subdtype is None


def unpack_arrays(blob: bytes) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Inverse of :func:`pack_arrays`; anything malformed raises :class:`RecordError`."""
    out: dict[str, dict[str, np.ndarray]] = {"s": {}, "a": {}}
    try:
        if not blob.startswith(ARRAYS_MAGIC):
            raise RecordError("not an array blob of this layout")
        start = len(ARRAYS_MAGIC) + 8
        (size,) = struct.unpack("<Q", blob[len(ARRAYS_MAGIC):start])
        data = memoryview(blob)[start + size:]
        for part, name, dtype, shape, offset, nbytes in json.loads(blob[start:start + size]):
            dt = np.dtype(str(dtype))
            if part not in out or not isinstance(name, str) or not _plain(dt):
                raise RecordError(f"bad array entry {name!r} ({dtype})")
            if (not all(isinstance(n, int) and n >= 0 for n in shape) or not isinstance(offset, int) or offset < 0
                    or nbytes != math.prod(shape) * dt.itemsize or offset + nbytes > len(data)):
                raise RecordError(f"array {name!r} does not fit its blob")
            out[part][name] = np.frombuffer(data, dt, math.prod(shape), offset).reshape(shape).copy()
    except RecordError:
        raise
    except Exception as exc:  # noqa: BLE001 - a bad index, dtype or size: all mean a bad record
        raise RecordError(f"unreadable arrays ({type(exc).__name__}: {exc})") from None
    return out["s"], out["a"]


def digest(values: Sequence[Any]) -> str:
    """SHA-256 over a sequence of field values (None, int, float, str or bytes), each typed and sized.

    The type and length prefixes make the encoding unambiguous: no two different field sequences
    hash the same bytes. ``str`` and ``bytes`` hash alike (the store reads text back as bytes).

    Examples
    --------
    >>> digest(["a", 1]) == digest([b"a", 1]) and digest(["a", 1]) != digest(["a1"])
    True
    """
    h = hashlib.sha256()
    for v in values:
        if v is None:
            tag, data = b"N", b""
        elif isinstance(v, bool):
            raise TypeError("digest of a bool: store it as an int")
        elif isinstance(v, int):
            tag, data = b"I", str(v).encode()
        elif isinstance(v, float):
            tag, data = b"F", struct.pack("<d", v)
        elif isinstance(v, str):
            tag, data = b"B", v.encode("utf-8", "surrogatepass")
        elif isinstance(v, bytes | bytearray | memoryview):
            tag, data = b"B", bytes(v)
        else:
            raise TypeError(f"digest of a {type(v).__name__}")
        h.update(tag + struct.pack("<Q", len(data)) + data)
    return h.hexdigest()


def outcome_fields(outcome: Outcome) -> dict[str, Any]:
    """The record fields of ``outcome``: JSON texts, the array blob and the scalars.

    Raises :class:`UnstorableValue` when a part cannot be written so that it reads back equal.
    """
    return {
        "rows": dumps(outcome.rows, "rows"),
        "info": dumps(outcome.info, "info"),
        "arrays": pack_arrays(outcome.state, outcome.artefacts),
        "diverged_step": None if outcome.diverged_step is None else int(outcome.diverged_step),
        "error": outcome.error,
        "wall_time": float(outcome.wall_time),
    }


def outcome_from(fields: dict[str, Any]) -> Outcome:
    """Inverse of :func:`outcome_fields` (text fields may be ``bytes``); raises :class:`RecordError`."""
    rows, info = loads(fields["rows"]), loads(fields["info"])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows) or not isinstance(info, dict):
        raise RecordError("rows must be a list of dicts and info a dict")
    state, artefacts = unpack_arrays(fields["arrays"])
    step, wall, error = fields["diverged_step"], fields["wall_time"], fields["error"]
    if not (step is None or isinstance(step, int)) or not isinstance(wall, float):
        raise RecordError("bad diverged_step or wall_time")
    if isinstance(error, bytes):
        error = error.decode("utf-8")
    return Outcome(rows=rows, diverged_step=step, state=state, artefacts=artefacts, wall_time=wall, info=info,
                   error=error)
