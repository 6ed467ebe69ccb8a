"""The Inception-v3 network of the standard FID (TensorFlow's 2015-12-05 graph, as ported by pytorch-fid), and
where its weights come from.

No package ships these ImageNet weights and lookgan never downloads behind your back. The weights file
``pt_inception-2015-12-05-6726825d.pth`` (95 MB, the one pytorch-fid uses) is looked for, in order:

1. the path given explicitly (``--inception PATH``),
2. the ``LOOKGAN_INCEPTION`` environment variable,
3. the user cache: ``$LOOKGAN_CACHE`` or ``$XDG_CACHE_HOME/lookgan`` or ``~/.cache/lookgan``,
4. a download from pytorch-fid's release page into that cache, only when asked (``--download-inception``),
   verified against the SHA-256 prefix in its name (as ``torch.hub`` does).

Without them, FID and KID are skipped with the reason, and every other metric is reported. The layer names
match pytorch-fid's state dict, so its file loads as it is (read with ``weights_only=True``: never unpickled
code); a ``.safetensors`` copy works too.

The FID variant differs from torchvision's Inception-v3 in three places, all reproduced here: the average pools
inside the A, C and first E blocks ignore padded zeros (TensorFlow's behaviour), and the last E block max-pools.
Input: ``(B, 3, H, W)`` in [0, 1], resized to 299x299 (bilinear) and scaled to [-1, 1]; output the 2048-dim
pool3 features.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ...core.errors import InputError
from ...core.io import atomic_write_bytes, cache_dir

WEIGHTS_NAME = "pt_inception-2015-12-05-6726825d.pth"
WEIGHTS_URL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/" + WEIGHTS_NAME
WEIGHTS_SHA256_PREFIX = "6726825d"
FEATURE_DIM = 2048


class BasicConv2d(nn.Module):
    """Convolution without bias, batch norm (eps 1e-3, as TensorFlow), ReLU."""

    def __init__(self, cin: int, cout: int, kernel_size: int | tuple[int, int], stride: int = 1,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _avg_pool_tf(x: torch.Tensor) -> torch.Tensor:
    """3x3 average pool, stride 1, that ignores padded zeros (TensorFlow's 'SAME' average)."""
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class InceptionA(nn.Module):
    def __init__(self, cin: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, 1)
        self.branch5x5_1 = BasicConv2d(cin, 48, 1)
        self.branch5x5_2 = BasicConv2d(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), b5, b3, self.branch_pool(_avg_pool_tf(x))], 1)


