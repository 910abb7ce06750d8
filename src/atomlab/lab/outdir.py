"""Where a run writes its results: checked before training, held by one run at a time, written atomically.

The output folder is validated and locked before any training, so a bad ``--out`` costs nothing and
two runs never write one folder silently. The lock is ``.atomlab.lock`` in the folder, held with
``flock``: the kernel drops it when its owner dies however it dies, so a killed run never leaves a
folder locked, and the file names the owner (pid, host, start) for the message the next run prints.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import time
from pathlib import Path

from atomlab.errors import ConfigError

LOCK_NAME = ".atomlab.lock"


def check_out_dir(path: str | os.PathLike) -> Path:
    """``path`` as a :class:`Path`, created if absent; a :class:`ConfigError` naming it if it cannot hold results.

    Refused: a name that is not valid UTF-8, a component longer than the file system allows, a path
    that is (or runs through) a file, and a folder that cannot be created.

    Examples
    --------
    >>> import tempfile
    >>> check_out_dir(Path(tempfile.mkdtemp()) / "run").is_dir()
    True
    >>> check_out_dir("x" * 300)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: cannot write results to 'xxx...x': the name 'xxx...x' is 300 bytes long; this file ...
    """
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    shown = _short(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(f"cannot write results to {shown}: the name is not valid UTF-8; choose a name "
                          "that is") from None
    if not text.strip():
        raise ConfigError("cannot write results to an empty path; give a folder name")
    p = Path(text).expanduser()
    limit = _name_max(p)
    for part in p.parts:
        if len(os.fsencode(part)) > limit:
            raise ConfigError(f"cannot write results to {shown}: the name {_short(part)} is "
                              f"{len(os.fsencode(part))} bytes long; this file system allows {limit}")
    if p.exists() and not p.is_dir():
        raise ConfigError(f"cannot write results to {shown}: it is a file, not a folder")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot write results to {shown}: {exc.strerror or exc}") from None
    return p


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # e.g. a name too long for the file system
        return False


def _short(text: str) -> str:
    return repr(text if len(text) <= 160 else text[:100] + "..." + text[-40:])


def _name_max(path: Path) -> int:
    probe = path.absolute()
    while not _is_dir(probe) and probe != probe.parent:
        probe = probe.parent
    try:
        return int(os.pathconf(probe, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


class OutDirLock:
    """Exclusive use of an output folder by one run; :meth:`acquire` raises :class:`ConfigError` if taken.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with OutDirLock(folder):
    ...     OutDirLock(folder).acquire()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: '...' is being written by another atomlab run (pid ...); wait for it ...
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.previous: dict | None = None  #: the lock's earlier owner when it was left by a run that died
        self._fd: int | None = None
        self._token = secrets.token_hex(8)

    def acquire(self) -> OutDirLock:
        """Check the folder (:func:`check_out_dir`) and take its lock."""
        try:
            import fcntl
        except ImportError:  # not a POSIX system: no lock, as before
            check_out_dir(self.path)
            return self
        self.path = check_out_dir(self.path)
        lock = self.path / LOCK_NAME
        for _ in range(10):  # retried only when the file was replaced between open and flock
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as exc:
                raise ConfigError(f"cannot write results to {str(self.path)!r}: {exc.strerror or exc}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _read_owner(fd)
                os.close(fd)
                who = (f"pid {holder.get('pid')} on host {holder.get('host')}, started {holder.get('started')}"
                       if holder else "another process")
                raise ConfigError(f"{str(self.path)!r} is being written by another atomlab run ({who}); wait for it "
                                  "to finish or choose another --out") from None
            if os.fstat(fd).st_ino != _inode(lock):  # released and removed by its owner meanwhile: try again
                os.close(fd)
                continue
            self.previous = _read_owner(fd) or None
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "token": self._token,
                                     "started": time.strftime("%Y-%m-%d %H:%M:%S")}).encode())
            self._fd = fd
            return self
        raise ConfigError(f"could not lock {str(self.path)!r}: its lock file keeps changing")

    def release(self) -> None:
        """Remove the lock file and drop the lock."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            if os.fstat(self._fd).st_ino == _inode(self.path / LOCK_NAME):
                os.unlink(self.path / LOCK_NAME)  # while still holding it: no one can take a stale inode
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> OutDirLock:
        return self.acquire() if self._fd is None else self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _read_owner(fd: int) -> dict:
    try:
        data = os.pread(fd, 4096, 0)
        owner = json.loads(data.decode("utf-8")) if data else {}
        return owner if isinstance(owner, dict) else {}
    except (OSError, ValueError):
        return {}


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, with the mode a plain ``open`` gives.

    The temporary file is created with mode 0666 less the umask (``tempfile.mkstemp`` would make it
    0600, and the rename would keep that).

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> atomic_write_bytes(target, b"hi")
    >>> target.read_bytes()
    b'hi'
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
