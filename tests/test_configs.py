"""The shipped YAML presets load and match the code's defaults where they say so."""
from pathlib import Path

from lookgan.config import TrainConfig, from_dict, load_yaml
from lookgan.methods.dcgan import DCGANConfig

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def test_dcgan_preset_is_the_default_dcgan():
    data = load_yaml(CONFIGS / "dcgan.yaml")
    from lookgan.methods.dcgan import DCGAN

    assert from_dict(DCGANConfig, data["method"]) == DCGANConfig()
    assert from_dict(TrainConfig, data["train"]) == from_dict(TrainConfig, DCGAN.train_defaults)


def test_lut_preset_is_the_default_lut():
    from lookgan.methods.lut import LUTGAN, LUTConfig

    data = load_yaml(CONFIGS / "lut.yaml")
    assert from_dict(LUTConfig, data["method"]) == LUTConfig()
    assert from_dict(TrainConfig, data["train"]) == from_dict(TrainConfig, LUTGAN.train_defaults)
