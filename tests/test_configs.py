"""The shipped YAML presets load and match the code's defaults where they say so."""
from pathlib import Path

from lookgan.config import TrainConfig, from_dict, load_yaml
from lookgan.methods.dcgan import DCGANConfig

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def test_dcgan_preset_is_the_default_dcgan():
    data = load_yaml(CONFIGS / "dcgan.yaml")
    assert from_dict(DCGANConfig, data["method"]) == DCGANConfig()
    assert from_dict(TrainConfig, data["train"]) == TrainConfig()
