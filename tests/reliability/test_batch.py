"""A long batch killed at random moments and rerun with --skip-existing (issue 30, scenario 3).

Every output appears exactly once and whole, the manifest lists exactly the files on disk, and the work redone
is at most the photo in progress at each kill (counted by a wrapper that logs every photo the batch starts).
The default suite runs 300 photos killed twice; ``slow`` runs 2,000 photos killed 5 times.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import lookgan
from tests.helpers import write_image_folder

#: Runs ``lookgan`` with every photo it starts grading logged to the file named first (one line per photo).
COUNTING = """
import sys
import lookgan.use.applying as applying
from lookgan.cli import main
log = open(sys.argv[1], "a")
read = applying.read_image
def counted(path, **kwargs):
    log.write(f"{path}\\n"); log.flush()
    return read(path, **kwargs)
applying.read_image = counted
sys.exit(main(sys.argv[2:]))
"""


def _photos(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)).save(folder / f"p{i:05d}.png")
    return folder


def _outputs(out: Path) -> list[Path]:
    return sorted(out.glob("*.png"))


def kill_and_resume(tmp_path: Path, n: int, kills: int) -> dict:
    """Run the batch, kill it ``kills`` times, finish it; check everything and return the figures."""
    t_start = time.monotonic()
    photos = _photos(tmp_path / "photos", n)
    look = tmp_path / "r.look"
    lookgan.train("reinhard", write_image_folder(tmp_path / "style", 4), out=look, photos=photos)
    out, log = tmp_path / "out", tmp_path / "started.log"
    cmd = [sys.executable, "-c", COUNTING, str(log), "apply", str(look), str(photos), "--out", str(out),
           "--skip-existing", "--manifest"]
    rng = random.Random(30)
    for k in range(kills):
        before = len(_outputs(out)) if out.exists() else 0
        target = before + rng.randint(1, max(1, (n - before) // (kills - k + 1)))
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 240
        while proc.poll() is None and time.monotonic() < deadline:
            if out.exists() and len(_outputs(out)) >= target:
                break
            time.sleep(0.02)
        time.sleep(rng.random() * 0.05)  # somewhere inside a photo, not only between two
        proc.kill()
        proc.wait()
        assert len(_outputs(out)) < n, "the batch finished before it could be killed; raise n"
    t_final = time.monotonic()
    final = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    final_s = time.monotonic() - t_final
    assert final.returncode == 0, final.stderr[-2000:]
    assert "photo/s" in final.stderr and "<" in final.stderr  # the bar: photos per second and time left

    names = [p.name for p in _outputs(out)]
    assert names == sorted(f"{p.stem}.png" for p in photos.iterdir())  # every output, exactly once
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporaries
    for p in _outputs(out)[:: max(1, n // 50)]:
        Image.open(p).load()  # whole files
    manifest = json.loads((out / "manifest.json").read_text())["files"]
    assert sorted(Path(r["output"]).name for r in manifest) == names
    assert all(r["status"] in ("written", "skipped") for r in manifest)
    started = log.read_text().splitlines()
    assert n <= len(started) <= n + kills, f"{len(started) - n} photos graded twice over {kills} kills"
    reference = tmp_path / "reference"
    lookgan.apply(look, sorted(photos.iterdir())[:5], out=reference, progress=False)
    for p in _outputs(reference):
        assert (out / p.name).read_bytes() == p.read_bytes()
    return {"photos": n, "kills": kills, "photos_started": len(started), "graded_twice": len(started) - n,
            "outputs": len(names), "manifest_entries": len(manifest), "temporaries_left": 0,
            "last_run_s": round(final_s, 1), "total_s": round(time.monotonic() - t_start, 1)}


def test_a_batch_killed_twice_resumes_exactly(tmp_path):
    kill_and_resume(tmp_path, n=300, kills=2)


@pytest.mark.slow
def test_a_2000_photo_batch_killed_5_times_resumes_exactly(tmp_path):
    kill_and_resume(tmp_path, n=2000, kills=5)
