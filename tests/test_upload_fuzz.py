"""The upload fuzz of issue #11, against the real server on the embedded default (SQLite, fakeredis, a worker):
each hostile file is refused within 5 s (the issue's bound, generous next to the milliseconds it takes) while the
server's RSS grows by less than 100 MB, and another user's reads and writes keep answering meanwhile."""
import secrets
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests import services
from tests.apps import csrf_token_in
from tests.datasets_helpers import jsonl_bytes
from tests.hostile_files import deep_json, deep_jsonl, wide_xlsx, xlsx_bomb

SECONDS = 5.0
RSS_GROWTH_MB = 100


def rss_mb(pid: int) -> float:
    """The process's resident memory, from /proc/<pid>/status (VmRSS, in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def signed_in(base: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    page = client.get("/login").text
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token_in(page)})
    assert r.status_code == 302, r.text[:500]
    return client


def upload(client: httpx.Client, content: bytes, filename: str, name: str) -> httpx.Response:
    token = csrf_token_in(client.get("/datasets/upload").text)
    return client.post("/datasets/upload", data={"name": name, "format": "qa", "subset": "default", "split": "test",
                                                  "csrf_token": token}, files={"file": (filename, content)})


class OtherUser(threading.Thread):
    """Reads pages and uploads small datasets (writes) in a loop until stopped; keeps every status it got."""

    def __init__(self, client: httpx.Client):
        super().__init__(daemon=True)
        self.client, self.stop, self.statuses, self.count = client, threading.Event(), [], 0

    def run(self):
        while not self.stop.is_set():
            self.count += 1
            self.statuses.append(self.client.get("/datasets/").status_code)
            rows = [{"question": f"q{self.count}", "answer": "a"}]
            r = upload(self.client, jsonl_bytes(rows), "ok.jsonl", f"bob {secrets.token_hex(4)}")
            self.statuses.append(r.status_code)


class PeakRss(threading.Thread):
    """Samples the server's VmRSS every 10 ms until stopped."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.stop, self.peak = pid, threading.Event(), rss_mb(pid)

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.01)


HOSTILE = {
    "deep.json": (lambda: deep_json(20_000), "nested deeper than 32 levels"),
    "deep.jsonl": (lambda: deep_jsonl(20_000), "nested deeper than 32 levels"),
    "bomb.xlsx": (lambda: xlsx_bomb(230), "unpacks to 230 MB, more than the limit of 100 MB"),
    "wide.xlsx": (wide_xlsx, "row 100000 has 16384 columns, more than the limit of 512"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with services.embedded_server(tmp_path_factory.mktemp("fuzz")) as (base, proc):
        admin = signed_in(base, "admin", "first-admin-pw")
        token = csrf_token_in(admin.get("/admin/users").text)
        r = admin.post("/admin/users", data={"username": "bob", "password": "bob-password-1", "role": "user",
                                             "csrf_token": token})
        assert r.status_code == 302, r.text[:500]
        yield base, proc, admin
        admin.close()


@pytest.mark.parametrize("filename", list(HOSTILE))
def test_a_hostile_upload_is_refused_fast_and_small_while_others_are_served(server, filename):
    base, proc, attacker = server
    make, message = HOSTILE[filename]
    content = make()
    assert len(content) < 300_000  # small on disk
    bob = signed_in(base, "bob", "bob-password-1")
    other, peak = OtherUser(bob), PeakRss(proc.pid)
    before = rss_mb(proc.pid)
    peak.start()
    other.start()
    started = time.monotonic()
    r = upload(attacker, content, filename, f"hostile {filename}")
    elapsed = time.monotonic() - started
    time.sleep(0.3)  # let the other user's loop go on a little past the refusal
    other.stop.set()
    peak.stop.set()
    other.join(30)
    peak.join(5)
    bob.close()
    assert r.status_code == 422 and message in r.text, r.text[:3000]
    assert elapsed < SECONDS, f"{filename} took {elapsed:.2f}s"
    growth = peak.peak - before
    assert growth < RSS_GROWTH_MB, f"{filename}: RSS grew {growth:.0f} MB"
    assert other.statuses and set(other.statuses) <= {200, 302}, other.statuses
    print(f"{filename}: {len(content)} bytes refused in {elapsed:.3f}s, RSS +{growth:.1f} MB, "
          f"other user {len(other.statuses)} requests {sorted(set(other.statuses))}")
