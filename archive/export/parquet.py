"""Parquet (zstd): export records with tags and places as nested lists."""

from __future__ import annotations

import json
import queue
import threading
from typing import TYPE_CHECKING, Any, BinaryIO

from archive.export.records import FIELDS, PLACE_FIELDS
from archive.export.selection import Selection, run_selection
from archive.settings import EXPORT_CHUNK_ROWS, PARQUET_ROW_GROUP_ROWS

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlite_utils import Database


def _scalar_columns() -> str:
    return ", ".join(f"{f.sql} AS [{f.name}]" for f in FIELDS)


def arrow_schema() -> pa.Schema:
    """The Parquet schema of export records (nested lists for tags and places)."""
    import pyarrow as pa

    place = pa.struct(
        [(name, pa.bool_() if name == "representative" else pa.string()) for name in PLACE_FIELDS]
    )
    types = {
        "int": pa.int64(),
        "str": pa.string(),
        "bool": pa.bool_(),
        "tags": pa.list_(pa.string()),
        "places": pa.list_(place),
    }
    return pa.schema([(f.name, types[f.kind]) for f in FIELDS])


class _Tell:
    """A write-only stream that knows its position, for Parquet on a pipe (stdout)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.position = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self.raw.write(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        self.raw.flush()

    def close(self) -> None:
        self.closed = True  # the caller's stream stays open

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


class _InBackground:
    """Apply ``fn`` to submitted items in a second thread, one item behind the caller.

    Arrow encodes and compresses a row group without holding the GIL, so on two cores it
    runs while Python builds the next group from SQLite rows.
    """

    _DONE = object()

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.items: queue.Queue[Any] = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="reprint-export", daemon=True)

    def _run(self) -> None:
        while (item := self.items.get()) is not self._DONE:
            if self.error is None:  # after a failure keep draining, so submit() never blocks
                try:
                    self.fn(item)
                except BaseException as exc:  # re-raised in the caller's thread
                    self.error = exc

    def submit(self, item: Any) -> None:
        if self.error is not None:
            raise self.error
        self.items.put(item)

    def __enter__(self) -> _InBackground:
        self.thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        self.items.put(self._DONE)
        self.thread.join()
        if self.error is not None and exc_type is None:
            raise self.error


def write(db: Database, selection: Selection, upto: int, out: BinaryIO) -> int:
    """Parquet (zstd), row groups of :data:`~archive.settings.PARQUET_ROW_GROUP_ROWS`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()
    loads: dict[str, Any] = {"tags": json.loads, "places": json.loads, "bool": bool}
    convert = [loads.get(f.kind) for f in FIELDS]
    rows = run_selection(db, selection, upto, _scalar_columns())
    count = 0
    sink = pa.PythonFile(_Tell(out), mode="w")
    with (
        pq.ParquetWriter(sink, schema, compression="zstd") as writer,
        _InBackground(writer.write_batch) as background,
    ):
        columns: list[list[Any]] = [[] for _ in FIELDS]
        while chunk := rows.fetchmany(EXPORT_CHUNK_ROWS):
            for row in chunk:
                for column, to_python, value in zip(columns, convert, row, strict=True):
                    column.append(value if to_python is None or value is None else to_python(value))
            count += len(chunk)
            if len(columns[0]) >= PARQUET_ROW_GROUP_ROWS:
                background.submit(pa.record_batch(columns, schema=schema))
                columns = [[] for _ in FIELDS]
        if columns[0]:
            background.submit(pa.record_batch(columns, schema=schema))
    return count
