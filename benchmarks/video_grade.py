"""Video grading speed: frames per second of `lookgan apply` on a clip with a colour look, decode and encode
included, at 1080p and 4K; with the share of each stage so that a slow number says where the time goes.

    python benchmarks/video_grade.py [--frames 48] [--sizes 1920x1080 3840x2160] [--look lut|preset] [--json out.json]

The clip is made here (a slow pan and zoom across one of the bundled demo photos, H.264) so that every
frame differs; the look is the colour demo's film grade imported as a ``lut`` look (``--look preset``: the same
grade as a ``preset`` with four ring LUTs, a soft-light vignette and grain, :func:`made_preset`), applied through
``lookgan.apply`` exactly as the CLI does (H.264 CRF 18, preset medium, audio copied). For each size:

- ``fps``: frames / seconds of the whole apply (decode, grade, encode, mux); ``fps_veryfast``: the same with
  ``--video-preset veryfast`` (same CRF, larger file: ``size_ratio_veryfast`` = its bytes / medium's);
- ``decode_fps``: decoding to RGB alone; ``grade_fps``: the look's video grader alone on decoded frames;
  ``encode_fps``: encoding the (ungraded) frames alone with the same settings.

The last line printed is the JSON: ``{"1920x1080": {"fps": ..., ...}, "3840x2160": {...}, "threads": ...}``.
"""
from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import av
import numpy as np
import torch
from PIL import Image

import lookgan
from _emit import emit  # benchmarks/_emit.py: JSON out, last line printed
from lookgan.kinds.capabilities import ApplyOptions
from lookgan.kinds.look import as_restyler

ASSETS = Path(lookgan.__file__).parent / "assets" / "colour_demo"


def make_clip(path: Path, width: int, height: int, frames: int) -> None:
    """A pan and zoom across a bundled photo: every frame different, like real footage."""
    photo = Image.open(sorted((ASSETS / "photos").iterdir())[0]).convert("RGB")
    big = photo.resize((int(width * 1.3), int(height * 1.3)), Image.Resampling.BICUBIC)
    steps = [i / max(1, frames - 1) for i in range(frames)]
    pan = ((int(t * (big.width - width)), int(t * (big.height - height) / 2)) for t in steps)
    encode((np.asarray(big.crop((x, y, x + width, y + height))) for x, y in pan), path, width, height,
           preset="ultrafast")


def encode(frames: Iterable[np.ndarray], path: Path, width: int, height: int, *, preset: str) -> None:
    """H.264 at CRF 18, as `lookgan apply` writes it, with the given x264 speed preset."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=24, options={"crf": "18", "preset": preset})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as inp:
        inp.streams.video[0].thread_type = "AUTO"
        return [f.to_ndarray(format="rgb24") for f in inp.decode(video=0)]


def measure(size: str, frames: int, look: Path, work: Path) -> dict:
    width, height = (int(v) for v in size.split("x"))
    clip = work / f"clip-{size}.mp4"
    make_clip(clip, width, height, frames)
    t0 = time.perf_counter()
    rgb = decoded(clip)
    decode_s = time.perf_counter() - t0
    grade = as_restyler(lookgan.load_look(look)).grader(ApplyOptions(), video=True)
    grade(rgb[0])  # builds the table once, as the first frame of a real run does
    t0 = time.perf_counter()
    for frame in rgb:
        grade(frame)
    grade_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    encode(rgb, work / f"encoded-{size}.mp4", width, height, preset="medium")
    encode_s = time.perf_counter() - t0
    seconds, sizes = {}, {}
    for preset in ("medium", "veryfast"):
        t0 = time.perf_counter()
        [graded] = lookgan.apply(look, clip, out=work / f"graded-{size}-{preset}", progress=False,
                                 batch=lookgan.api.BatchOptions(video_preset=preset))
        seconds[preset], sizes[preset] = time.perf_counter() - t0, graded.stat().st_size
    total_s = seconds["medium"]
    n = len(rgb)
    row = {"frames": n, "fps": round(n / total_s, 2), "fps_veryfast": round(n / seconds["veryfast"], 2),
           "size_ratio_veryfast": round(sizes["veryfast"] / sizes["medium"], 2), "decode_fps": round(n / decode_s, 1),
           "grade_fps": round(n / grade_s, 1), "encode_fps": round(n / encode_s, 2),
           "grade_ms_per_frame": round(1000 * grade_s / n, 1)}
    print(f"{size}: {row['fps']} fps whole apply ({row['fps_veryfast']} with veryfast, "
          f"{row['size_ratio_veryfast']}x the bytes); decode {row['decode_fps']} fps, grade {row['grade_fps']} fps "
          f"({row['grade_ms_per_frame']} ms), encode {row['encode_fps']} fps")
    return row


def made_preset(lut_look: Path, out: Path) -> Path:
    """A ``preset`` look without training: the film grade's LUT in four rings (darker and cooler outwards), a
    soft-light vignette and colour grain: every layer the one-pass grader runs."""
    from lookgan.kinds.look import write_look
    from lookgan.kinds.preset.method import PresetConfig
    from lookgan.kinds.preset.network import PresetNet

    lut = as_restyler(lookgan.load_look(lut_look)).as_lut()
    net = PresetNet(lut_size=lut.shape[-1], order="colour_first", rings=4)
    with torch.no_grad():
        net.lut.copy_(lut)
        for k in range(4):
            net.ring_luts[k] = lut * torch.tensor([1 - 0.04 * k, 1 - 0.03 * k, 1 - 0.01 * k]).view(3, 1, 1, 1)
    net.set_values({"overlay.opacity_out": 0.6, "overlay.mode_soft_light": 0.8, "overlay.colour_out_r": 0.1,
                    "overlay.colour_out_g": 0.1, "overlay.colour_out_b": 0.15, "grain.midtones": 0.03,
                    "grain.size": 0.002, "grain.mono": 0.6})
    return write_look(out, kind="preset", config=PresetConfig(lut_size=lut.shape[-1], rings=4),
                      tensors={k: v.detach().clone() for k, v in net.state_dict().items()})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--sizes", nargs="+", default=["1920x1080", "3840x2160"])
    ap.add_argument("--look", choices=["lut", "preset"], default="lut")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lookgan-video-bench-") as tmp:
        work = Path(tmp)
        look = lookgan.import_lut(ASSETS / "grade.png", out=work / "film.look")
        if a.look == "preset":
            look = made_preset(look, work / "film-preset.look")
        result: dict = {size: measure(size, a.frames, look, work) for size in a.sizes}
    result.update({"look": a.look, "threads": torch.get_num_threads(), "cpus": os.cpu_count(), "torch": torch.__version__,
                   "pyav": av.__version__, "machine": platform.machine(), "encoder": "libx264 crf 18 medium"})
    emit(result, a.json)


if __name__ == "__main__":
    main()
