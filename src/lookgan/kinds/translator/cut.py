"""CUT and FastCUT (Park et al., ECCV 2020): one generator, one discriminator, and PatchNCE instead of a cycle.

The generator's own encoder embeds the photo and its translation; at 256 random locations of five layers (the
input, both downsampling stages, the first and fifth residual block, as the paper's layers 0, 4, 8, 12, 16) an
MLP head projects the features, and PatchNCE (temperature 0.07) asks each translated patch to match the photo's
patch at the same place rather than the other 255. CUT adds the same loss on images already in the look
(G(y) should keep y: "identity NCE") with λ_NCE 1; FastCUT drops it, uses λ_NCE 10, and asks for flip
equivariance instead: with probability 1/2 the batch is mirrored before G and its features mirrored back before
PatchNCE, so G(flip x) = flip G(x) is learnt for free. Half the parameters and time of CycleGAN.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ...core.errors import InputError
from .method import TranslatorConfig, TranslatorMethod
from .network import PatchSampler, init_weights
from .patchnce import patch_nce


@dataclass
class CUTConfig(TranslatorConfig):
    lambda_gan: float = 1.0
    lambda_nce: float = 1.0
    """Weight of PatchNCE (CUT 1, FastCUT 10)."""
    nce_idt: bool = True
    """Also PatchNCE between images of the look and their translation (CUT yes, FastCUT no)."""
    flip_equivariance: bool = False
    """Mirror half the batches before G and the features back before PatchNCE (FastCUT)."""
    nce_layers: str = "input,down1,down2,block1,block5"
    """Generator layers PatchNCE compares (names: input, stem, down1, down2, block1..blockN); a block beyond
    n_blocks becomes the last block."""
    num_patches: int = 256
    """Locations sampled per layer and image."""
    nce_temperature: float = 0.07
    mlp_dim: int = 256
    """Output size of the projection heads."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.lambda_nce < 0 or self.lambda_gan < 0 or self.num_patches < 2 or self.nce_temperature <= 0:
            raise InputError("lambda_nce and lambda_gan must be >= 0, num_patches >= 2, nce_temperature > 0")
        self.tap_indices()  # validates the names

    def tap_indices(self) -> tuple[int, ...]:
        names = ("input", "stem", "down1", "down2") + tuple(f"block{i + 1}" for i in range(self.n_blocks))
        taps = []
        for raw in self.nce_layers.split(","):
            name = raw.strip()
            if name.startswith("block") and name[5:].isdigit() and int(name[5:]) > self.n_blocks:
                name = f"block{self.n_blocks}"
            if name not in names:
                raise InputError(f"nce_layers: unknown layer {raw.strip()!r}; use {', '.join(names)}")
            taps.append(names.index(name))
        return tuple(sorted(set(taps)))


@dataclass
class FastCUTConfig(CUTConfig):
    lambda_nce: float = 10.0
    nce_idt: bool = False
    flip_equivariance: bool = True


class CUT(TranslatorMethod):
    """One-sided unpaired translation with PatchNCE (contrastive) content preservation."""

    Config = CUTConfig
    learns = "texture and colour style with one generator and PatchNCE"
    time_here = "30 minutes"

    def __init__(self, config: CUTConfig, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        g = self.nets["generator"]
        self.taps = config.tap_indices()
        with torch.no_grad():  # channel count of every tapped layer, from one tiny forward pass
            probe = g.encode(torch.zeros(1, 3, 32, 32, device=self.device), self.taps)
        sampler = PatchSampler([f.shape[1] for f in probe], dim=config.mlp_dim)
        init_weights(sampler)
        self.nets["sampler"] = sampler.to(self.device)
        self.optimizers["sampler"] = self._adam(sampler)

    def nce(self, source: torch.Tensor, translated: torch.Tensor, flipped: bool,
            feats_k: list[torch.Tensor] | None = None, *, parts: tuple[int, ...] | None = None) -> torch.Tensor:
        """PatchNCE between ``source`` and ``translated``, averaged over the tapped layers: one loss per part of
        the batch (``parts``: rows per part, e.g. the photos' and the look images'; default one part; each part
        draws its own patch locations, as separate calls would), shape ``(len(parts),)``. All parts are encoded
        in one pass (one batched convolution per layer instead of one per part). ``feats_k``: the source's
        tapped features if already computed (the translation pass made them; keys carry no gradient)."""
        g, sampler = self.nets["generator"], self.nets["sampler"]
        c = self.config
        feats_q = g(translated, taps=self.taps)
        if flipped:  # translated came from the mirrored source: mirror its features back into place
            feats_q = [f.flip(-1) for f in feats_q]
        if feats_k is None:
            with torch.no_grad():
                feats_k = g(source, taps=self.taps)
        out, start = [], 0
        for n in parts or (source.shape[0],):
            rows, start = slice(start, start + n), start + n
            keys, ids = sampler([f[rows].detach() for f in feats_k], c.num_patches)
            queries, _ = sampler([f[rows] for f in feats_q], c.num_patches, ids)
            losses = [patch_nce(q, k, batch=n, temperature=c.nce_temperature) for q, k in zip(queries, keys)]
            out.append(torch.stack(losses).mean())
        return torch.stack(out)

    def train_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        c = self.config
        x, y = batch["content"], batch["style"]  # (B, 3, S, S) in [-1, 1]
        both = torch.cat([x, y]) if c.nce_idt else x
        flipped = c.flip_equivariance and bool(torch.rand(()) < 0.5)
        # Unmirrored, the translation pass has already encoded the sources: its features are PatchNCE's keys
        # (the reference encodes them a second time). Mirrored, the keys are the unmirrored source's own.
        out, feats = self.nets["generator"](both.flip(-1) if flipped else both, also_taps=self.taps)
        fake_y = out[: len(x)]
        loss_d = self.discriminator_step("discriminator", y, fake_y)  # D does not care which way G saw it
        adv = self.adversarial("discriminator", fake_y)
        losses = {"g": adv.detach(), "d": loss_d}
        nce = x.new_zeros(())
        if c.lambda_nce > 0:
            # identity NCE: G(y) should keep y; both parts' queries come from one encoding of ``out``
            parts = (len(x), len(y)) if c.nce_idt else (len(x),)
            per_part = self.nce(both, out, flipped, None if flipped else feats, parts=parts)
            nce = per_part.mean()
            losses["nce"] = per_part[0].detach()
            if c.nce_idt:
                losses["nce_idt"] = per_part[1].detach()
        else:
            losses["nce"] = nce
        total = c.lambda_gan * adv + c.lambda_nce * nce
        # G and the projection heads learn from the same loss: one backward, two optimiser steps.
        self.optimize(("generator", "sampler"), total)
        return losses


class FastCUT(CUT):
    """CUT's lighter variant: no identity pass, λ_NCE 10, flip-equivariance."""

    Config = FastCUTConfig
    learns = "CUT's lighter variant: no identity pass, flip equivariance"
    time_here = "30 minutes"
