"""Writing an export to a file: under a temporary name beside it, renamed over the file
only when complete, and never over something that is not a regular file."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from archive.errors import ExportTargetError
from archive.export.formats import ExportResult, export

if TYPE_CHECKING:
    from sqlite_utils import Database

    from archive.export.selection import Selection

# What a file type is called in the refusal; anything else that is not a regular file
# is "a special file".
_FILE_KINDS = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


def refuse_special_target(target: Path) -> None:
    """Refuse an export file name that exists and is not a regular file.

    The export is renamed over its target when complete: over a device (``/dev/null`` as
    root), a FIFO, a socket or a symbolic link that would replace the node itself (or the
    link rather than the file it names), never what the user meant. lstat, so a link is
    seen as a link, whatever it points to.

    :param target: the ``--out`` path
    :raises ExportTargetError: the target is not a regular file
    """
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ExportTargetError(f"cannot write {target}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(mode):
        kind = _FILE_KINDS.get(stat.S_IFMT(mode), "a special file")
        raise ExportTargetError(
            f"cannot write {target}: it is {kind}, not a regular file; not replacing it"
        )


def export_to_file(
    db: Database, fmt: str, path: str | Path, selection: Selection | None = None
) -> ExportResult:
    """:func:`archive.export.export` into the file ``path``: written as ``.NAME.partial``
    beside it and renamed over it when complete, so a reader never sees half an export
    and a failed one leaves the old file as it was.

    :raises ExportTargetError: ``path`` is not a regular file, or cannot be written
    """
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    refuse_special_target(target)  # before a byte is written
    try:
        # a fresh file of our own: a stale partial left where the export goes (a link, a
        # FIFO) is removed rather than written through
        partial.unlink(missing_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with os.fdopen(os.open(partial, flags, 0o666), "wb") as stream:
            result = export(db, fmt, stream, selection)
        refuse_special_target(target)  # it may have changed during a long export
        partial.replace(target)
    except ExportTargetError:
        raise
    except OSError as exc:
        raise ExportTargetError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return result
