"""`lookgan ui` as a real server process for the load and kill tests, and simulated users over Gradio's client.

:func:`serve` starts ``python -m lookgan ui`` on a free loopback port and waits for its page; :func:`simulate`
runs N users at once (each its own connection, photos and look), one of them training, and returns what they
saw: errors, apply latencies, whether every download held exactly that user's photos graded with that user's
look, and the server's peak memory. ``benchmarks/ui_load.py`` runs the same for longer.
"""
from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except OSError:
        return None


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    work: Path
    log: Path

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def peak_rss_mb(self) -> float:
        """The server process's peak resident memory so far (VmHWM)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def serve(work: Path, *args: str, timeout_s: float = 120) -> Server:
    """``lookgan ui --workdir work`` on a free port, once its page answers."""
    port = free_port()
    log = work.parent / f"server-{port}.log"
    work.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-m", "lookgan", "ui", "--workdir", str(work), "--port", str(port),
                             *args], stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url, started = f"http://127.0.0.1:{port}", time.monotonic()
    while _status(url) != 200:
        if proc.poll() is not None or time.monotonic() - started > timeout_s:
            proc.kill()
            raise RuntimeError(f"lookgan ui did not start: {log.read_text()[-3000:]}")
        time.sleep(0.2)
    return Server(proc=proc, url=url, work=work, log=log)


def client(url: str) -> Any:
    from gradio_client import Client

    return Client(url, verbose=False, download_files=True)


def apply_args(look: str, photos: list[Path]) -> tuple:
    """The Apply button's inputs: look, files, strength, keep colour, portrait (off, 4 sliders), the browser
    token (None: the connection is the session; the moved sliders are page state, not API inputs)."""
    from gradio_client import handle_file

    return (look, [handle_file(str(p)) for p in photos], 1.0, False, False, 1.0, 1.0, 0.0, 0.0, None)


def user_photos(folder: Path, user: int, n: int) -> list[Path]:
    """``n`` photos only this user has (its number in the names and in the pixels)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1000 + user)
    paths = []
    for i in range(n):
        base = rng.integers(30, 220, (6, 8, 3), dtype=np.uint8)
        image = Image.fromarray(base).resize((96, 72), Image.BICUBIC)
        paths.append(folder / f"user{user}-photo{i}.jpg")
        image.save(paths[-1], quality=92)
    return paths


@dataclass
class LoadReport:
    users: int
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    wrong_downloads: list[str] = field(default_factory=list)
    latencies_1photo_s: list[float] = field(default_factory=list)
    training_refusal: str = ""
    training_started: bool = False
    peak_rss_mb: float = float("nan")
    results_leaks: list[str] = field(default_factory=list)
    most_in_line: int = 0
    """The longest line a request saw ahead of it (Gradio's queue, which the page shows as "queue: N/M")."""

    @property
    def p95_s(self) -> float:
        return float(np.percentile(self.latencies_1photo_s, 95)) if self.latencies_1photo_s else float("nan")

    def summary(self) -> dict[str, Any]:
        lat = self.latencies_1photo_s
        return {"users": self.users, "requests": self.requests, "errors": len(self.errors),
                "wrong_downloads": len(self.wrong_downloads), "results_leaks": len(self.results_leaks),
                "apply_1photo_p50_s": round(float(np.median(lat)), 3) if lat else None,
                "apply_1photo_p95_s": round(self.p95_s, 3) if lat else None,
                "server_peak_rss_mb": round(self.peak_rss_mb, 1), "most_requests_waiting": self.most_in_line,
                "second_training_refused": bool(self.training_refusal)}


