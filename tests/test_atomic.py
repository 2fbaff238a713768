"""atomic_write / atomic_path: a failed write names its file and the system's reason, even when a writer
library hides it, and leaves nothing behind."""

import errno
import os
from types import SimpleNamespace

import pytest

from cdisc_mirocals.submission import atomic
from cdisc_mirocals.submission.atomic import atomic_path, atomic_write


def test_a_python_write_error_names_the_file(tmp_path):
    with pytest.raises(OSError) as info:
        with atomic_write(tmp_path / "a.csv", "w"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as file.write raises it: no file name
    assert (info.value.errno, info.value.filename) == (errno.ENOSPC, str(tmp_path / "a.csv"))
    assert list(tmp_path.iterdir()) == []


def test_a_library_error_on_a_full_disk_becomes_no_space_left(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic.os, "statvfs", lambda path: SimpleNamespace(f_bavail=3, f_frsize=4096))
    with pytest.raises(OSError) as info:
        with atomic_path(tmp_path / "lb.xpt") as tmp:
            tmp.write_bytes(b"x" * 100)
            raise RuntimeError("Unable to write data")  # ReadStat's words, without the reason
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(tmp_path / "lb.xpt")
    assert isinstance(info.value.__cause__, RuntimeError)
    assert list(tmp_path.iterdir()) == []


def test_a_library_error_with_room_on_the_disk_is_left_as_it_is(tmp_path):
    with pytest.raises(RuntimeError, match="a bug"):
        with atomic_path(tmp_path / "lb.xpt"):
            raise RuntimeError("a bug")
    assert list(tmp_path.iterdir()) == []


def test_copy_tree_gives_new_files_the_umask_s_permissions(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "a.csv").write_text("x\n")
    os.chmod(src / "sub" / "a.csv", 0o644)
    old = os.umask(0o077)
    try:
        atomic.copy_tree(src, tmp_path / "dst")
    finally:
        os.umask(old)
    assert (tmp_path / "dst" / "sub" / "a.csv").read_text() == "x\n"
    assert {oct(p.stat().st_mode & 0o777) for p in [tmp_path / "dst", *(tmp_path / "dst").rglob("*")]} == \
        {"0o700", "0o600"}
