"""The colour grade prior (issue 27): tell a grade from the content difference between two photo sets.

- :mod:`~lookgan.prior.grades`: random synthetic grades (film LUTs, blends, parametric grades);
- :mod:`~lookgan.prior.basis`: what grades look like, shipped as the principal directions of such grades;
- :mod:`~lookgan.prior.posterior`: the evidence that a feed holds a grade at all, against the user's own photos'
  difference from one another, and the look blended accordingly.
"""


def verdict(note: dict) -> str:
    """The grade prior's finding (look.json ``data.colour_prior``) in words; torch-free, for the CLI and reports."""
    if "skipped" in note:
        return f"was not weighed by the colour prior: it {note['skipped']}"
    p = note.get("p_no_grade", 0.0)
    words = ("differs from your photos no more than they differ from one another: probably no grade (the look "
             "changes little)" if p > 0.5 else "holds a grade" if p < 0.1 else "may hold a subtle grade")
    return (f"{words}; p(no grade) {p:.2f}, strength {note.get('grade_strength', 0):.2f}, difference "
            f"{note.get('difference_in_noise_units', 0):.2f}x your photos' own")
