"""Networks of the unpaired translators (CycleGAN, CUT, FastCUT): a ResNet generator, a PatchGAN discriminator and
CUT's patch sampler with its MLP projection heads.

The generator follows Johnson et al. / Zhu et al.: 7x7 stem, two stride-2 downsamplings, ``n_blocks`` residual
blocks at 1/4 resolution, two transposed-convolution upsamplings, 7x7 head with tanh; reflection padding and
InstanceNorm (no affine parameters, as in both reference implementations). Its norm layers can *record* their
statistics on one pass and reuse them on later passes (:meth:`ResnetGenerator.norm_mode`): that is what lets
:mod:`lookgan.kinds.translator.tiled` process a 4K photo in tiles with the statistics of the whole image, so that every tile
is normalised alike and no seam appears.

The activations after a norm are not in place (unlike the references'): instance norm returns a view, and an
in-place ReLU on a view makes autograd copy the whole activation back through ``CopySlices`` in the backward
pass (a 256-px generator's forward and backward measured about 8 % faster without it; within a whole CUT step
the gain was smaller than the noise of the CPU it was measured on).
"""
from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

NormMode = Literal["instance", "record", "fixed"]


class StatsInstanceNorm(nn.Module):
    """Instance normalisation (no affine, eps 1e-5) whose statistics can be recorded and then reused.

    ``mode``: ``instance`` normalises each input by its own statistics (training, small images); ``record``
    does the same and keeps them; ``fixed`` uses the kept ones (tiles of an image whose statistics were
    recorded on the whole, possibly downscaled, image). The kept statistics are not part of the state dict."""

    def __init__(self, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.mode: NormMode = "instance"
        self.mean: torch.Tensor | None = None
        self.var: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "instance":
            return F.instance_norm(x, eps=self.eps)
        if self.mode == "record":
            self.var, self.mean = torch.var_mean(x.float(), dim=(2, 3), keepdim=True, correction=0)
        if self.mean is None or self.var is None:
            raise RuntimeError("StatsInstanceNorm in 'fixed' mode before any statistics were recorded")
        return ((x - self.mean) * torch.rsqrt(self.var + self.eps)).to(x.dtype)


def _conv_block(cin: int, cout: int, kernel: int, *, stride: int = 1, reflect: int = 0) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.ReflectionPad2d(reflect)] if reflect else []
    pad = 0 if reflect else kernel // 2
    return layers + [nn.Conv2d(cin, cout, kernel, stride=stride, padding=pad), StatsInstanceNorm(), nn.ReLU()]


class ResnetBlock(nn.Module):
    """x + (reflect-pad, 3x3 conv, norm, ReLU, reflect-pad, 3x3 conv, norm)(x)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), StatsInstanceNorm(),
                                  nn.ReLU(), nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3),
                                  StatsInstanceNorm())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """``(B, 3, H, W)`` in [-1, 1] -> same shape in [-1, 1]; H and W must be multiples of :attr:`multiple`.

    ``encode(x, taps)`` returns the features CUT's PatchNCE compares: the input itself, the two downsampling
    stages, and residual blocks (``taps`` indexes :attr:`tap_names`)."""

    multiple = 4

    def __init__(self, *, ngf: int = 32, n_blocks: int = 6) -> None:
        super().__init__()
        self.ngf, self.n_blocks = ngf, n_blocks
        self.stem = nn.Sequential(*_conv_block(3, ngf, 7, reflect=3))
        self.down1 = nn.Sequential(*_conv_block(ngf, ngf * 2, 3, stride=2))
        self.down2 = nn.Sequential(*_conv_block(ngf * 2, ngf * 4, 3, stride=2))
        self.blocks = nn.ModuleList(ResnetBlock(ngf * 4) for _ in range(n_blocks))
        self.up = nn.Sequential(
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 3, stride=2, padding=1, output_padding=1), StatsInstanceNorm(),
            nn.ReLU(),
            nn.ConvTranspose2d(ngf * 2, ngf, 3, stride=2, padding=1, output_padding=1), StatsInstanceNorm(),
            nn.ReLU())
        self.head = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh())
        self.tap_names = ("input", "stem", "down1", "down2") + tuple(f"block{i + 1}" for i in range(n_blocks))

    @property
    def receptive_radius(self) -> int:
        """Pixels of context each output pixel depends on, per side (stem 3, downsamplings 1 + 2, residual
        blocks 8 each at 1/4 resolution, upsamplings 4 + 2, head 3), rounded up to the size multiple."""
        radius = 3 + 1 + 2 + 8 * self.n_blocks + 4 + 2 + 3
        return -(-radius // self.multiple) * self.multiple

    def norm_mode(self, mode: NormMode) -> None:
        """Switch every norm layer (see :class:`StatsInstanceNorm`)."""
        for m in self.modules():
            if isinstance(m, StatsInstanceNorm):
                m.mode = mode

    def forward(self, x: torch.Tensor, taps: tuple[int, ...] | None = None, *,
                also_taps: tuple[int, ...] | None = None) -> Any:
        """The translated image; with ``taps``, :meth:`encode`'s features instead (through ``forward`` so that a
        DistributedDataParallel wrapper sees every use of the network); with ``also_taps``, ``(image, those
        features)`` from the same pass (CUT's PatchNCE keys: the source's features cost no second encoding)."""
        if taps is not None:
            return self.encode(x, taps)
        h, feats = self._trunk(x, also_taps or ())
        out = self.head(self.up(h))
        return out if also_taps is None else (out, feats)

    def encode(self, x: torch.Tensor, taps: tuple[int, ...]) -> list[torch.Tensor]:
        """Features at the tap indices (into :attr:`tap_names`), stopping after the last one needed."""
        return self._trunk(x, taps, stop_after=max(taps))[1]

    def _trunk(self, x: torch.Tensor, taps: tuple[int, ...],
               stop_after: int | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Stem, downsamplings and residual blocks (up to stage ``stop_after``): the last activation and the
        features at ``taps``."""
        feats = [x] if 0 in taps else []
        h = x
        for i, stage in enumerate([self.stem, self.down1, self.down2, *self.blocks], start=1):
            if stop_after is not None and i > stop_after:
                break
            h = stage(h)
            if i in taps:
                feats.append(h)
        return h, feats