class InceptionB(nn.Module):
    """Grid reduction 35 -> 17."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionC(nn.Module):
    """Factorised 7x7 convolutions at 17x17."""

    def __init__(self, cin: int, channels_7x7: int) -> None:
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = BasicConv2d(cin, 192, 1)
        self.branch7x7_1 = BasicConv2d(cin, c7, 1)
        self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, 1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                      self.branch7x7dbl_5):
            d = layer(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(_avg_pool_tf(x))], 1)


class InceptionD(nn.Module):
    """Grid reduction 17 -> 8."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, 1)
        self.branch3x3_2 = BasicConv2d(192, 320, 3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, 1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([b3, b7, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionE(nn.Module):
    """Expanded filter bank at 8x8; ``pool`` "avg" (TF-style) for Mixed_7b, "max" for Mixed_7c in the FID net."""

    def __init__(self, cin: int, pool: str) -> None:
        super().__init__()
        self.pool = pool
        self.branch1x1 = BasicConv2d(cin, 320, 1)
        self.branch3x3_1 = BasicConv2d(cin, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, 1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        pooled = _avg_pool_tf(x) if self.pool == "avg" else F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        return torch.cat([self.branch1x1(x), b3, d, self.branch_pool(pooled)], 1)


class FIDInceptionV3(nn.Module):
    """Inception-v3 up to the 2048-dim average pool, FID variant. ``forward``: ``(B, 3, H, W)`` in [0, 1] ->
    ``(B, 2048)``. The 1008-way classifier of the weights file is kept (``fc``) so the file loads strictly."""

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, pool="avg")
        self.Mixed_7c = InceptionE(2048, pool="max")
        self.fc = nn.Linear(FEATURE_DIM, 1008)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(images, size=(299, 299), mode="bilinear", align_corners=False)
        x = 2 * x - 1  # (B, 3, 299, 299) in [-1, 1]
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)  # (B, 64, 73, 73)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)  # (B, 192, 35, 35)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c,
                      self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):
            x = block(x)  # ends at (B, 2048, 8, 8)
        return x.mean(dim=(2, 3))  # (B, 2048)


def find_weights(path: str | Path | None = None) -> tuple[Path | None, str]:
    """The Inception weights file to use and where it was found, or ``(None, why not)``.

    An explicitly given path (argument or ``LOOKGAN_INCEPTION``) that does not exist is an error, not a skip:
    the user asked for FID."""
    for given, origin in ((path, "--inception"), (os.environ.get("LOOKGAN_INCEPTION"), "LOOKGAN_INCEPTION")):
        if given:
            p = Path(given).expanduser()
            if not p.is_file():
                raise InputError(f"{origin} {p}: no such file; give the path of {WEIGHTS_NAME} (pytorch-fid's "
                                 f"FID Inception weights) or drop {origin} to skip FID/KID")
            return p, origin
    cached = cache_dir() / WEIGHTS_NAME
    if cached.is_file():
        return cached, f"cache {cached}"
    return None, (f"FID/KID skipped: the FID Inception weights ({WEIGHTS_NAME}) are not on this machine and no "
                  "package ships them. Pass --inception PATH, set LOOKGAN_INCEPTION, put the file in "
                  f"{cache_dir()}, or allow a download with --download-inception")


def download_weights(timeout: float = 60.0) -> Path:
    """Download the weights into the cache and verify them; an :class:`InputError` saying why when offline."""
    import urllib.error
    import urllib.request


    target = cache_dir() / WEIGHTS_NAME
    try:
        with urllib.request.urlopen(WEIGHTS_URL, timeout=timeout) as response:  # noqa: S310 - fixed https URL
            data = response.read()
    except (urllib.error.URLError, OSError) as e:
        raise InputError(f"could not download the FID Inception weights from {WEIGHTS_URL} ({e}); download "
                         f"{WEIGHTS_NAME} elsewhere and pass --inception PATH") from None
    digest = hashlib.sha256(data).hexdigest()
    if not digest.startswith(WEIGHTS_SHA256_PREFIX):
        raise InputError(f"the downloaded {WEIGHTS_NAME} has SHA-256 {digest[:16]}..., not {WEIGHTS_SHA256_PREFIX}...: "
                         "refusing it (damaged or tampered download)")
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, data)
    return target


def load_inception(path: str | Path, device: str = "cpu") -> FIDInceptionV3:
    """The FID network with the weights in ``path`` (``.pth`` state dict or ``.safetensors``), in eval mode.

    A file whose tensors do not fit raises an :class:`InputError` naming it (a different Inception file,
    e.g. torchvision's, gives different FIDs and is refused)."""
    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - unpickling refused, truncated file, not a state dict ...
        raise InputError(f"{path}: not a readable Inception weights file ({type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else ''}); use {WEIGHTS_NAME}") from None
    if not isinstance(state, dict):
        raise InputError(f"{path}: expected a state dict of tensors, found {type(state).__name__}")
    model = FIDInceptionV3()
    state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    expected = {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}
    missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
    wrong = [k for k in expected & set(state) if tuple(state[k].shape) != tuple(model.state_dict()[k].shape)]
    if missing or unexpected or wrong:
        detail = "; ".join(f"{what}: {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''}"
                           for what, keys in (("missing", missing), ("unexpected", unexpected),
                                              ("wrong shape", wrong)) if keys)
        raise InputError(f"{path} is not the FID Inception network ({detail}); use {WEIGHTS_NAME}")
    model.load_state_dict(state, strict=False)
    return model.eval().requires_grad_(False).to(device)
