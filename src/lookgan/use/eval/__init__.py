"""Evaluating looks: scores against known answers (``truth``)."""
