"""Exporting looks for other programs: .cube and HaldCLUT files (``cube``)."""
