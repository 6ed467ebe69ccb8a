"""The generating kinds: ``dcgan`` (the corrected baseline) and ``fastgan`` (few-shot, with DiffAugment and EMA).

``method.py`` is what both share (sampling, the saved look that generates); ``dcgan.py`` and ``fastgan.py`` are
the recipes and ``*_net.py`` their networks. Nothing outside this folder imports it: the registry loads the
classes named in ``pyproject.toml``.
"""
