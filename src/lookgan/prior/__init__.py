"""The colour grade prior (issue 27): tell a grade from the content difference between two photo sets.

- :mod:`~lookgan.prior.grades`: random synthetic grades (film LUTs, blends, parametric grades);
- :mod:`~lookgan.prior.basis`: what grades look like, shipped as the principal directions of such grades;
- :mod:`~lookgan.prior.posterior`: the evidence that a feed holds a grade at all, against the user's own photos'
  difference from one another, and the look blended accordingly.
"""
