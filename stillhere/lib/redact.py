"""Errors told without the data they carry.

An exception's message is often made of the data that caused it: a mail
library quotes the address it refused, a database quotes the duplicate key,
a parser quotes the line. With client data that message must not reach a
terminal, a log file or a monitoring service. What is kept is enough to find
the defect: the exception's class and the traceback's files, lines and code
(our source, not our data).

`STILLHERE_SHOW_ERRORS=1` prints full messages, for a developer on their own
machine with demo data.
"""

import logging
import os
import re
import traceback

WITHHELD = "(message withheld: it may hold client data; set STILLHERE_SHOW_ERRORS=1 on a test machine to see it)"
QUERY = re.compile(r"\?[^\s\"']*")


def showing_errors() -> bool:
    return os.environ.get("STILLHERE_SHOW_ERRORS") == "1"


def safe_traceback(exc: BaseException) -> str:
    if showing_errors():
        return "".join(traceback.format_exception(exc))
    tb = "".join(traceback.format_tb(exc.__traceback__))
    return f"Traceback (most recent call last):\n{tb}{exc.__class__.__name__} {WITHHELD}\n"


class RedactingFormatter(logging.Formatter):
    """Log lines with tracebacks but without exception messages, and web
    addresses without their query strings (a search for a name, `?q=...`,
    must not land in the access log)."""

    def formatException(self, ei):
        return safe_traceback(ei[1]).rstrip("\n") if ei and ei[1] else super().formatException(ei)

    def formatMessage(self, record):
        text = super().formatMessage(record)
        return text if showing_errors() else QUERY.sub("?…", text)
