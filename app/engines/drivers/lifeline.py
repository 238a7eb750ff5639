"""Shared by the driver scripts (imported from their own directory, never through the ``app`` package)."""
from __future__ import annotations

import os
import signal
import threading
import time


def exit_with_parent() -> None:
    """Stop this process group when the worker that started it dies (SIGKILL), so no orphan keeps writing."""
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os.killpg(os.getpgid(0), signal.SIGKILL)
    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
