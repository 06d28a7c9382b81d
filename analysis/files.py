"""Atomic writes and the set switch.

A published set (data/processed, or a report's folder) is written as one unit:

1. a staging folder is made beside the target (``.<name>.stage-<pid>-<random>``) and
   filled with hard links to the target's current files (same inode, same modification
   time: a file whose bytes do not change keeps its timestamp, so ``make`` sees no change);
2. each new file is written into the staging folder through a temporary file and a rename
   (:func:`write_atomic`), which replaces the link there and never touches the old inode;
3. the staging folder is switched into the target's place in one step: on Linux,
   ``renameat2(RENAME_EXCHANGE)`` swaps the two folders atomically; where the call is not
   available (another system, a file system that refuses it), two renames are used, the
   old folder first moved to ``.<name>.old-<pid>``;
4. the old set (now at the staging or ``.old`` name) is removed.

A reader of the target sees the whole old set or the whole new set, never a mix. If
anything stops the write before step 3 (an error, a full disk, a signal), the staging
folder is removed and the target is untouched. If a process dies between the two renames
of the fallback, the target is missing and a ``.<name>.old-<pid>`` folder of a process
that no longer runs is beside it: :func:`recover` (run before every build, report and
validation) renames it back. Staging and ``.old`` folders of processes that no longer run
are removed by the same call.

SIGTERM and SIGINT (:func:`install_signal_handlers`) raise
:class:`~analysis.errors.Interrupted`, so the cleanup above runs; during the switch itself
they are held back until it is done.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import shutil
import signal
import stat
import sys
import tempfile
from pathlib import Path
from collections.abc import Iterator

from .errors import Interrupted, OutputError
from .paths import display

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_critical = 0
_pending: int | None = None
_received: int | None = None  # the last signal turned into Interrupted (see :func:`received_signal`)


# -- signals -----------------------------------------------------------------------------

def _handler(signum, frame) -> None:  # noqa: ARG001 - the signal module's signature
    global _pending, _received
    if _critical:
        _pending = signum
        return
    _received = signum
    raise Interrupted(signum)


def received_signal() -> int | None:
    """The signal last raised as :class:`Interrupted`, if any. A library that calls back into Python from compiled
    code (polars reading a schema, for one) cannot pass the exception on: it prints it as "ignored" and fails
    with an error of its own. The command line asks this to report such a failure as the interruption it was."""
    return _received


def install_signal_handlers() -> dict[int, object]:
    """SIGTERM and SIGINT raise :class:`Interrupted` (cleanup runs; no traceback is printed by the CLI).
    Returns the handlers they replace (for :func:`restore_signal_handlers`); nothing outside the main thread."""
    import threading

    global _received
    if threading.current_thread() is not threading.main_thread():
        return {}
    _received = None  # a new command: no signal yet
    if sys.unraisablehook is not _unraisable:
        _unraisable.previous = sys.unraisablehook
        sys.unraisablehook = _unraisable
    return {sig: signal.signal(sig, _handler) for sig in (signal.SIGTERM, signal.SIGINT)}


def _unraisable(info) -> None:
    """An :class:`Interrupted` that compiled code could not pass on is not printed (with its traceback) but
    remembered (:func:`received_signal`); anything else goes to the hook that was there before."""
    if isinstance(info.exc_value, Interrupted):
        return
    _unraisable.previous(info)


_unraisable.previous = sys.__unraisablehook__


def restore_signal_handlers(previous: dict[int, object]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Hold SIGTERM and SIGINT back while the block runs; raise :class:`Interrupted` after it if one came."""
    global _critical, _pending
    _critical += 1
    try:
        yield
    finally:
        _critical -= 1
    if not _critical and _pending is not None:
        signum, _pending = _pending, None
        raise Interrupted(signum, switched=True)


# -- single files --------------------------------------------------------------------------

def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a plain ``open()`` gives a new file under the current umask (0644 under 022)."""
    return 0o666 & ~_umask()


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` via a temporary file in the same folder; False if the bytes are unchanged.

    The file's mode honours the umask (0666 less the umask), as ``open`` would give.
    """
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            if path.stat().st_mode & 0o777 != file_mode():  # left 0600 by an older build: give it the umask's mode
                os.chmod(path, file_mode())
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


# -- the switch ----------------------------------------------------------------------------

@functools.cache
def _renameat2():
    """libc's ``renameat2``, or None where it is not available (looked up at the first switch,
    so that commands which never switch do not load ctypes)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        lib = ctypes.CDLL(name, use_errno=True)
        fn = lib.renameat2
    except (OSError, AttributeError, TypeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where that is not available."""
    renameat2 = _renameat2()
    if renameat2 is None or os.environ.get("NKFLOWS_NO_EXCHANGE"):
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(str(a)), _AT_FDCWD, os.fsencode(str(b)), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    import ctypes

    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(path: Path, kind: str) -> int | None:
    """The process id in a ``.<name>.<kind>-<pid>...`` folder name."""
    rest = path.name.split(f".{kind}-", 1)[-1]
    digits = rest.split("-", 1)[0]
    return int(digits) if digits.isdigit() else None


def _siblings(target: Path, kind: str) -> list[Path]:
    parent = target.parent
    if not parent.is_dir():
        return []
    return sorted(p for p in parent.glob(f".{target.name}.{kind}-*") if p.is_dir() and not p.is_symlink())