class PatchDiscriminator(nn.Module):
    """PatchGAN: 3 stride-2 4x4 convolutions, one stride-1, then a 1-channel map; each output logit judges a
    70x70 patch. LeakyReLU 0.2, InstanceNorm except after the first layer (as Isola et al.)."""

    def __init__(self, *, ndf: int = 64, n_layers: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        ch = ndf
        for i in range(1, n_layers + 1):
            out = ndf * min(2 ** i, 8)
            stride = 2 if i < n_layers else 1
            layers += [nn.Conv2d(ch, out, 4, stride=stride, padding=1), nn.InstanceNorm2d(out),
                       nn.LeakyReLU(0.2)]
            ch = out
        layers.append(nn.Conv2d(ch, 1, 4, stride=1, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (B, 1, H', W') patch logits


class PatchSampler(nn.Module):
    """CUT's PatchSampleF: per tapped layer, pick ``num_patches`` locations (the same for source and translated
    image), project each feature vector with a 2-layer MLP to ``dim`` and L2-normalise it.

    The MLPs are created for known channel counts up front (the reference builds them lazily on the first
    batch, which breaks optimiser construction and checkpoint loading)."""

    def __init__(self, channels: list[int], *, dim: int = 256) -> None:
        super().__init__()
        self.mlps = nn.ModuleList(nn.Sequential(nn.Linear(c, dim), nn.ReLU(True), nn.Linear(dim, dim))
                                  for c in channels)

    def forward(self, feats: list[torch.Tensor], num_patches: int,
                patch_ids: list[torch.Tensor] | None = None) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """``feats``: ``(B, C, H, W)`` per layer -> ``(B * P, dim)`` per layer, and the location ids used.

        The heads run in float32 under bf16 autocast (a few hundred rows per layer: cheap), so that PatchNCE's
        embeddings carry full precision into its temperature-scaled similarities."""
        with torch.autocast(feats[0].device.type, enabled=False):
            return self._sample([f.float() for f in feats], num_patches, patch_ids)

    def _sample(self, feats: list[torch.Tensor], num_patches: int,
                patch_ids: list[torch.Tensor] | None) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        out, ids = [], []
        for i, (f, mlp) in enumerate(zip(feats, self.mlps)):
            b, c, h, w = f.shape
            flat = f.permute(0, 2, 3, 1).reshape(b, h * w, c)
            if patch_ids is not None:
                pid = patch_ids[i]
            else:
                pid = torch.randperm(h * w, device=f.device)[: min(num_patches, h * w)]
            x = mlp(flat[:, pid, :].reshape(-1, c))  # (B * P, dim)
            out.append(F.normalize(x, dim=1))
            ids.append(pid)
        return out, ids


def init_weights(module: nn.Module, gain: float = 0.02) -> None:
    """Normal(0, gain) convolution and linear weights, zero biases (the reference implementations' init)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
