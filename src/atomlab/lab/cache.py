"""The on-disk trial cache: one file per finished trial, written atomically.

A trial's file is named by its config hash (which includes the package version), so a rerun of
an identical experiment finds every finished trial, and an interrupted run loses at most the
population in flight.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

from atomlab.engine.outcome import Outcome


def default_cache_dir() -> Path:
    """``$ATOMLAB_CACHE``, else ``$XDG_CACHE_HOME/atomlab/trials``, else ``~/.cache/atomlab/trials``.

    Examples
    --------
    >>> import os
    >>> os.environ["ATOMLAB_CACHE"] = "/tmp/atomlab-doc-cache"
    >>> str(default_cache_dir())
    '/tmp/atomlab-doc-cache'
    >>> del os.environ["ATOMLAB_CACHE"]
    """
    if os.environ.get("ATOMLAB_CACHE"):
        return Path(os.environ["ATOMLAB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "atomlab" / "trials"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "sub" / "x.bin"
    >>> atomic_write_bytes(path, b"abc")
    >>> path.read_bytes(), sorted(p.name for p in path.parent.iterdir())  # no temporary file left
    (b'abc', ['x.bin'])
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class TrialCache:
    """Finished trial outcomes keyed by trial hash.

    Parameters
    ----------
    root : path or None
        Directory of the cache; None uses :func:`default_cache_dir`.
    enabled : bool
        When False, :meth:`get` always misses (``--no-cache``), but results are still written.

    Examples
    --------
    >>> import tempfile
    >>> cache = TrialCache(tempfile.mkdtemp())
    >>> cache.put("abc123", Outcome(rows=[{"step": 0, "test_acc": 0.5}]))
    >>> cache.get("abc123").final["test_acc"], cache.get("unknown")
    (0.5, None)
    >>> TrialCache(enabled=False).get("abc123") is None
    True
    """

    def __init__(self, root: str | Path | None = None, *, enabled: bool = True) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.enabled = enabled

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pkl"

    def get(self, key: str) -> Outcome | None:
        """The cached outcome of trial ``key``, or None."""
        if not self.enabled:
            return None
        path = self.path(key)
        if not path.exists():
            return None
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)
        except (pickle.UnpicklingError, EOFError, AttributeError, ModuleNotFoundError):
            return None  # a stale or damaged entry is retrained, never trusted

    def put(self, key: str, outcome: Outcome) -> None:
        """Store ``outcome`` atomically."""
        atomic_write_bytes(self.path(key), pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
