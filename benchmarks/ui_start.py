"""How long `lookgan ui` takes from the command to a page that answers, and how long `lookgan --help`,
`lookgan train --help` and `lookgan train lut --help` take (the kinds' descriptions from their cache).

Starts the real command several times (fresh process each time, an empty work folder) and polls the page every
50 ms until it answers HTTP 200. The goal is under 5 s on a 2-core CPU. For scale, the same run times
`python -c "import torch"` (what the app avoids loading before it serves) and `import gradio`.

    python benchmarks/ui_start.py --runs 5 --json docs/results/ui_start.json
"""
from __future__ import annotations

import argparse
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _emit import emit  # noqa: E402


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_to_page(timeout: float = 60.0) -> float:
    port = _port()
    with tempfile.TemporaryDirectory() as work:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "lookgan", "ui", "--workdir", work, "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while time.perf_counter() - t0 < timeout:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                        if r.status == 200:
                            return time.perf_counter() - t0
                except OSError:
                    time.sleep(0.05)
            raise RuntimeError("lookgan ui did not answer")
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)


def time_command(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    time_to_page()  # warm the file cache once; not counted
    page = [time_to_page() for _ in range(args.runs)]
    help_s = [time_command([sys.executable, "-m", "lookgan", "--help"]) for _ in range(args.runs)]
    time_command([sys.executable, "-m", "lookgan", "train", "--help"])  # fills the kinds' cache once; not counted
    train_help = [time_command([sys.executable, "-m", "lookgan", "train", "--help"]) for _ in range(args.runs)]
    kind_help = [time_command([sys.executable, "-m", "lookgan", "train", "lut", "--help"]) for _ in range(args.runs)]
    torch_s = [time_command([sys.executable, "-c", "import torch"]) for _ in range(args.runs)]
    gradio_s = [time_command([sys.executable, "-c", "import gradio"]) for _ in range(args.runs)]
    result = {"benchmark": "ui_start", "runs": args.runs,
              "ui_to_page_s_median": round(statistics.median(page), 2), "ui_to_page_s_max": round(max(page), 2),
              "help_s_median": round(statistics.median(help_s), 2),
              "train_help_s_median": round(statistics.median(train_help), 2),
              "train_lut_help_s_median": round(statistics.median(kind_help), 2),
              "import_torch_s_median": round(statistics.median(torch_s), 2),
              "import_gradio_s_median": round(statistics.median(gradio_s), 2),
              "goal_s": 5.0, "meets_goal": max(page) < 5.0}
    emit(result, args.json)


if __name__ == "__main__":
    main()
