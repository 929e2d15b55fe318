"""The kinds of input an import can read, each streaming batches for the writer."""

from pathlib import Path

from . import csv_generic
from .mapping import Mapping


class CsvSource:
    """appointments.csv with, optionally, clients.csv and measures.csv (clients first)."""

    kind = "csv"

    def __init__(self, appointments=None, clients=None, measures=None, mapping: Mapping | None = None,
                 names: dict | None = None):
        self.files = [(t, Path(p)) for t, p in (("clients", clients), ("appointments", appointments),
                                                 ("measures", measures)) if p]
        self.mapping = mapping or Mapping()
        self.names = names or {}  # table -> the name the user knows the file by (web uploads)

    def label(self, table, path) -> str:
        return self.names.get(table) or path.name

    def labels(self):
        return [self.label(t, p) for t, p in self.files]

    def paths(self):
        return [p for _, p in self.files]

    def batches(self, practice, report, tracker):
        for table, path in self.files:
            label = self.label(table, path)
            for batch in csv_generic.read(path, table, self.mapping, practice.tz, report, label, tracker):
                yield table, label, batch
