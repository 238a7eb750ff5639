"""An engine subprocess in its own process group, so cancel and timeout stop the whole tree, with a clean
environment: third-party code never sees the app's secrets (SECRET_KEY, DATABASE_URL, REDIS_URL, ...)."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


#: What an engine inherits from the worker's environment; everything else it needs comes with its ``Launch``.
ALLOWED = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "USER", "LOGNAME", "SHELL",
           "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
           "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "VIRTUAL_ENV", "HF_HOME", "MODELSCOPE_CACHE")


def engine_environment(extra: dict[str, str], base=None) -> dict[str, str]:
    """The allow-listed part of ``base`` (the worker's environment) plus ``extra`` (the run's own keys)."""
    base = os.environ if base is None else base
    env = {k: v for k, v in base.items() if k in ALLOWED or k.startswith("LC_")}
    env.update(extra)
    return env


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it the moment the worker that started it dies (Linux), so an engine
    never outlives its worker and answers nobody will store."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the driver's own lifeline thread stops it within a second


class EngineProcess:
    """Start ``argv`` in ``cwd`` with stdout+stderr appended to ``log_path``; stop it with its children."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], log_path: Path):
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, cwd=str(cwd), env=engine_environment(env), stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                     preexec_fn=_die_with_parent)
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
