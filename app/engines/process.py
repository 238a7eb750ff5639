"""An engine subprocess in its own process group, so cancel and timeout stop the whole tree."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


class EngineProcess:
    """Start ``argv`` in ``cwd`` with stdout+stderr appended to ``log_path``; stop it with its children."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], log_path: Path):
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, cwd=str(cwd), env={**os.environ, **env}, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self._read_pos = 0

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait(self, seconds: float) -> int | None:
        """Wait up to ``seconds`` for the process to exit; its exit code, or None while it runs."""
        try:
            return self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None

    def new_log_lines(self) -> list[str]:
        """Complete lines appended to the log since the last call."""
        with open(self.log_path, "rb") as fh:
            fh.seek(self._read_pos)
            data = fh.read()
        end = data.rfind(b"\n")
        if end < 0:
            return []
        self._read_pos += end + 1
        return data[:end].decode("utf-8", "replace").splitlines()

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM the process group, then SIGKILL whatever is left after ``grace`` seconds."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and self.proc.poll() is None:
                time.sleep(0.1)
            if self.proc.poll() is not None:
                break
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # children that outlived their parent
        except ProcessLookupError:
            pass
        return self.proc.wait()

    def close(self) -> None:
        self._log.close()
