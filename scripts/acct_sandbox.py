#!/usr/bin/env python3
"""Turn BSD process accounting on into a private file for a while, and leave it as found.

Accounting is machine-wide state: the kernel writes one record per exiting process into at most
one file, and acct(2) can only turn it on (into a file) or off; nothing says whether it is on or
where. accounting_target() finds out: it watches every mounted filesystem with fanotify
(FAN_MODIFY), makes a child exit, and returns the file the child's record went to, or None when
accounting is off.

    from acct_sandbox import PrivateAccounting, accounting_target
    with PrivateAccounting("/tmp/x/pacct") as acct:   # takes audit_sandbox.host_lock()
        subprocess.run([...])
    data = open("/tmp/x/pacct", "rb").read()           # every exit while it ran

It borrows accounting only when it is off (SandboxUnavailable when it is on into another file:
that file's path cannot be learnt, and turning accounting back on through the descriptor
fanotify hands over does not last, the kernel drops it when that descriptor closes). On leaving
(normally, by an exception, or by SIGINT/SIGTERM/SIGHUP, whose handlers raise) it turns
accounting off and checks that it is off (SandboxRestoreError otherwise). Needs root
(CAP_SYS_PACCT, and CAP_SYS_ADMIN for fanotify); SandboxUnavailable otherwise.

Python 3.11 standard library only.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from audit_sandbox import (HANDLED_SIGNALS, SandboxRestoreError,  # noqa: E402
                           SandboxUnavailable, host_lock)

__all__ = ["AcctTarget", "accounting_target", "PrivateAccounting", "set_accounting",
           "SandboxUnavailable", "SandboxRestoreError"]

_libc = ctypes.CDLL(None, use_errno=True)
_libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int,
                                ctypes.c_char_p]
_libc.acct.argtypes = [ctypes.c_char_p]
FAN_CLOEXEC, FAN_NONBLOCK = 0x1, 0x2
FAN_MARK_ADD, FAN_MARK_FILESYSTEM = 0x1, 0x100
FAN_MODIFY = 0x2
AT_FDCWD = -100
EVENT = struct.Struct("IBBHQii")  # struct fanotify_event_metadata


class AcctTarget:
    """The file accounting writes to: its identity, and a read-only descriptor on it."""

    def __init__(self, dev: int, ino: int, fd: int):
        self.dev, self.ino, self.fd = dev, ino, fd

    def key(self) -> tuple[int, int]:
        return (self.dev, self.ino)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __repr__(self) -> str:
        return f"AcctTarget(dev={self.dev}, ino={self.ino})"


def _unescape_mountinfo(field: str) -> bytes:
    # mountinfo writes space, tab, newline and backslash as \ooo.
    out, i, raw = bytearray(), 0, field.encode()
    while i < len(raw):
        if raw[i] == 0x5C and i + 3 < len(raw) and raw[i + 1:i + 4].isdigit():
            out.append(int(raw[i + 1:i + 4], 8))
            i += 4
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def accounting_target(timeout: float = 1.0) -> AcctTarget | None:
    """The file accounting writes to now (caller closes it), or None when accounting is off."""
    fan = _libc.fanotify_init(FAN_CLOEXEC | FAN_NONBLOCK, os.O_RDONLY | os.O_LARGEFILE)
    if fan < 0:
        raise SandboxUnavailable(f"fanotify_init: {os.strerror(ctypes.get_errno())} "
                                 "(needs CAP_SYS_ADMIN)")
    try:
        devices = set()
        with open("/proc/self/mountinfo") as f:
            for line in f:
                mountpoint = _unescape_mountinfo(line.split()[4])
                try:
                    dev = os.stat(mountpoint).st_dev
                except OSError:
                    continue
                if dev not in devices:
                    devices.add(dev)
                    # Filesystems fanotify cannot watch (some pseudo ones) cannot hold it either.
                    _libc.fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_MODIFY,
                                        AT_FDCWD, mountpoint)
        child = os.fork()
        if child == 0:
            os._exit(0)
        os.waitpid(child, 0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                buf = os.read(fan, 65536)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            found = None
            for off in _offsets(buf):
                _, _, _, _, _, fd, pid = EVENT.unpack_from(buf, off)
                if fd < 0:
                    continue
                if pid == child and found is None:
                    st = os.fstat(fd)
                    found = AcctTarget(st.st_dev, st.st_ino, fd)
                else:
                    os.close(fd)
            if found:
                return found
        return None
    finally:
        os.close(fan)


def _offsets(buf: bytes):
    off = 0
    while off + EVENT.size <= len(buf):
        yield off
        off += EVENT.unpack_from(buf, off)[0]


def set_accounting(path: str | None) -> None:
    """acct(2): on into path, or off for None. Raises OSError."""
    if _libc.acct(os.fsencode(path) if path is not None else None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"acct({path!r}): {os.strerror(err)}")


class _Interrupted(SystemExit):
    pass


class PrivateAccounting:
    """Accounting on into path while inside, when it was off; off again on leaving."""

    def __init__(self, path: str, lock_timeout: float = 120.0):
        self.path = path
        self._lock_timeout = lock_timeout
        self._stack: contextlib.ExitStack | None = None
        self.saved: AcctTarget | None = None

    def __enter__(self) -> "PrivateAccounting":
        if os.geteuid() != 0:
            raise SandboxUnavailable("process accounting needs root (CAP_SYS_PACCT)")
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(host_lock(self._lock_timeout))
            self.saved = accounting_target()
            if self.saved is not None:
                self.saved.close()
                raise SandboxUnavailable(
                    f"process accounting is on (into device {self.saved.dev} inode "
                    f"{self.saved.ino}); not borrowing it")
            old = {s: signal.getsignal(s) for s in HANDLED_SIGNALS}

            def interrupted(signum, _frame):
                raise _Interrupted(128 + signum)
            for s in HANDLED_SIGNALS:
                signal.signal(s, interrupted)
            stack.callback(lambda: [signal.signal(s, h) for s, h in old.items()])
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
            os.close(fd)
            stack.callback(self._restore)
            set_accounting(self.path)
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        return self

    def __exit__(self, *exc) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            # Signals wait until the state is back.
            with _signals_blocked():
                stack.close()

    def _restore(self) -> None:
        set_accounting(None)
        now = accounting_target()
        if now is not None:
            now.close()
            raise SandboxRestoreError(f"accounting still writes to device {now.dev} inode "
                                      f"{now.ino} after turning it off")


@contextlib.contextmanager
def _signals_blocked():
    old = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


if __name__ == "__main__":
    target = accounting_target()
    print("off" if target is None else f"on: dev={target.dev} ino={target.ino}")
