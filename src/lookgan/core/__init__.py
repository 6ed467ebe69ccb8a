"""The torch-free foundation every other layer stands on: errors, atomic file writing, optional extras, config
files, the kind registry and the kinds' catalogue.

Nothing here imports torch, numpy's heavy users or any other lookgan folder, which is what lets the front
(``lookgan --help``, ``train KIND --help``, the web page's first paint) start in a fraction of a second: the
CLI and the web app import only this layer until a command actually needs the heavy side
(:mod:`lookgan.api`, the one lazy boundary).
"""
