"""Issue 30's figures: several people on one `lookgan ui`, and a long batch killed and resumed.

- ``load``: 8 simulated users (Gradio's client, loopback) on a real `lookgan ui` for ``--seconds``: each applies
  its own look to its own photos (1, then 2 at a time) and checks every download against the library's output;
  one user trains a dcgan look meanwhile and another tries to start a second training. Reports requests,
  errors, wrong downloads, p50/p95 of a 1-photo apply, the longest queue a request saw, the server's peak RSS;
  and, first, the same with one user alone (what a request costs without waiting in line).
- ``batch``: `lookgan apply --skip-existing --manifest` over ``--photos`` generated photos, killed with SIGKILL
  ``--kills`` times at random moments, then finished: photos graded twice (at most one per kill), outputs,
  manifest entries, seconds.

The checks are those of tests/ui/test_load.py and tests/reliability/test_batch.py (which this runs), so a
figure here is also a pass.

    python benchmarks/load_and_faults.py --seconds 180 --photos 2000 --kills 5 --json docs/results/load_and_faults.json
"""
from __future__ import annotations

import argparse
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _emit import emit  # noqa: E402


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def load(root: Path, seconds: float, users: int) -> dict:
    import lookgan
    from tests.helpers import warm_grade, write_colour_case, write_image_folder
    from tests.ui.serving import serve, simulate
    from tests.ui.test_load import _cool

    work = root / "work"
    for name, grade in (("warm", warm_grade), ("cool", _cool)):
        case = write_colour_case(root / name, grade, n=6, n_held=1, size=64)
        lookgan.train("ot", case / "style", photos=case / "content", out=work / "looks" / f"{name}.look")
    style = sorted(write_image_folder(root / "faces", 8).glob("*.jpg"))
    looks = {n: work / "looks" / f"{n}.look" for n in ("warm", "cool")}
    server = serve(work, "--max-queue", "64")
    try:  # the same server first with one user and nothing training: what a request costs without a line
        alone = simulate(server, looks, root / "alone", users=1, seconds=20, min_rounds=2)
        report = simulate(server, looks, root / "users", users=users, seconds=seconds, min_rounds=2,
                          train_style=style, train_steps=200)
    finally:
        server.stop()
    return {**report.summary(), "seconds": seconds, "one_user_alone": alone.summary(),
            "error_examples": report.errors[:3], "wrong_download_examples": report.wrong_downloads[:3]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=180)
    ap.add_argument("--users", type=int, default=8)
    ap.add_argument("--photos", type=int, default=2000)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    from tests.reliability.test_batch import kill_and_resume

    with tempfile.TemporaryDirectory(prefix="lookgan-load-") as tmp:
        result = {"cpu": _cpu(), "load": load(Path(tmp) / "load", args.seconds, args.users),
                  "batch": kill_and_resume(Path(tmp) / "batch", args.photos, args.kills)}
    emit(result, args.json)


if __name__ == "__main__":
    main()
