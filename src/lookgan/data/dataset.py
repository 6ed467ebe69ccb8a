"""Folder datasets cached in memory and a resumable stream of training batches.

Small data sets are the norm (20–300 images), so every image is decoded once, resized and kept in memory as
uint8; a training step then only crops and flips. The batch stream owns its random generator and epoch order,
and both are part of the checkpoint, so a resumed run sees exactly the batches an uninterrupted one would.
"""
from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from ..core.errors import InputError, NotEnoughImagesError, UnreadableImageError
from .images import DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, as_float, list_images, read_image
from .transforms import center_crop, random_crop, random_flip, resize_shorter, to_model_range, to_tensor, unit_range


@dataclass
class ImageFolder:
    """All readable images of a folder, resized so their shorter side is ``load_size``, cached as uint8.

    Unreadable files are skipped with one warning each (listed in ``skipped``); an over-limit image stops with an
    error naming it. Fewer than ``min_images`` readable images raise :class:`NotEnoughImagesError` (exit code 2).
    """

    folder: Path
    load_size: int
    min_images: int = 1
    max_pixels: int = DEFAULT_MAX_PIXELS
    what: str = "images"
    progress: bool = True
    paths: list[Path] = field(init=False, default_factory=list)
    images: list[torch.Tensor] = field(init=False, default_factory=list, repr=False)
    skipped: list[Path] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)
        candidates = list_images(self.folder)
        if not candidates:
            kinds = ", ".join(sorted({e.lstrip(".") for e in IMAGE_EXTENSIONS}))
            raise NotEnoughImagesError(
                f"{self.folder} holds no images ({kinds}); put at least {self.min_images} {self.what} there"
            )
        bar = tqdm(candidates, desc=f"reading {self.what}", unit="img", leave=False,
                   disable=not self.progress or len(candidates) < 20)
        for path in bar:
            try:
                pixels = read_image(path, max_pixels=self.max_pixels, min_side=self.load_size)
            except UnreadableImageError as e:
                warnings.warn(f"skipping {e}", stacklevel=2)
                self.skipped.append(path)
                continue
            img = resize_shorter(to_tensor(pixels), self.load_size)
            self.images.append((img * 255.0 + 0.5).clamp(0, 255).to(torch.uint8))
            self.paths.append(path)
        if len(self.images) < self.min_images:
            extra = f" ({len(self.skipped)} unreadable file(s) skipped)" if self.skipped else ""
            raise NotEnoughImagesError(
                f"{self.folder} holds only {len(self.images)} readable {self.what}{extra}; this method needs at "
                f"least {self.min_images}. Add more images to the folder."
            )

    def __len__(self) -> int:
        return len(self.images)

    def fingerprint(self) -> str:
        """SHA-256 over relative paths and cached pixels: tells a resumed run whether its data changed."""
        h = hashlib.sha256()
        for path, img in zip(self.paths, self.images):
            h.update(path.relative_to(self.folder).as_posix().encode())
            h.update(str(tuple(img.shape)).encode())
            h.update(img.numpy().tobytes())
        return h.hexdigest()

    def summary(self) -> dict[str, Any]:
        """What a look records about its training data."""
        return {"folder": str(self.folder), "n_images": len(self), "n_skipped": len(self.skipped),
                "fingerprint": self.fingerprint()}


