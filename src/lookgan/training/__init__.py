"""The one training engine: loop, checkpoints, EMA, progress and plots."""
