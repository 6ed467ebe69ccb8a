"""The use side: what people do with a saved look, whatever its kind.

``applying`` grades photos and folders (tiled, any size), ``video`` grades clips, ``portrait`` treats people
apart, ``generating`` makes new images, ``exporting`` writes the look for editors, ffmpeg and apps, ``eval``
measures it and writes the report, ``demos`` train the shipped examples. Everything here works through what a
look can do (:mod:`lookgan.kinds.capabilities`), never through a kind's class or folder.
"""