def recover(target: Path) -> list[str]:
    """Finish or undo the switch of a process that died: restore an ``.old`` folder whose target is
    missing; remove staging and ``.old`` folders of processes that no longer run. Returns what it did."""
    target = Path(target)
    done = []
    dead = lambda p, kind: (lambda pid: pid is not None and not _alive(pid))(_owner(p, kind))  # noqa: E731
    olds = [p for p in _siblings(target, "old") if dead(p, "old")]
    if not os.path.lexists(target) and olds:
        os.rename(olds[-1], target)
        done.append(f"restored {display(target)} from an interrupted switch")
        olds = olds[:-1]
    for p in olds + [p for p in _siblings(target, "stage") if dead(p, "stage")]:
        shutil.rmtree(p, ignore_errors=True)
        done.append(f"removed {p.name} left by an interrupted run")
    return done


def switch(stage: Path, target: Path) -> Path | None:
    """Put ``stage`` in ``target``'s place in one step; return where the old set now is (to be removed)."""
    if not os.path.lexists(target):
        os.rename(stage, target)
        return None
    if exchange(stage, target):
        return stage
    old = target.with_name(f".{target.name}.old-{os.getpid()}-{os.urandom(3).hex()}")
    os.rename(target, old)
    try:
        os.rename(stage, target)
    except BaseException:
        os.rename(old, target)
        raise
    return old


def _carry(src: Path, dst: Path) -> None:
    """Fill ``dst`` with hard links to every file under ``src`` (copies where a link is refused)."""
    for root, dirs, names in os.walk(src):
        rel = Path(root).relative_to(src)
        for d in dirs:
            s = Path(root) / d
            if s.is_symlink():
                os.symlink(os.readlink(s), dst / rel / d)
            else:
                (dst / rel / d).mkdir()
                shutil.copymode(s, dst / rel / d)
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]
        for n in names:
            s, t = Path(root) / n, dst / rel / n
            if n.startswith(".") and n.endswith(".tmp"):
                continue  # a temporary file of a killed writer
            if s.is_symlink():
                os.symlink(os.readlink(s), t)
                continue
            try:
                os.link(s, t)
            except OSError:
                shutil.copy2(s, t)


def check_target(target: Path, writable: bool = True) -> None:
    """An output folder that cannot be one: a file in its place, or (``writable``) a folder we may not write."""
    target = Path(target)
    if os.path.lexists(target) and not target.is_dir():
        raise OutputError(f"{display(target)} exists and is not a folder: give a folder (new or existing) as the output")
    parent = target.parent
    if parent.exists() and not parent.is_dir():
        raise OutputError(f"{display(parent)} is not a folder, so {display(target)} cannot be made in it")
    if not writable:
        return
    if target.is_dir() and not os.access(target, os.W_OK | os.X_OK):
        raise OutputError(f"{display(target)} is not writable (read-only folder); nothing was changed")
    if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{display(parent)} is not writable (read-only folder), so the new set cannot be made "
                          f"beside {display(target)}; nothing was changed")


def describe_os_error(exc: OSError, target: Path) -> str:
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    if exc.errno == errno.ENOSPC:
        reason = "no space left on the device (disk full)"
    elif exc.errno == errno.EDQUOT:
        reason = "disk quota exceeded"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        reason = f"not allowed to write ({os.strerror(exc.errno)})"
    return f"cannot write {display(target)}: {reason}; {display(target)} was left as it was"


@contextlib.contextmanager
def staged_set(target: Path) -> Iterator[Path]:
    """Yield a staging folder holding the target's current files; on a clean exit switch it in.

    On any error or signal the staging folder is removed and ``target`` is untouched.
    An :class:`OSError` (full disk, read-only folder) becomes an :class:`OutputError`.
    """
    target = Path(target).absolute()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(describe_os_error(exc, target)) from None
    recover(target)  # first: a set left aside by a dead process is put back before anything is staged
    check_target(target)
    stage = None
    old = None
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.stage-{os.getpid()}-", dir=target.parent))
        mode = stat.S_IMODE(target.stat().st_mode) if target.is_dir() else 0o777 & ~_umask()
        os.chmod(stage, mode)
        if target.is_dir():
            _carry(target, stage)
        yield stage
        with held_signals():
            old = switch(stage, target)
            stage = None
    except OSError as exc:
        raise OutputError(describe_os_error(exc, target)) from None
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        if old is not None:
            with held_signals():
                shutil.rmtree(old, ignore_errors=True)


def write_set(target: Path, files: dict[str, bytes], last: tuple[str, bytes] | None = None) -> list[Path]:
    """Write ``files`` (names relative to ``target``) as one set, ``last`` after every other; return those
    that changed. Nothing is staged or switched when no file changes."""
    target = Path(target)
    everything = dict(sorted(files.items()))
    if last is not None:
        everything[last[0]] = last[1]
    changed = []
    for rel, data in everything.items():
        p = target / rel
        try:
            same = p.is_file() and not p.is_symlink() and p.stat().st_size == len(data) and p.read_bytes() == data
        except OSError:
            same = False
        if not same:
            changed.append(p)
    if not changed:
        check_target(target, writable=False)
        return []
    with staged_set(target) as stage:
        for rel, data in everything.items():
            write_atomic(stage / rel, data)
    return changed


def worker_pool(workers: int):
    """A pool of ``workers`` forked processes that end with this one (:func:`die_with_parent`), or None where
    fewer than two cores or no ``fork`` make one pointless: the caller then does the work itself.

    Forked workers inherit the caller's imports and data, so work is handed over by index or
    small arguments and only results travel back."""
    if workers < 2 or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=die_with_parent, initargs=(os.getpid(),))


def die_with_parent(parent: int) -> None:
    """Initializer of worker processes: end with the process that started them.

    A build or report killed outright (SIGKILL) cannot stop its workers; without this they
    would live on, holding its output pipes open, so that whoever waits for the killed
    process's output would wait forever. Linux only (``prctl(PR_SET_PDEATHSIG)``); elsewhere
    the check of the parent's pid below is all there is."""
    import ctypes
    import signal as _signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, _signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
