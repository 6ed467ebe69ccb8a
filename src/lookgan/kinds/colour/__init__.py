"""The colour kinds: ``reinhard`` and ``ot`` (global colour transfer baselines) and ``lut`` (an image-adaptive 3D
LUT trained as a GAN, initialised by optimal transport).

``method.py`` trains them, ``look.py`` is the saved look that grades photos, ``network.py`` the adaptive LUT.
Nothing outside this folder imports it: the registry loads the classes named in ``pyproject.toml``.
"""
