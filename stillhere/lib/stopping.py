"""Graceful stops for long-running loops, and only for them.

A loop that sends messages must not be cut off between writing "sending" and
recording the result, so `tick --loop` (and the worker) turns SIGINT and
SIGTERM into a flag it reads between steps. Handlers are process-wide, so
they are installed for the loop's lifetime only and put back on the way out:
a single in-process call (the demo's morning tick, a test, the web) leaves
the process's signal handling exactly as it found it, and Ctrl-C still stops
whatever runs next.
"""

import signal
import threading
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Set when a stop signal arrives; the loop finishes its step and exits."""

    def __init__(self):
        self.signum: int | None = None

    def __bool__(self) -> bool:
        return self.signum is not None

    @property
    def exit_status(self) -> int:
        """The shell's convention for "stopped by signal N": 128 + N."""
        return 128 + self.signum if self.signum else 0


@contextmanager
def graceful_stop(say=lambda line: None):
    """Within the block, SIGINT/SIGTERM set the yielded StopRequest instead of
    killing the process; a second signal stops at once. Outside the main
    thread (where Python cannot install handlers) nothing is installed."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}

    def on_signal(signum, frame):
        if request:
            # Asked twice: the person means it. Restore and re-raise.
            for s, handler in previous.items():
                signal.signal(s, handler)
            signal.raise_signal(signum)
            return
        request.signum = signum
        say(f"{signal.strsignal(signum)}: finishing the step in hand, then stopping.")

    for s in STOP_SIGNALS:
        signal.signal(s, on_signal)
    try:
        yield request
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def sleep_unless_stopped(seconds: float, request: StopRequest, step: float = 0.2) -> None:
    """Sleep between rounds, but wake within `step` seconds of a stop."""
    import time

    end = time.monotonic() + seconds
    while not request and time.monotonic() < end:
        time.sleep(min(step, max(0.0, end - time.monotonic())))


@contextmanager
def terminate_like_interrupt():
    """Within the block, SIGTERM stops the process the way Ctrl-C does.

    A server (the demo's) already stops cleanly on KeyboardInterrupt; a
    supervisor, `kill` or `timeout` sends SIGTERM instead, which should end it
    just as gently. Restored on the way out.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    raised = []

    def on_term(signum, frame):
        if not raised:  # once: a second SIGTERM must not cut the shutdown short
            raised.append(signum)
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
