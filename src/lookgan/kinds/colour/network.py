"""The image-adaptive 3D LUT (after Zeng et al., "Learning Image-adaptive 3D Lookup Tables", TPAMI 2020) and the
small CNNs it trains with.

``AdaptiveLUT`` holds K basis LUTs and, when adaptive, a tiny CNN that looks at a thumbnail of the photo and
predicts how to mix them. The mixed LUT is then applied to the full-resolution pixels, so the look is exact at
any size and costs the same on a 4K photo as on a thumbnail, apart from the table reads.
"""
from __future__ import annotations

import torch
from torch import nn

from ...ops.color import luminance
from ...ops.encoder import ConvEncoder, thumbnail
from ...ops.lut3d import apply_lut, identity_lut


class AdaptiveLUT(nn.Module):
    """K basis LUTs ``(K, 3, n, n, n)`` mixed per image by a predictor, or one fixed LUT (``adaptive=False``).

    Inputs and outputs are images in [0, 1]. ``weights(images)`` gives the mixing weights ``(B, K)``;
    ``lut_for(images)`` the mixed LUTs ``(B, 3, n, n, n)``; ``forward`` applies them.
    """

    def __init__(self, *, lut_size: int = 33, n_luts: int = 3, adaptive: bool = True, thumb_size: int = 256,
                 width: int = 16, init: torch.Tensor | None = None, init_noise: float = 0.0,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if not adaptive and n_luts != 1:
            raise ValueError("a global (non-adaptive) look has exactly one LUT")
        base = identity_lut(lut_size) if init is None else init.float()
        luts = base.expand(n_luts, *base.shape).clone()  # (K, 3, n, n, n)
        if init_noise > 0:
            luts += init_noise * torch.randn(luts.shape, generator=generator)
        self.luts = nn.Parameter(luts)
        self.adaptive = adaptive
        self.thumb_size = thumb_size
        self.predictor = ConvEncoder(out_features=n_luts, width=width) if adaptive else None
        # Mean mixing weights over the training photos, set when the look is saved: the one LUT that editors
        # and ffmpeg get on export.
        self.register_buffer("mean_weights", torch.full((n_luts,), 1.0 / n_luts))
        # The scene split (:mod:`lookgan.prior.scenes`): (on, threshold, spread) on the thumbnail's mean
        # luminance, mixing basis LUT 0 (darker frames) and 1 (brighter ones). The CNN cannot learn this rule
        # itself: its InstanceNorm layers remove a thumbnail's overall brightness (measured: a predictor
        # regressed on the split for 300 steps classified held-out photos at chance, 48 %).
        self.register_buffer("scene", torch.zeros(3))
        if self.predictor is not None:
            # Start as the plain mean of the basis LUTs (each starts at the initial LUT), so training begins from
            # the initial look, not from a random mix.
            nn.init.zeros_(self.predictor.head.weight)
            nn.init.zeros_(self.predictor.head.bias)

    @property
    def n_luts(self) -> int:
        return self.luts.shape[0]

    def weights(self, images: torch.Tensor) -> torch.Tensor:
        """Mixing weights ``(B, K)`` for images ``(B, 3, H, W)`` in [0, 1] (their thumbnails are taken here)."""
        uniform = torch.full((images.shape[0], self.n_luts), 1.0 / self.n_luts, device=images.device)
        if self.predictor is None:
            return uniform
        thumbs = thumbnail(images, self.thumb_size)
        return self.scene_weights(thumbs, uniform) + self.predictor(thumbs * 2.0 - 1.0)

    def scene_weights(self, thumbs: torch.Tensor, uniform: torch.Tensor) -> torch.Tensor:
        """The mixing weights before the CNN's correction: equal, or the scene split's (LUT 0 for frames darker
        than the threshold, LUT 1 for brighter ones, the rest 0) when it is on."""
        if self.n_luts < 2:
            return uniform
        on, threshold, spread = self.scene.unbind()
        high = torch.sigmoid((self.brightness(thumbs) - threshold) / spread.clamp(min=1e-6))
        split = torch.zeros_like(uniform)
        split[:, 0], split[:, 1] = 1.0 - high, high
        return uniform + on * (split - uniform)

    @staticmethod
    def brightness(thumbs: torch.Tensor) -> torch.Tensor:
        """Mean relative luminance ``(B,)`` of thumbnails ``(B, 3, h, w)`` in [0, 1]: what the scene split reads."""
        return luminance(thumbs.movedim(1, -1).clamp(0, 1)).mean(dim=(1, 2))

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):  # type: ignore[override]
        """As nn.Module's; a look saved before the scene split existed loads with the split off."""
        if "scene" not in state_dict:
            state_dict = {**state_dict, "scene": torch.zeros(3)}
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def mix(self, weights: torch.Tensor) -> torch.Tensor:
        """Mixed LUTs ``(B, 3, n, n, n)`` for weights ``(B, K)``."""
        return torch.einsum("bk,kcxyz->bcxyz", weights, self.luts)

    def lut_for(self, images: torch.Tensor) -> torch.Tensor:
        return self.mix(self.weights(images))

    def mean_lut(self) -> torch.Tensor:
        """The LUT ``(3, n, n, n)`` for the mean weights over the training photos (the export default)."""
        return self.mix(self.mean_weights[None])[0]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return apply_lut(images, self.lut_for(images)).clamp(0.0, 1.0)
