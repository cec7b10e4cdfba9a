"""reprint's archive library: one clean copy of each syndicated story, with every place
it ran, in SQLite.

The public entry point is :class:`Archive` (see the README, "Python API")::

    from archive import Archive

    with Archive("archive.db") as a:
        for hit in a.search("lantern house"):
            print(hit.title, a.copies(hit.id))
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("reprint")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from archive.api import Archive

__all__ = ["Archive", "__version__"]


def __getattr__(name: str) -> object:
    # Archive is imported on first use, not with the package: `import archive.db` (the
    # crawler, the CLI) then stays as light as it was, with no export or feed code.
    if name == "Archive":
        from archive.api import Archive

        return Archive
    raise AttributeError(f"module 'archive' has no attribute {name!r}")
