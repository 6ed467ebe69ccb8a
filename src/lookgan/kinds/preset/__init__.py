"""The ``preset`` kind: the whole look as an editor-like preset (colour LUTs, radial and gradient overlays, film
grain), learnt unpaired and shown as sliders.

``method.py`` trains it (``fit.py`` holds the fitting maths), ``network.py`` is the differentiable preset,
``look.py`` the saved look, ``controls.py`` its sliders, ``fast.py`` the fused apply path and ``ffmpeg.py`` its
ffmpeg filter graph. Nothing outside this folder imports it: the registry loads the class named in
``pyproject.toml``.
"""
