"""The shipped YAML presets load and match the code's defaults where they say so."""
from pathlib import Path

from lookgan.core.config import TrainConfig, from_dict, load_yaml
from lookgan.kinds.generator.dcgan import DCGANConfig

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_dcgan_preset_is_the_default_dcgan():
    data = load_yaml(CONFIGS / "dcgan.yaml")
    from lookgan.kinds.generator.dcgan import DCGAN

    assert from_dict(DCGANConfig, data["method"]) == DCGANConfig()
    assert from_dict(TrainConfig, data["train"]) == from_dict(TrainConfig, DCGAN.train_defaults)


def test_lut_preset_is_the_default_lut():
    from lookgan.kinds.colour.method import LUTGAN, LUTConfig

    data = load_yaml(CONFIGS / "lut.yaml")
    assert from_dict(LUTConfig, data["method"]) == LUTConfig()
    assert from_dict(TrainConfig, data["train"]) == from_dict(TrainConfig, LUTGAN.train_defaults)


def test_translator_presets_are_the_defaults():
    from lookgan.kinds.translator.cut import CUT, CUTConfig
    from lookgan.kinds.translator.cyclegan import CycleGAN, CycleGANConfig

    for name, config_cls, method in (("cyclegan", CycleGANConfig, CycleGAN), ("cut", CUTConfig, CUT)):
        data = load_yaml(CONFIGS / f"{name}.yaml")
        assert from_dict(config_cls, data["method"]) == config_cls(), name
        assert from_dict(TrainConfig, data["train"]) == from_dict(TrainConfig, method.train_defaults), name


def test_fastgan_preset_is_the_default():
    from lookgan.kinds.generator.fastgan import FastGAN, FastGANConfig

    data = load_yaml(CONFIGS / "fastgan.yaml")
    assert from_dict(FastGANConfig, data["method"]) == FastGANConfig()
    assert from_dict(TrainConfig, data["train"]) == from_dict(TrainConfig, FastGAN.train_defaults)
