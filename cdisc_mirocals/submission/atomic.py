"""Write a file completely or not at all: a temporary file in the same folder, then a rename.
The file gets the permissions the umask gives any new file (mkstemp alone would make it 0600).

A failed write names the file it was writing: Python's own write errors carry no file name, and a
writer library (pyreadstat's "Unable to write data") hides the system's reason, which is then read
back from the file system: a full disk, or the per-file size limit (ulimit -f).
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import shutil
import tempfile
from pathlib import Path

FULL_DISK_BYTES = 1 << 20  # less free space than this after a failed write: the disk is full


def umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _size_limit() -> str:
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return "" if limit == resource.RLIM_INFINITY else f" (the size limit of one file, ulimit -f, is {limit} bytes)"


def _named(exc: BaseException, path: Path, tmp: str) -> OSError | None:
    """The OSError to raise instead of `exc`, naming `path` and the reason; None to let `exc` through."""
    if isinstance(exc, OSError):
        if exc.errno == errno.EFBIG:
            return OSError(errno.EFBIG, os.strerror(errno.EFBIG) + _size_limit(), str(path))
        return None if exc.filename else OSError(exc.errno, exc.strerror or str(exc), str(path))
    if not isinstance(exc, Exception):
        return None  # KeyboardInterrupt, SystemExit
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    with contextlib.suppress(OSError):
        if limit != resource.RLIM_INFINITY and os.path.getsize(tmp) >= limit:
            return OSError(errno.EFBIG, os.strerror(errno.EFBIG) + _size_limit(), str(path))
        free = os.statvfs(path.parent)
        if free.f_bavail * free.f_frsize < FULL_DISK_BYTES:
            return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    return None


def _discard(tmp: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb", encoding: str | None = "utf-8"):
    """Yield a file handle; on success the file replaces `path`, on any error `path` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding,
                       **({} if "b" in mode else {"newline": ""})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
    except BaseException as exc:
        named = _named(exc, path, tmp)
        _discard(tmp)
        if named is not None:
            raise named from exc
        raise


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path for writers that take a file name (pyreadstat); rename it on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
    except BaseException as exc:
        named = _named(exc, path, tmp)
        _discard(tmp)
        if named is not None:
            raise named from exc
        raise


def copy_tree(src: str | Path, dst: str | Path) -> Path:
    """Copy a folder as new files: their contents, with the permissions the umask gives, as for any file
    the run writes (shutil.copytree alone would carry the source's permissions over)."""
    dst = Path(dst)
    shutil.copytree(src, dst, copy_function=shutil.copyfile)
    mode = 0o777 & ~umask()
    for folder in [dst, *(p for p in dst.rglob("*") if p.is_dir())]:
        os.chmod(folder, mode)
    return dst
