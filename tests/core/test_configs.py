"""The shipped YAML presets (one per kind) load and match the code's defaults."""
from pathlib import Path

import pytest

from lookgan.core.config import TrainConfig, from_dict, load_yaml
from lookgan.core.registry import get_method, list_kinds

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.parametrize("kind", list_kinds())
def test_every_kind_has_a_config_file_at_its_defaults(kind):
    """configs/KIND.yaml exists for every kind and says exactly what the code does by default (the files missing
    are written by scripts/write_configs.py)."""
    cls = get_method(kind)
    path = CONFIGS / f"{kind}.yaml"
    assert path.is_file(), f"no {path.name}: run python scripts/write_configs.py {kind}"
    data = load_yaml(path)
    assert from_dict(cls.Config, data["method"]) == cls.Config(), kind
    assert from_dict(TrainConfig, data.get("train") or {}) == from_dict(TrainConfig, cls.train_defaults), kind


def test_a_bare_yaml_on_or_off_is_taken_as_the_word(tmp_path):
    """YAML 1.1 reads ``gan: off`` as False; where the field is a choice of words, the word is what was meant."""
    from lookgan.kinds.colour.config import LUTConfig

    path = tmp_path / "c.yaml"
    path.write_text("method:\n  gan: off\n")
    assert from_dict(LUTConfig, load_yaml(path)["method"]).gan == "off"
    path.write_text("method:\n  gan: on\n")
    assert from_dict(LUTConfig, load_yaml(path)["method"]).gan == "on"
