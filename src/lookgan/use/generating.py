"""New images from generator looks (``dcgan``, ``fastgan``): seeded batches, contact sheets, latent walks as
GIF/MP4, and a sheet of each image beside its nearest training image (is it copying?).

Everything is a pure function of (look, seed, truncation): latents come from one seeded ``torch.Generator`` and
the generators are deterministic in eval mode, so the same call writes the same images on any run.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from ..core.config import resolve_device
from ..core.errors import InputError
from ..data.dataset import load_image_set
from ..data.images import save_image
from ..kinds.capabilities import Generator
from ..kinds.look import Look, as_generator, as_look
from ..ops.nearest import nearest, pixel_features
from ..ops.viz import make_grid
from .video import _av


def truncated_normal(shape: tuple[int, ...], *, truncation: float | None,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal samples; with ``truncation`` T, values with |z| > T are redrawn (BigGAN's trick):
    lower T trades variety for typicality."""
    z = torch.randn(shape, generator=generator)
    if truncation is None or truncation <= 0:
        return z
    for _ in range(100):
        bad = z.abs() > truncation
        if not bad.any():
            break
        z[bad] = torch.randn(int(bad.sum()), generator=generator)
    return z.clamp(-truncation, truncation)


def _check(n: int, truncation: float | None) -> None:
    if n < 1:
        raise InputError(f"-n must be at least 1, got {n}")
    if truncation is not None and truncation <= 0:
        raise InputError(f"--truncation must be > 0, got {truncation}")


@torch.no_grad()
def run_generator(generator: Generator, z: torch.Tensor, *, device: str = "cpu", batch: int = 64,
                  progress: bool = False) -> torch.Tensor:
    """``generator`` on latents ``z`` ``(N, z_dim)`` in batches -> ``(N, 3, S, S)`` in [-1, 1] on the CPU."""
    chunks = range(0, len(z), batch)
    return torch.cat([generator.generate(z[i:i + batch].to(device)).float().cpu() * 2.0 - 1.0
                      for i in tqdm(chunks, desc="generating", unit="batch", disable=not progress or len(z) <= batch)])


