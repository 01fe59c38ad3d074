"""Appending a benchmark's rows to its results CSV: the header once, when the file is new, and each row flushed as
it is written, so that an interrupted run keeps the rows it finished."""

from __future__ import annotations

import csv
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterable, Iterator


class RowWriter:
    """csv.DictWriter's writerow / writerows, each followed by a flush."""

    def __init__(self, handle: IO[str], columns: list[str]):
        self.handle, self.writer = handle, csv.DictWriter(handle, columns, lineterminator="\n")

    def writerow(self, row: dict) -> None:
        self.writer.writerow(row)
        self.handle.flush()

    def writerows(self, rows: Iterable[dict]) -> None:
        self.writer.writerows(rows)
        self.handle.flush()


@contextmanager
def appending_csv(path: str | Path, columns: list[str]) -> Iterator[RowWriter]:
    """A RowWriter appending to ``path`` (folders created; the header first when the file does not exist yet)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.is_file()
    with path.open("a", newline="") as handle:
        writer = RowWriter(handle, columns)
        if new:
            writer.writer.writeheader()
        yield writer
