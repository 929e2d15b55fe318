"""Ctrl-C and SIGTERM stop the demo and the tick loop, as a person expects.

These start the real `stillhere` command in its own process, wait until it
says it is up, send the signal and time how long it takes to go.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from django.core.management import call_command

EXIT_OK = {0, 130, 143, -signal.SIGINT, -signal.SIGTERM}
STILLHERE = [sys.executable, "-m", "stillhere.cli"]


def _env(data_dir: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DB_NAME")}
    env.update(STILLHERE_DATA_DIR=data_dir, PYTHONUNBUFFERED="1")
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_and_wait(proc, signum) -> tuple[int, float]:
    proc.send_signal(signum)
    t0 = time.monotonic()
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"still running 10 s after {signal.strsignal(signum)}; it said:\n{out}")
    return proc.returncode, time.monotonic() - t0, out


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_demo_stops_on_a_signal_with_a_goodbye(signum):
    port = _free_port()
    with tempfile.TemporaryDirectory() as data:
        proc = subprocess.Popen([*STILLHERE, "demo", "--clients", "40", "--clinicians", "2",
                                 "--addr", f"127.0.0.1:{port}"], env=_env(data), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.communicate()[0]
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except urllib.error.HTTPError:  # any answer means it is serving
                break
            except OSError:
                assert time.monotonic() < deadline, "the demo did not start serving within 2 minutes"
                time.sleep(0.5)
        status, took, out = _stop_and_wait(proc, signum)
    assert status in EXIT_OK, out
    assert took < 10
    assert "Goodbye" in out
    assert "Traceback" not in out


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_tick_loop_finishes_its_round_and_stops_on_a_signal(signum):
    with tempfile.TemporaryDirectory() as data:
        subprocess.run([*STILLHERE, "migrate", "-v0"], env=_env(data), check=True, timeout=300)
        proc = subprocess.Popen([*STILLHERE, "tick", "--loop", "--interval", "30"], env=_env(data), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        first = proc.stdout.readline()
        assert "running every 30 s" in first, first
        status, took, out = _stop_and_wait(proc, signum)
    # It was asleep between rounds: it must wake and go, not sleep out the 30 s.
    assert status in EXIT_OK, out
    assert took < 10
    assert "finishing the step in hand" in out
    assert "unit(s) of work done" in out
    assert "Traceback" not in out


@pytest.mark.django_db
def test_a_single_tick_in_process_leaves_the_signal_handlers_as_they_were():
    def mine(signum, frame):
        pass

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGTERM, mine)
    try:
        expected = {signal.SIGINT: signal.getsignal(signal.SIGINT), signal.SIGTERM: mine}
        call_command("tick", stdout=open(os.devnull, "w"))
        assert {s: signal.getsignal(s) for s in expected} == expected
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def test_a_loop_puts_the_handlers_back_when_it_ends():
    from stillhere.lib.stopping import graceful_stop

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with graceful_stop() as stop:
        assert signal.getsignal(signal.SIGINT) is not before[signal.SIGINT]
        signal.raise_signal(signal.SIGTERM)
        assert stop and stop.exit_status == 143
    assert {s: signal.getsignal(s) for s in before} == before
