"""The texture kinds: ``cyclegan``, ``cut`` and ``fastcut`` image-to-image translators, made data-efficient with
DiffAugment.

``method.py`` is what the three share (training step, saved look, tiled apply in ``tiled.py``, the colour
part distilled to a LUT in ``distil.py``); ``cyclegan.py`` and ``cut.py`` (with its ``patchnce.py`` loss) are the
recipes; ``network.py`` the ResNet generator and PatchGAN discriminator. Nothing outside this folder imports it:
the registry loads the classes named in ``pyproject.toml``.
"""
