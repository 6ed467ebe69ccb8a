"""Is a generator copying its training images? Nearest-neighbour distances, compared with real images.

A generator trained on 20–300 images can reach a low SWD/FID by reproducing them. For each generated image we
find its nearest training image; real images the generator never saw (``held``) give the reference: how close
an *unseen real* image typically comes to the training set. A generator that generalises makes images about as
far from the training set as held-out reals are (ratio ≈ 1); one that memorises makes them much closer (ratio
well below 1, and a high ``copy_rate``).

Distances are RMS pixel differences in [0, 1] units between images reduced to 32x32 (coarse enough to ignore
the high-frequency noise of a GAN, fine enough that two different portraits are far apart). Without held-out
reals, each training image's distance to its nearest *other* training image is the reference (leave-one-out).
"""
from __future__ import annotations

from typing import Any

import torch

from ...ops.nearest import nearest, pixel_features


def memorisation(generated: torch.Tensor, train: torch.Tensor, held: torch.Tensor | None = None) -> dict[str, Any]:
    """Nearest-training-image statistics of ``generated`` vs real images (all ``(N, 3, H, W)`` in [0, 1]).

    Returns ``nn_gen`` (median distance of generated images to their nearest training image), ``nn_held``
    (the same for held-out reals, or leave-one-out training images without ``held``), ``nn_ratio``
    (``nn_gen / nn_held``: about 1 generalises, much below 1 copies), ``copy_rate`` (fraction of generated
    images closer to a training image than 95 % of the reference images are), ``nn_reference`` ("held" or
    "train-loo") and ``nearest_index`` (training index per generated image)."""
    if len(train) < 2 and held is None:
        raise ValueError("memorisation needs at least two training images or some held-out reals")
    f_train = pixel_features(train)
    d_gen, idx = nearest(pixel_features(generated), f_train)
    if held is not None:
        d_ref, _ = nearest(pixel_features(held), f_train)
    else:
        d_ref, _ = nearest(f_train, f_train, exclude_self=True)
    threshold = torch.quantile(d_ref, 0.05)
    nn_gen, nn_held = float(d_gen.median()), float(d_ref.median())
    return {"nn_gen": nn_gen, "nn_held": nn_held, "nn_ratio": nn_gen / max(nn_held, 1e-12),
            "copy_rate": float((d_gen < threshold).float().mean()), "nn_reference": "held" if held is not None
            else "train-loo", "nearest_index": idx.tolist(), "nn_gen_all": d_gen.tolist(), "nn_ref_all": d_ref.tolist()}