class BatchStream:
    """An endless, reproducible stream of ``(B, 3, S, S)`` batches in [-1, 1] from an :class:`ImageFolder`.

    Images are visited in a fresh random order each epoch; a batch larger than the data set wraps into the next
    epoch. ``state_dict()`` captures order, position and the generator, so resume is exact.
    """

    def __init__(self, dataset: ImageFolder, *, batch_size: int, crop_size: int,
                 crop: Literal["random", "center"] = "random", flip: bool = True, seed: int = 0) -> None:
        if crop_size > dataset.load_size:
            raise ValueError(f"crop_size {crop_size} is larger than the images' load_size {dataset.load_size}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.crop_size = crop_size
        self.crop = crop
        self.flip = flip
        self.generator = torch.Generator().manual_seed(seed)
        self.epoch = 0
        self.position = 0
        self.order = torch.randperm(len(dataset), generator=self.generator)

    def _next_index(self) -> int:
        if self.position >= len(self.order):
            self.epoch += 1
            self.position = 0
            self.order = torch.randperm(len(self.dataset), generator=self.generator)
        idx = int(self.order[self.position])
        self.position += 1
        return idx

    def next_batch(self) -> torch.Tensor:
        """The next batch, float32 ``(B, 3, S, S)`` in [-1, 1]."""
        out = []
        for _ in range(self.batch_size):
            img = unit_range(self.dataset.images[self._next_index()])  # (3, h, w)
            if self.crop == "center":
                img = center_crop(img, self.crop_size)
            else:
                img = random_crop(img, self.crop_size, self.generator)
            if self.flip:
                img = random_flip(img, self.generator)
            out.append(img)
        return to_model_range(torch.stack(out))

    def state_dict(self) -> dict[str, Any]:
        """Tensors and plain values that restore the stream exactly."""
        return {"epoch": self.epoch, "position": self.position, "order": self.order.clone(),
                "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch = int(state["epoch"])
        self.position = int(state["position"])
        self.order = state["order"].to(torch.int64)
        self.generator.set_state(state["generator"].to(torch.uint8))


class PairedImages:
    """Before/after pairs matched by file stem, each cached as one 6-channel uint8 image (before | after), so
    that crops and flips cut both halves identically. Shares :class:`ImageFolder`'s interface for
    :class:`BatchStream`.

    Pairs whose two images differ in size after resizing (a cropped edit, a rotated export) stop with an error
    naming both files: a pixel-wise loss on misaligned pairs would teach a wrong grade.
    """

    def __init__(self, before_dir: Path, after_dir: Path, *, load_size: int, min_images: int = 1,
                 max_pixels: int = DEFAULT_MAX_PIXELS, progress: bool = True) -> None:
        self.before = ImageFolder(Path(before_dir), load_size=load_size, max_pixels=max_pixels,
                                  what="before images", progress=progress)
        self.after = ImageFolder(Path(after_dir), load_size=load_size, max_pixels=max_pixels,
                                 what="edited images", progress=progress)
        self.folder, self.load_size = self.after.folder, load_size
        after_by_stem = {p.stem: (p, img) for p, img in zip(self.after.paths, self.after.images)}
        self.paths: list[Path] = []
        self.images: list[torch.Tensor] = []
        for path, img in zip(self.before.paths, self.before.images):
            if path.stem not in after_by_stem:
                continue
            other, edited = after_by_stem[path.stem]
            if edited.shape != img.shape:
                raise UnreadableImageError(
                    f"{path} ({img.shape[2]}x{img.shape[1]} after resizing) and its edit {other} "
                    f"({edited.shape[2]}x{edited.shape[1]}) differ in size: export the edits uncropped, at the "
                    "original aspect ratio")
            self.paths.append(path)
            self.images.append(torch.cat([img, edited]))
        if len(self.images) < min_images:
            raise NotEnoughImagesError(
                f"only {len(self.images)} before/after pairs match by file name between {before_dir} and "
                f"{after_dir}; this needs at least {min_images}. Name each edit like its original (IMG_1.jpg -> "
                "IMG_1.png)")

    def __len__(self) -> int:
        return len(self.images)

    def summary(self) -> dict[str, Any]:
        h = hashlib.sha256((self.before.fingerprint() + self.after.fingerprint()).encode()).hexdigest()
        return {"folder": str(self.after.folder), "before_folder": str(self.before.folder), "n_images": len(self),
                "n_skipped": len(self.before.skipped) + len(self.after.skipped), "fingerprint": h}


class MultiStream:
    """Several named :class:`BatchStream` s stepped together: ``next_batch()`` returns ``{name: batch}``.

    Its state is every stream's state under ``name.key``, so unpaired methods (style and content images) resume
    exactly like single-folder ones.
    """

    def __init__(self, streams: dict[str, BatchStream]) -> None:
        self.streams = streams

    def next_batch(self) -> dict[str, torch.Tensor]:
        return {name: s.next_batch() for name, s in self.streams.items()}

    def state_dict(self) -> dict[str, Any]:
        return {f"{name}.{k}": v for name, s in self.streams.items() for k, v in s.state_dict().items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name, s in self.streams.items():
            s.load_state_dict({k[len(name) + 1:]: v for k, v in state.items() if k.startswith(f"{name}.")})


def square_crops(images: Sequence[np.ndarray] | torch.Tensor, size: int) -> torch.Tensor:
    """Images (``(H, W, 3)`` numpy uint8/float, or ``(N, 3, H, W)`` [0, 1]) -> ``(N, 3, size, size)`` float in
    [0, 1]: shorter side resized to ``size`` (antialiased), centre crop."""
    out = []
    for img in images:
        t = img if isinstance(img, torch.Tensor) else to_tensor(as_float(img))
        out.append(center_crop(resize_shorter(t.float(), size), size))
    return torch.stack(out).clamp(0, 1)


def load_image_set(folder: str | Path, size: int, *, what: str, max_pixels: int = DEFAULT_MAX_PIXELS,
                   progress: bool = True) -> tuple[torch.Tensor, list[Path]]:
    """Every readable image of ``folder`` as ``(N, 3, size, size)`` [0, 1] centre crops, and their paths."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder of {what}; check the path")
    ds = ImageFolder(folder, load_size=size, min_images=2, max_pixels=max_pixels, what=what, progress=progress)
    crops = unit_range(torch.stack([center_crop(img, size) for img in ds.images]))
    return crops, ds.paths