def _files_of(download: str) -> dict[str, bytes]:
    path = Path(download)
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            return {n: zf.read(n) for n in zf.namelist()}
    return {path.name: path.read_bytes()}


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def simulate(server: Server, looks: dict[str, Path], root: Path, *, users: int = 8, seconds: float = 30,
             min_rounds: int = 2, train_style: list[Path] | None = None, train_kind: str = "dcgan",
             train_steps: int = 30) -> LoadReport:
    """``users`` at once for at least ``min_rounds`` rounds and about ``seconds``: each applies its look
    (``looks`` in turn) to one photo, then to two, downloads the result and checks it against the library's
    own output for exactly its photos; user 0 also starts a training and user 1 tries to start another."""
    import lookgan

    report = LoadReport(users=users)
    names = sorted(looks)
    lock = threading.Lock()
    expected: dict[tuple[int, int], dict[str, np.ndarray]] = {}
    photos = {u: user_photos(root / f"user{u}", u, 2) for u in range(users)}
    for u in range(users):  # what each user must get back: the library's output for its own photos
        look = looks[names[u % len(names)]]
        for n in (1, 2):
            out = lookgan.apply(look, photos[u][:n], out=root / f"expected-{u}-{n}", progress=False)
            expected[(u, n)] = {p.name: _pixels(p.read_bytes()) for p in out}

    def user(u: int) -> None:
        c = client(server.url)
        look = names[u % len(names)]
        if u == 0 and train_style:
            try:
                c.predict([*map(_handle, train_style)], "", None, "", train_kind, "loadtest", train_steps, 0, 0, False,
                          None, api_name="/on_start")
                report.training_started = True
            except Exception as e:  # noqa: BLE001 (a failure is what the report counts)
                with lock:
                    report.errors.append(f"user 0 training: {e}")
        if u == 1 and train_style:
            time.sleep(3)
            try:
                c.predict([*map(_handle, train_style)], "", None, "", train_kind, "second", 5, 0, 0, False, None,
                          api_name="/on_start")
            except Exception as e:  # noqa: BLE001
                report.training_refusal = str(e)
        end, rounds = time.monotonic() + seconds, 0
        while rounds < min_rounds or time.monotonic() < end:
            for n in (1, 2):
                t0 = time.monotonic()
                try:
                    result = _wait_in_line(c.submit(*apply_args(look, photos[u][:n]), api_name="/on_apply"),
                                           report, lock)
                except Exception as e:  # noqa: BLE001
                    with lock:
                        report.errors.append(f"user {u}: {type(e).__name__}: {e}")
                    continue
                elapsed = time.monotonic() - t0
                got = {k: _pixels(v) for k, v in _files_of(result[5]).items()}
                want = expected[(u, n)]
                ok = sorted(got) == sorted(want) and all(np.array_equal(got[k], want[k]) for k in want)
                with lock:
                    report.requests += 1
                    if n == 1:
                        report.latencies_1photo_s.append(elapsed)
                    if not ok:
                        report.wrong_downloads.append(f"user {u}: got {sorted(got)}, wanted {sorted(want)}")
            rounds += 1
        listed = c.predict(None, api_name="/show")[1] or []
        leaks = [_path_of(f) for f in listed
                 if not all(name.startswith(f"user{u}-") for name in _files_of(_path_of(f)))]
        with lock:
            report.results_leaks.extend(f"user {u} sees {x}" for x in leaks)

    threads = [threading.Thread(target=user, args=(u,)) for u in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report.peak_rss_mb = server.peak_rss_mb()
    return report


def _wait_in_line(job: Any, report: LoadReport, lock: threading.Lock) -> Any:
    """A submitted request's result, noting the longest queue it was told it waited in."""
    while not job.done():
        status = job.status()
        rank = getattr(status, "rank", None)
        if rank is not None:
            with lock:
                report.most_in_line = max(report.most_in_line, int(rank) + 1)
        time.sleep(0.05)
    return job.result()


def _handle(path: Path) -> Any:
    from gradio_client import handle_file

    return handle_file(str(path))


def _path_of(item: Any) -> str:
    return item if isinstance(item, str) else item.get("path") or item.get("name") or str(item)
