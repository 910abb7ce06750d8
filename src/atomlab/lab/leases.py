"""Who owns a claim or a lock, whether that owner still lives, and a thread that keeps a lease fresh.

A claim on a trial (in the store) and the lock on an output directory both name their owner by host,
process id and a random token. On the owner's own host a dead process is seen at once (its pid is
gone); an owner on another host is known only through its lease, which it renews from a
:class:`Heartbeat` thread and which lapses a while after it dies.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Owner:
    """A process that may hold claims: its host, its pid and a token unique to one holder.

    The token tells two holders in one process apart (two runs started from two threads).

    Examples
    --------
    >>> me = Owner.current()
    >>> me.pid == os.getpid() and me.alive()
    True
    """

    host: str
    pid: int
    token: str = field(default_factory=lambda: secrets.token_hex(8))

    @classmethod
    def current(cls) -> Owner:
        """A new holder in this process."""
        return cls(socket.gethostname(), os.getpid())

    def alive(self) -> bool | None:
        """True or False where it can be known (the same host), None for another host."""
        if self.host != socket.gethostname():
            return None
        return pid_alive(self.pid)

    def describe(self) -> str:
        """``pid 123 on host h`` for messages."""
        return f"pid {self.pid} on host {self.host}"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (a zombie counts as dead).

    Examples
    --------
    >>> pid_alive(os.getpid())
    True
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:  # Linux: an exited child not yet reaped is 'Z'
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class Heartbeat:
    """Call ``beat()`` every ``interval`` seconds on a daemon thread until :meth:`stop`.

    An exception in ``beat`` is swallowed: a missed renewal only shortens a lease, it must not stop
    the run that holds it.

    Examples
    --------
    >>> import time
    >>> beats = []
    >>> hb = Heartbeat(0.01, lambda: beats.append(1)).start()
    >>> time.sleep(0.1); hb.stop()
    >>> len(beats) > 0
    True
    """

    def __init__(self, interval: float, beat: Callable[[], None], name: str = "atomlab-heartbeat") -> None:
        self.interval = interval
        self.beat = beat
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception:  # noqa: BLE001 - see the class docstring
                pass

    def stop(self) -> None:
        """Stop the thread and wait for a beat in progress to end."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
