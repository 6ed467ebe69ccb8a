"""The image-adaptive 3D LUT (after Zeng et al., "Learning Image-adaptive 3D Lookup Tables", TPAMI 2020) and the
small CNNs it trains with.

``AdaptiveLUT`` holds K basis LUTs and, when adaptive, a tiny CNN that looks at a thumbnail of the photo and
predicts how to mix them. The mixed LUT is then applied to the full-resolution pixels, so the look is exact at
any size and costs the same on a 4K photo as on a thumbnail, apart from the table reads.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..ops.lut3d import apply_lut, identity_lut


class ConvEncoder(nn.Module):
    """Five stride-2 3x3 convolutions (LeakyReLU 0.2, InstanceNorm), then global pooling and a linear layer.

    The paper's weight predictor (with pooling instead of its final 8x8 convolution, so any thumbnail size
    works). With ``pool=False`` the linear layer becomes a 1x1 convolution and the net scores every cell of
    its last feature map: a patch discriminator with a large receptive field. ``norm=False`` drops the
    InstanceNorm layers: a discriminator of *colour* must not have per-image feature statistics normalised away
    (with them, ours could not tell a graded photo from a style image at all: its loss sat at chance).
    """

    def __init__(self, *, out_features: int, width: int = 16, dropout: float = 0.5, pool: bool = True,
                 norm: bool = True, in_channels: int = 3) -> None:
        super().__init__()
        chans = [in_channels, width, 2 * width, 4 * width, 8 * width, 8 * width]
        layers: list[nn.Module] = []
        for i, (cin, cout) in enumerate(zip(chans[:-1], chans[1:])):
            layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.LeakyReLU(0.2)]
            if norm and i > 0:  # as in the paper, no normalisation on the first layer: it would erase colour
                layers.append(nn.InstanceNorm2d(cout, affine=True))
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.pool = pool
        self.head = nn.Linear(chans[-1], out_features) if pool else nn.Conv2d(chans[-1], out_features, 1)
        if not norm:
            # Without normalisation, PyTorch's default init shrinks the signal at every layer and the critic's
            # output starts (and, we measured, stays) constant: its loss sat at chance for hundreds of steps.
            # He init for LeakyReLU(0.2) keeps the scale through the stack.
            for m in self.features:
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, a=0.2, nonlinearity="leaky_relu")
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)  # (B, 8w, H/32, W/32)
        if self.pool:
            return self.head(self.dropout(h.mean(dim=(2, 3))))  # (B, out)
        return self.head(self.dropout(h))  # (B, out, H/32, W/32)


def thumbnail(images: torch.Tensor, size: int) -> torch.Tensor:
    """``(B, 3, H, W)`` -> ``(B, 3, size, size)``, antialiased (the whole frame, aspect squashed, as the paper)."""
    if images.shape[-2:] == (size, size):
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


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
        return uniform + self.predictor(thumbnail(images, self.thumb_size) * 2.0 - 1.0)

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