def generate_images(look: Look | str | Path, n: int, *, seed: int = 0, truncation: float | None = None,
                    device: str = "cpu", batch: int = 64, progress: bool = False) -> torch.Tensor:
    """``n`` new images from a generator look, in memory: ``(n, 3, S, S)`` float in [-1, 1] on the CPU.

    Same look, seed and truncation -> the same images; the batch size changes them by float rounding only."""
    look = as_look(look)
    _check(n, truncation)
    generator = as_generator(look, device=resolve_device(device))
    z = truncated_normal((n, generator.z_dim), truncation=truncation, generator=torch.Generator().manual_seed(seed))
    return run_generator(generator, z, device=device, batch=batch, progress=progress)


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between latents (keeps their norm typical of a Gaussian, unlike a straight line,
    whose midpoints are too short and look washed out)."""
    cos = torch.dot(a / a.norm(), b / b.norm()).clamp(-1.0, 1.0)
    omega = torch.arccos(cos)
    if float(omega.sin()) < 1e-6:
        return (1 - t) * a + t * b
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / omega.sin()


def walk_latents(z_dim: int, frames: int, *, keyframes: int = 4, seed: int = 0,
                 truncation: float | None = None) -> torch.Tensor:
    """``frames`` latents ``(frames, z_dim)`` walking through ``keyframes`` random latents and back to the
    first, so the animation loops without a jump."""
    if frames < 2:
        raise InputError(f"--interpolate needs at least 2 frames, got {frames}")
    keys = truncated_normal((keyframes, z_dim), truncation=truncation, generator=torch.Generator().manual_seed(seed))
    out = []
    for i in range(frames):
        pos = i / frames * keyframes
        k = int(pos)
        out.append(slerp(keys[k % keyframes], keys[(k + 1) % keyframes], pos - k))
    return torch.stack(out)


def write_animation(images: torch.Tensor, path: Path, *, fps: int = 12) -> Path:
    """``(N, 3, S, S)`` frames in [-1, 1] as a looping GIF (Pillow) or an H.264 MP4 (PyAV, extra ``video``),
    by the suffix of ``path``."""
    from PIL import Image

    frames = [make_grid(img[None], padding=0) for img in images]  # uint8 (S, S, 3) each
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".gif":
        pics = [Image.fromarray(f) for f in frames]
        pics[0].save(path, save_all=True, append_images=pics[1:], duration=round(1000 / fps), loop=0)
        return path
    if path.suffix.lower() != ".mp4":
        raise InputError(f"{path}: animations are written as .gif or .mp4")
    av = _av()
    side = frames[0].shape[0] // 2 * 2
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps, options={"crf": "18"})
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f[:side, :side]),
                                                                   format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def nearest_sheet(images: torch.Tensor, training: str | Path, path: Path, *, pairs: int = 16) -> dict[str, Any]:
    """A contact sheet of generated images ``(N, 3, S, S)`` in [-1, 1], each beside its nearest training image
    (RMS distance of 32-px versions, as :mod:`lookgan.use.eval.memorisation`); returns the path and distances."""
    size = images.shape[-1]
    train, _ = load_image_set(training, size, what="training images", progress=False)
    shown = (images[:pairs] + 1) / 2
    dist, idx = nearest(pixel_features(shown), pixel_features(train))
    tiles = torch.stack([t for g, i in zip(shown, idx) for t in (g, train[int(i)])])  # generated, nearest, ...
    save_image(make_grid(tiles * 2 - 1, nrow=8), path)
    return {"path": path, "distances": dist.tolist()}


def generate(
    look: Look | str | Path,
    n: int,
    *,
    out: str | Path,
    seed: int = 0,
    truncation: float | None = None,
    grid: bool = False,
    interpolate: int | None = None,
    animation: str = "gif",
    nearest: bool = False,
    style: str | Path | None = None,
    device: str = "cpu",
    batch: int = 64,
    progress: bool = True,
) -> list[Path]:
    """Write ``n`` new images from a generator look into ``out``; optionally ``grid.png`` (one contact sheet),
    ``interpolation.gif|mp4`` (``interpolate`` frames walking between random latents, ``animation`` = gif or
    mp4) and ``nearest.png`` (each image beside its nearest training image; the training folder is the look's
    own, or ``style``). Same look, seed and truncation -> the same files."""
    look = as_look(look)
    images = generate_images(look, n, seed=seed, truncation=truncation, device=device, batch=batch,
                             progress=progress)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(n - 1)))
    written: list[Path] = []
    for i, img in enumerate(images):
        path = out / f"{look.path.stem}-s{seed}-{i:0{width}d}.png"
        save_image(make_grid(img[None], padding=0), path)
        written.append(path)
    if grid:
        sheet = out / "grid.png"
        save_image(make_grid(images, nrow=math.ceil(math.sqrt(n))), sheet)
        written.append(sheet)
    if interpolate:
        if animation not in ("gif", "mp4"):
            raise InputError(f"animation format must be gif or mp4, got {animation!r}")
        generator = as_generator(look, device=resolve_device(device))
        z = walk_latents(generator.z_dim, interpolate, seed=seed, truncation=truncation)
        frames = run_generator(generator, z, device=device, batch=batch)
        written.append(write_animation(frames, out / f"interpolation.{animation}"))
    if nearest:
        folder = Path(style) if style else Path((look.meta.get("data") or {}).get("folder") or "")
        if not style and not folder.is_dir():
            raise InputError(f"--nearest compares with the training images, and {look.path}'s training folder "
                             f"({folder}) is not there any more; pass --style DIR")
        written.append(nearest_sheet(images, folder, out / "nearest.png")["path"])
    return written
