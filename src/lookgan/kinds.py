"""What each look kind learns, in one sentence, for people choosing one (CLI help, web app).

Kept apart from the method classes on purpose: this table imports nothing heavy, so ``lookgan --help`` and the
web app can show it before torch is loaded. A test keeps it in step with the registry (names, ``needs_photos``,
``generates``).
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class KindInfo:
    name: str
    learns: str
    """One sentence: what the look captures."""
    needs_photos: bool
    """Trains from the style images *and* your own photos (unpaired)."""
    generates: bool
    """Makes new images instead of restyling photos."""
    time_here: str
    """How long the default training takes on a 2-core CPU (measured; a GPU is much faster)."""


KINDS: tuple[KindInfo, ...] = (
    KindInfo("lut", "colour and tone grade as an image-adaptive 3D LUT (GAN, or from --pairs); exact, fast, "
             "exports to .cube",
             True, False, "about 5 minutes"),
    KindInfo("reinhard", "baseline: Lab mean/std colour transfer baked into one LUT", True, False, "seconds"),
    KindInfo("ot", "baseline: optimal-transport colour transfer baked into one LUT; strong for global grades",
             True, False, "seconds"),
    KindInfo("cyclegan", "texture and colour style with two generators and a cycle (slowest)", True, False,
             "30 minutes"),
    KindInfo("cut", "texture and colour style with one generator and PatchNCE", True, False, "30 minutes"),
    KindInfo("fastcut", "CUT's lighter variant: no identity pass, flip equivariance", True, False, "30 minutes"),
    KindInfo("dcgan", "new images in the look (the baseline generator)", False, True, "3-10 minutes"),
    KindInfo("fastgan", "new images from 20-300 examples: skip-layer excitation, self-supervised D, DiffAugment",
             False, True, "20 minutes"),
)

KIND_INFO: dict[str, KindInfo] = {k.name: k for k in KINDS}


def kinds_help(width: int = 108) -> str:
    """The kinds as an aligned list (click's ``\\b`` keeps the lines as they are)."""
    lines = ["\b", "Kinds (default training time on a 2-core CPU):"]
    for k in KINDS:
        needs = "needs --photos" if k.needs_photos else "STYLE_DIR only"
        text = f"{k.learns} ({needs}; {k.time_here})"
        lines.extend(textwrap.wrap(text, width=width, initial_indent=f"  {k.name:9s} ", subsequent_indent=" " * 12))
    return "\n".join(lines)
