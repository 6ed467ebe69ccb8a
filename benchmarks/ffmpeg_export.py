"""A ``preset`` look exported for ffmpeg (``lookgan export --format ffmpeg``) on a 1080p clip in Debian's ffmpeg:
frames per second of the filter graph alone (decode + graph, ``-f null``) and with H.264 encoding, and how far its
frames are from ``lookgan apply`` (mean ΔE2000 on 4x-downscaled frames; the grain differs draw by draw, so the
downscaling averages it out as in tests/use/exporting/test_ffmpeg.py).

    python benchmarks/ffmpeg_export.py [--frames 192] [--size 1920x1080] [--json out.json]

The look is the one of benchmarks/video_grade.py ``--look preset`` (a film grade in four rings, a soft-light
vignette, colour grain); ffmpeg gets its global LUT with the rings as per-channel curves (``approximated``), and
the same look without rings is measured too. ``graph_fps``: the whole clip, start-up included;
``graph_fps_steady``: the rate once the masks and tables are made (``startup_s``), what a long video gets.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lookgan  # noqa: E402
from _emit import emit  # noqa: E402
from lookgan.kinds.capabilities import ApplyOptions  # noqa: E402
from lookgan.kinds.look import as_restyler, load_look, write_look  # noqa: E402
from lookgan.ops.color import delta_e2000, rgb_to_lab  # noqa: E402
from video_grade import ASSETS, decoded, made_preset, make_clip  # noqa: E402


def _down4(frame: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(frame.astype(np.float32) / 255).permute(2, 0, 1)[None]
    return torch.nn.functional.avg_pool2d(t, 4)[0].permute(1, 2, 0)


def _ffmpeg(*args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)
    return time.perf_counter() - t0


def measure(look: Path, clip: Path, work: Path, frames: list[np.ndarray]) -> dict:
    """fps of the graph over the whole clip and over its first quarter: their difference gives the start-up
    (the masks drawn and the tables built once) and the steady rate of a long video."""
    report: dict = {}
    script = lookgan.export(look, format="ffmpeg", out=work / f"{look.stem}.ffmpeg", report=report)
    n = len(frames)
    whole_s = _ffmpeg("-i", str(clip), "-filter_complex_script", str(script), "-f", "null", "-")
    part_s = _ffmpeg("-i", str(clip), "-filter_complex_script", str(script), "-frames:v", str(n // 4), "-f", "null",
                     "-")
    encode_s = _ffmpeg("-i", str(clip), "-filter_complex_script", str(script), "-c:v", "libx264", "-crf", "18",
                       "-preset", "veryfast", str(work / f"{look.stem}.mp4"))
    _ffmpeg("-i", str(clip), "-filter_complex_script", str(script), "-frames:v", "4", "-pix_fmt", "rgb24",
            str(work / f"{look.stem}-%d.png"))
    grade = as_restyler(look).grader(ApplyOptions(), video=True)
    de = [float(delta_e2000(rgb_to_lab(_down4(np.asarray(Image.open(work / f"{look.stem}-{i + 1}.png")))),
                            rgb_to_lab(_down4(grade(frames[i])))).mean()) for i in range(4)]
    steady = (n - n // 4) / max(whole_s - part_s, 1e-6)
    return {"graph_fps": round(n / whole_s, 1), "graph_fps_steady": round(steady, 1),
            "startup_s": round(max(0.0, whole_s - n / steady), 2), "with_x264_veryfast_fps": round(n / encode_s, 1),
            "mean_de2000_vs_apply": round(float(np.mean(de)), 2), "approximated": report.get("approximated")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=192)
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg is not installed (apt-get install ffmpeg)")
    width, height = (int(v) for v in a.size.split("x"))
    version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    with tempfile.TemporaryDirectory(prefix="lookgan-ffmpeg-bench-") as tmp:
        work = Path(tmp)
        clip = work / "clip.mp4"
        make_clip(clip, width, height, a.frames)
        frames = decoded(clip)
        lut_look = lookgan.import_lut(ASSETS / "grade.png", out=work / "film.look")
        preset = made_preset(lut_look, work / "film-preset.look")
        plain = load_look(preset)
        tensors = {**plain.tensors, "ring_luts": plain.tensors["ring_luts"][:0]}
        write_look(work / "film-no-rings.look", kind="preset", config=replace(plain.config, rings=0), tensors=tensors)
        result = {"size": a.size, "frames": a.frames, "ffmpeg": version,
                  "with_rings": measure(preset, clip, work, frames),
                  "without_rings": measure(work / "film-no-rings.look", clip, work, frames)}
    emit(result, a.json)


if __name__ == "__main__":
    main()
