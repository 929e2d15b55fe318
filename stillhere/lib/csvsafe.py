"""CSV that a spreadsheet opens as data, never as formulas.

A cell that starts with =, +, -, @, a tab or a carriage return is run as a
formula by Excel, LibreOffice and Google Sheets (`=HYPERLINK(...)` in a
clinician's name imported from a file, say). Such text cells get a leading
apostrophe, which spreadsheets show as nothing (OWASP's advice for CSV
injection). Numbers are written as they are.
"""

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    def __init__(self, f, **kw):
        self._w = csv.writer(f, **kw)

    def writerow(self, row):
        return self._w.writerow([safe_cell(v) for v in row])
