"""Publish an output folder in one step: all of the new run, or none of it.

A run builds its whole output in a hidden folder beside OUT, then exchanges the two in one atomic
rename (Linux renameat2 RENAME_EXCHANGE) and removes the old one. A run that fails, is killed or
finds the disk full leaves OUT exactly as the last good run left it; its unfinished build folder is
removed then, or by the next run. A lock beside OUT keeps two runs from writing it at once; it is
removed when the run ends.

Only a folder this package made (it holds MARKER) or an empty one is ever replaced, so a mistyped
--out never deletes someone's files.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import json
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from typing import Iterator

from cdisc_mirocals import __version__
from cdisc_mirocals.errors import MirocalsError
from cdisc_mirocals.submission.atomic import umask

MARKER = ".cdisc-mirocals"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class OutputError(MirocalsError):
    """The output folder cannot be written, is in use, or is not ours to replace."""


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False where the system cannot (then the caller falls back)."""
    libc_name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    """Everything built is on disk before it becomes visible."""
    for root, dirs, files in os.walk(folder):
        for name in files:
            _fsync(os.path.join(root, name))
        _fsync(root)


def _check_replaceable(out: Path) -> None:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputError(f"{out}: the output must be a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise OutputError(f"{out}: this folder holds files that cdisc-mirocals did not write; choose a new or "
                          "empty folder for --out (a run replaces its output folder as a whole)")


def _clean_stale(parent: Path, name: str) -> None:
    """Build and old folders left by killed runs (we hold the lock, so none is in use)."""
    for stale in parent.glob(f".{name}.build-*"):
        shutil.rmtree(stale, ignore_errors=True)
    old = sorted(parent.glob(f".{name}.old-*"))
    out = parent / name
    if old and not out.exists():  # killed between the two renames of the fallback: restore
        os.rename(old[-1], out)
        old = old[:-1]
    for stale in old:
        shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def _locked(parent: Path, name: str) -> Iterator[None]:
    """An exclusive lock on `.NAME.lock` beside OUT, removed when the run ends.

    The file is unlinked while still locked, so a run that opened it meanwhile holds a lock on a name
    that no longer exists: after taking the lock each run checks that its file is still the one at the
    path, and starts again if not. Two runs therefore never both hold the lock, and none is left behind."""
    lock_path = parent / f".{name}.lock"
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666 & ~umask())
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputError(f"{parent / name}: another cdisc-mirocals run is writing this folder "
                              f"(lock {lock_path.name}); wait for it to finish, or choose another --out") from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock_path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the run that held it removed it: lock the file now at the path
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock_path)
        os.close(fd)


def check_not_current(out: str | Path) -> None:
    """OUT is replaced whole, so it cannot be the current folder or one that holds it: the shell that ran
    the command would be left in a removed folder."""
    out = Path(os.path.abspath(out))
    try:
        here = Path.cwd()
    except FileNotFoundError:
        return
    if out == here or out in here.parents:
        raise OutputError(f"{out}: the output folder is replaced whole when a run ends, so it cannot be the current "
                          "folder or a folder that holds it; name a folder inside it, such as --out ./out")


@contextlib.contextmanager
def publishing(out: str | Path) -> Iterator[Path]:
    """Yield an empty build folder; on success it replaces `out` whole, on any error `out` is untouched."""
    out = Path(os.path.abspath(out))
    check_not_current(out)
    parent, name = out.parent, out.name
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with _locked(parent, name):
            _clean_stale(parent, name)
            _check_replaceable(out)
            with _signals_held():  # a Ctrl-C between the folder's making and the `try` would leave it behind
                build = Path(tempfile.mkdtemp(prefix=f".{name}.build-", dir=parent))
            try:
                _release_signals()
                os.chmod(build, 0o777 & ~umask())
                yield build
                (build / MARKER).write_text(json.dumps({"tool": "cdisc-mirocals", "version": __version__}) + "\n")
                _fsync_tree(build)
                _replace(build, out)
                _fsync(parent)  # the swap itself survives a power cut
            finally:
                shutil.rmtree(build, ignore_errors=True)
    except OSError as exc:
        raise OutputError(f"{_where(exc, out)}: {exc.strerror or exc}; {out} is left as it was") from None


HELD = {signal.SIGINT, signal.SIGTERM}


def _can_hold() -> bool:
    return hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _signals_held():
    """SIGINT and SIGTERM held back (where the platform can) until _release_signals: one that arrives
    meanwhile is delivered there, inside the `try` that removes the build folder."""
    if _can_hold():
        signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
    try:
        yield
    except BaseException:
        _release_signals()
        raise


def _release_signals() -> None:
    if _can_hold():
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD)


def _where(exc: OSError, out: Path) -> str:
    """The file the error is about; one being built is named by its place in OUT, which the user knows
    (the hidden build folder is removed by then)."""
    if not exc.filename:
        return str(out)
    path = Path(os.fsdecode(exc.filename))
    build = next((p for p in path.parents if p.parent == out.parent and p.name.startswith(f".{out.name}.build-")),
                 None)
    return f"{out / path.relative_to(build)} (being written)" if build else str(path)


def _replace(build: Path, out: Path) -> None:
    """`out` becomes the build; the previous `out`, if any, ends up at `build` to be removed."""
    if not out.exists():
        os.rename(build, out)
        return
    if _exchange(build, out):
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    os.rename(out, old)
    os.rename(build, out)
    os.rename(old, build)
