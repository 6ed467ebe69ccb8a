"""Command-line options a kind declares for itself (``lookgan train KIND --help`` lists them).

In the spirit of CUT's ``modify_commandline_options``: the generic CLI declares the options every kind shares
(``--out``, ``--steps``, ``--seed`` ...) once, and a kind adds its own on its class
(:attr:`lookgan.kinds.base.Method.options`), built-in and plugin kinds alike. An option either switches a few
config values at once (``sets``) or sets one config field to the value given (``field``); either way the values
go into the kind's config (``method_options`` of :func:`lookgan.train`), so the same look can be made from a
config file or from Python. Torch-free and JSON-ready, so the kinds' catalogue caches them and ``--help`` stays
instant.
"""
from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any, Literal

from .errors import InputError

OptionType = Literal["flag", "int", "float", "str", "choice"]

#: libx264's speed presets, fastest first (``apply --video-preset``; here, beside the other option
#: vocabularies, so that the CLI's front needs nothing heavier): faster ones encode quicker at the same CRF 18
#: (the same target quality), trading compression efficiency; on 2 cores the encoder is most of a grading run at
#: ``medium`` (benchmarks/video_grade.py: veryfast 1.6-1.7x the whole run's speed; on that clip its file was even
#: smaller).
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")


@dataclass(frozen=True)
class KindOption:
    """One ``lookgan train KIND`` option (declared in a kind's :attr:`~lookgan.kinds.base.Method.options`)."""

    flag: str
    """The option as typed, e.g. ``--global``."""
    help: str
    """One sentence for ``--help``."""
    sets: dict[str, Any] = dataclasses.field(default_factory=dict)
    """A switch: the config values it sets when given (e.g. ``{"adaptive": False, "n_luts": 1}``)."""
    field: str | None = None
    """A value option: the config field that takes the value given (``--luts 5`` -> ``n_luts=5``)."""
    type: OptionType = "flag"
    choices: tuple[str, ...] = ()
    reference_only: bool = False
    """Only for a look from ONE reference photo (STYLE_DIR a file); refused with a folder."""

    def __post_init__(self) -> None:
        if not self.flag.startswith("--"):
            raise ValueError(f"kind option {self.flag!r} must start with --")
        if (self.type == "flag") != (self.field is None):
            raise ValueError(f"kind option {self.flag}: a flag sets `sets`; a typed option names its `field`")

    @property
    def dest(self) -> str:
        """The Python name of the option's value (``--per-region`` -> ``per_region``)."""
        return self.flag[2:].replace("-", "_")

    def values(self, given: Any) -> dict[str, Any]:
        """The config values for what was typed (``given``: True for a flag; None when not given)."""
        if given is None or given is False:
            return {}
        return dict(self.sets) if self.type == "flag" else {self.field: given}  # type: ignore[dict-item]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "choices": list(self.choices)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "KindOption":
        return cls(**{**data, "choices": tuple(data.get("choices", ()))})


def options_values(options: tuple[KindOption, ...], given: dict[str, Any]) -> dict[str, Any]:
    """The config values of the options typed (``given``: dest -> value, None for those not given)."""
    values: dict[str, Any] = {}
    for option in options:
        values.update(option.values(given.get(option.dest)))
    return values


def check_reference_only(options: tuple[KindOption, ...], values: dict[str, Any], *, reference: bool) -> None:
    """Refuse, naming the flag, a reference-only option's values when the look is learnt from a folder."""
    if reference:
        return
    for option in options:
        if option.reference_only and any(values.get(k) == v for k, v in option.sets.items()):
            raise InputError(f"{option.flag} applies to a look from one reference photo (STYLE_DIR a file); drop it")
