"""The colour kinds: ``reinhard`` and ``ot`` (global colour transfer baselines) and ``lut`` (an image-adaptive 3D
LUT trained as a GAN, initialised by optimal transport).

``baselines.py`` fits the two transfers, ``method.py`` trains the LUT, ``look.py`` is the saved look that grades
photos (all three kinds), ``network.py`` the adaptive LUT.
Nothing outside this folder imports it: the registry loads the classes named in ``pyproject.toml``.
"""
