"""What an import found and did, for the person who ran it.

A report is printed by the CLI, shown by the web upload and written as JSON
(`--report out.json`). Problems name the file, line, column and reason so the
file can be fixed. The value itself is masked (its length only): a bad cell
is as often a name, an email or a birth date as a typo, and a report is
printed to terminals, kept with a web import and mailed around. The audit
trail only ever gets the counts.
"""

from dataclasses import asdict, dataclass, field

MAX_LISTED = 1000  # a broken 1M-row file should not make a 1M-line report


@dataclass
class Problem:
    file: str
    line: int | None
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = self.file + (f" line {self.line}" if self.line else "")
        plain = self.column and "/" not in self.column and not self.column.startswith("event")
        col = f", column {self.column}" if plain else f", {self.column}" if self.column else ""
        val = f" {self.value}" if self.value else ""
        return f"{where}{col}{val}: {self.reason}"


def clip(value, n: int = 80) -> str:
    s = "" if value is None else str(value).replace("\x00", "\\0")
    return s if len(s) <= n else s[: n - 1] + "…"


def mask(value) -> str:
    """What a report may say of a value: that there was one, and its length."""
    s = "" if value is None else str(value)
    if not s.strip():
        return ""
    return f"(value hidden, {len(s)} character{'s' if len(s) != 1 else ''})"


@dataclass
class ImportReport:
    kind: str
    files: list[str] = field(default_factory=list)
    dry_run: bool = False
    status: str = "pending"  # imported, rejected, checked (dry run)
    counts: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    unknown_columns: dict = field(default_factory=dict)
    ignored_columns: dict = field(default_factory=dict)
    skipped: list[Problem] = field(default_factory=list)
    skipped_count: int = 0
    new_clinicians: list[dict] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    warning_count: int = 0
    noshow_scored: int = 0      # booked appointments given a no-show risk at once
    returns_inferred: int = 0   # new episodes begun after a long silence (silence.py)
    rescanned: int = 0          # clients whose states were brought up to date at once (-1: the rescan failed)

    @property
    def failed(self) -> bool:
        return self.problem_count > 0

    def problem(self, file, line, column, value, reason) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(Problem(clip(file), line, clip(column), mask(value), reason))

    def skip(self, file, line, column, value, reason) -> None:
        """A record deliberately left out (not an error), e.g. a lunch break in a calendar."""
        self.skipped_count += 1
        if len(self.skipped) < MAX_LISTED:
            self.skipped.append(Problem(clip(file), line, clip(column), mask(value), reason))

    def warn(self, file, line, column, value, reason) -> None:
        """Something imported as the file says, but that a person should
        look at: it does not stop the import."""
        self.warning_count += 1
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append(Problem(file, line, column, clip(value), reason))

    def count(self, table: str, outcome: str, n: int = 1) -> None:
        if n:
            t = self.counts.setdefault(table, {"created": 0, "updated": 0, "unchanged": 0})
            t[outcome] = t.get(outcome, 0) + n

    def totals(self) -> dict:
        """Counts only: safe for the audit trail."""
        return {"counts": self.counts, "problems": self.problem_count, "skipped": self.skipped_count,
                "warnings": self.warning_count, "new_clinicians": len(self.new_clinicians)}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["problems_listed"] = len(self.problems)
        return d

    def lines(self) -> list[str]:
        """The report as a person reads it."""
        out = []
        head = {"imported": "Imported", "rejected": "Nothing was imported",
                "checked": "Checked (dry run, nothing written)"}
        out.append(f"{head.get(self.status, self.status)}: {', '.join(self.files) or self.kind}")
        for table, c in self.counts.items():
            out.append(f"  {table:<13} {c.get('created', 0):,} new, {c.get('updated', 0):,} changed, "
                       f"{c.get('unchanged', 0):,} unchanged")
        if self.new_clinicians:
            out.append("New clinicians (accounts without a password, to be invited):")
            out += [f"  {c['name'] or c['email']}" + (f" <{c['email']}>" if c["email"] and c["name"] else "")
                    for c in self.new_clinicians]
        for f, cols in self.unknown_columns.items():
            out.append(f"Unknown columns in {f} (not imported): {', '.join(cols)}")
        for f, cols in self.ignored_columns.items():
            out.append(f"Columns in {f} that stillhere works out itself (ignored): {', '.join(cols)}")
        if self.returns_inferred:
            n = self.returns_inferred
            out.append(f"{n:,} return{'s' if n != 1 else ''} after a long silence: a new episode each, the "
                       "earlier one counted as ended without goodbye on the day of its last session")
        if self.noshow_scored:
            out.append(f"No-show risk worked out for {self.noshow_scored:,} booked appointment"
                       f"{'s' if self.noshow_scored != 1 else ''}")
        if self.warning_count:
            out.append(f"{self.warning_count:,} thing{'s' if self.warning_count != 1 else ''} to check "
                       "(imported as the file says):")
            out += [f"  {w}" for w in self.warnings[:50]]
            if self.warning_count > 50:
                out.append(f"  … and {self.warning_count - 50:,} more (see --report)")
        if self.skipped_count:
            out.append(f"Skipped {self.skipped_count:,} records:")
            out += [f"  {s}" for s in self.skipped[:20]]
            if self.skipped_count > 20:
                out.append(f"  … and {self.skipped_count - 20:,} more (see --report)")
        if self.problem_count:
            out.append(f"{self.problem_count:,} problems; fix them and import again:")
            out += [f"  {p}" for p in self.problems[:50]]
            if self.problem_count > 50:
                out.append(f"  … and {self.problem_count - 50:,} more (see --report)")
        return out
