"""The small CNN that looks at a thumbnail of a photo: the adaptive LUT's weight predictor and, without its
pooling, a patch critic (shared by the ``lut`` and ``preset`` kinds)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


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
