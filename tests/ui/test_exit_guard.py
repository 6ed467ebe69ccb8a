"""`lookgan ui` ends its process after Ctrl-C even when something keeps the interpreter alive (ui.exit_guard)."""
from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGALRM is POSIX")


def _run(body: str) -> subprocess.CompletedProcess:
    """Run ``body`` in a fresh interpreter; a guard that failed to end it fails here (TimeoutExpired)."""
    code = "import threading, time\nfrom lookgan import ui\n" + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_a_thread_that_never_ends_is_shown_and_the_process_exits():
    done = _run("""
        def stuck_forever():
            time.sleep(3600)

        threading.Thread(target=stuck_forever, name="stuck").start()  # not a daemon: exit would wait for it
        ui.exit_guard(1.0)
        print("app stopped")
    """)
    assert done.returncode == 1, done
    assert "app stopped" in done.stdout
    assert "stuck_forever" in done.stderr  # where it hung, for the bug report


def test_a_hang_where_python_cannot_report_still_ends_in_the_alarm():
    done = _run("""
        import faulthandler, signal
        ui.exit_guard(1.0)
        faulthandler.cancel_dump_traceback_later()  # as if Python could no longer report (native teardown)
        time.sleep(3600)
    """)
    assert done.returncode == -signal.SIGALRM, done  # SIGALRM, two grace periods later


def test_a_process_that_exits_by_itself_is_left_alone():
    done = _run("""
        ui.exit_guard(30.0)
        print("bye")
    """)
    assert done.returncode == 0 and done.stdout.strip() == "bye", done
