"""Child processes that end with their parent, even when the parent is killed with SIGKILL.

A pool or a ``multiprocessing.Process`` cleans up its children when the parent exits normally;
killed, the parent cleans up nothing, and a child blocked on a queue lives on.  Call
:func:`end_with_parent` first thing in the child (a pool's ``initializer``, a process's target).
"""

import ctypes
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends
PARENT_POLL = 1.0  # seconds between a child's looks at its parent


def end_with_parent(parent: int) -> None:
    """In a child of ``parent`` (its pid, taken before the fork): end when the parent ends.

    On Linux the kernel sends SIGKILL when the parent goes; elsewhere, and should that signal be
    lost, a thread notices within a second that the child was handed to another parent.
    """
    if sys.platform == "linux":
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the thread below does it
            pass
    if os.getppid() != parent:  # gone already, before the signal was asked for
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="parent-watch").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    os._exit(1)
