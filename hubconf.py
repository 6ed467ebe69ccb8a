"""torch.hub entry points: ``torch.hub.load(REPO_DIR, "look", source="local", path="NAME.look")``.

Returns the look as one ``nn.Module`` (images ``(N, 3, H, W)`` in [0, 1] in and out; generator looks: latents
``(N, z_dim)`` in, images out; see :meth:`lookgan.Look.module`). Works from a checkout without installing lookgan.
"""
import sys
from pathlib import Path

dependencies = ["torch", "numpy", "safetensors", "PIL"]

_SRC = Path(__file__).resolve().parent / "src"
if _SRC.is_dir() and str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))


def look(path: str, device: str = "cpu"):
    """The look at ``path`` (a NAME.look folder, or a save_pretrained folder) as an ``nn.Module`` in eval mode."""
    from lookgan import load_look

    return load_look(path).module(device=device)
