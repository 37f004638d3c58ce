"""Output paths of the command line: never one of the inputs, written all at once.

:func:`refuse_inputs` refuses an output that is one of the inputs, whatever path leads to it (the same
name, a relative path, a symbolic link, a hard link). :func:`atomic_write` writes a file under a hidden
temporary name in the same directory and renames it over the destination only once complete, so that a
reader never sees half a file and an interrupted command leaves the previous file as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


class SamePathError(ValueError):
    """An output path names one of the command's inputs."""


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when ``a`` and ``b`` are the same file: the same inode (links included), or, when one does not
    exist yet, the same resolved path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_inputs(output: str | os.PathLike, inputs: dict[str, str | os.PathLike]) -> None:
    """Raise :class:`SamePathError` when ``output`` is the same file as one of ``inputs`` (name -> path)."""
    for name, path in inputs.items():
        if path is not None and same_file(output, path):
            raise SamePathError(
                f"the output {os.fspath(output)!r} is the {name} {os.fspath(path)!r}: it would be overwritten; "
                "write to another file."
            )


def atomic_write(path: str | os.PathLike, write: Callable[[str], object]) -> Path:
    """Call ``write(temporary_path)``, then move the complete file over ``path`` (through a symbolic link,
    to its target). On any error, or Ctrl-C, the temporary file is removed and ``path`` is untouched."""
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    directory = target.parent if str(target.parent) else Path(".")
    # the destination's suffixes come last, so that a writer inferring the format (".csv.gz") sees them
    suffix = ".tmp" + "".join(target.suffixes)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=directory)
    os.close(fd)
    try:
        write(tmp)
        try:
            mode = os.stat(target).st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o666 & ~umask()
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def umask() -> int:
    """The process's umask, read without changing it where the system says (Linux), else set and restored."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # pragma: no cover - not Linux
    os.umask(mask)  # pragma: no cover
    return mask  # pragma: no cover
