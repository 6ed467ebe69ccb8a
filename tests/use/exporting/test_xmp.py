"""Lightroom / Camera Raw export: the RGB table against its description (round trip, a published example, the
MD5 name), the XML against the camera-raw-settings schema we write to, the preset's settings in their ranges,
and a profile read back as a look. Camera Raw itself does not run here."""
from __future__ import annotations

import hashlib
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib

import numpy as np
import pytest
import torch

import lookgan
from lookgan.core.errors import InputError, LutFileError
from lookgan.kinds.capabilities import ApplyOptions
from lookgan.kinds.look import as_restyler
from lookgan.ops.lut3d import identity_lut
from lookgan.use.exporting.cube import write_cube
from lookgan.use.exporting.xmp import (
    CRS,
    decode_base85,
    decode_table,
    encode_base85,
    encode_table,
    read_xmp_table,
    table_stream,
)
from tests.helpers import BUSY_PRESET, write_preset_look

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#: A 2x2x2 identity RGB table as published in an open-source converter's test suite (Rust, MIT), encoded by
#: their own writer: decoding it checks our reading of the layout against an independent implementation.
PUBLISHED_IDENTITY = "71000rtKmwBRLy1{X$/w9'=(bLC9YEvFE(9%a0@fg0"


def test_base85_round_trip_and_group_lengths():
    for n in range(0, 13):
        data = bytes(np.random.default_rng(n).integers(0, 256, n, dtype=np.uint8))
        text = encode_base85(data)
        assert len(text) == 5 * (n // 4) + (n % 4 + 1 if n % 4 else 0)  # a final group of k bytes: k + 1 chars
        assert decode_base85(text) == data
    assert encode_base85(b"\0\0\0\0") == "00000"  # digit 0 is '0'; the least significant digit comes first
    assert encode_base85((84).to_bytes(4, "little")) == "#0000" and encode_base85((85).to_bytes(4, "little")) == "01000"
    with pytest.raises(LutFileError, match="alphabet"):
        decode_base85("ab~de")


def test_rgb_table_round_trip_and_name():
    lut = torch.rand(3, 17, 17, 17)
    name, text = encode_table(lut)
    assert torch.allclose(decode_table(text), lut, atol=1 / 65535)
    packed = decode_base85(text)
    stream = zlib.decompress(packed[4:])
    assert struct.unpack_from("<I", packed)[0] == len(stream) and stream == table_stream(lut)
    assert name == hashlib.md5(stream).hexdigest().upper()
    assert struct.unpack_from("<IIII", stream) == (1, 1, 3, 17)
    # the identity stores zero differences: every sample is its lattice value
    ident = table_stream(identity_lut(9, dtype=torch.float64))
    assert set(np.frombuffer(ident, dtype="<u2", count=9 ** 3 * 3, offset=16).tolist()) == {0}


def test_a_published_identity_table_decodes_to_the_identity():
    assert torch.allclose(decode_table(PUBLISHED_IDENTITY), identity_lut(2))


def _profile_and_preset(zip_path):
    with zipfile.ZipFile(zip_path) as z:
        names = sorted(z.namelist())
        return names, {n: z.read(n).decode() for n in names}


def _description(xml_text: str) -> ET.Element:
    root = ET.fromstring(xml_text)  # well-formed, namespaces declared
    assert root.tag == "{adobe:ns:meta/}xmpmeta"
    desc = root.find(f"{{{RDF}}}RDF/{{{RDF}}}Description")
    assert desc is not None
    return desc


def test_a_colour_look_is_a_profile_with_its_lut(tmp_path):
    warm = identity_lut(33).clone()
    warm[0] = warm[0] ** 0.8
    write_cube(warm, tmp_path / "warm.cube")
    look = lookgan.import_lut(tmp_path / "warm.cube", out=tmp_path / "warm.look")
    report: dict = {}
    out = lookgan.export(look, format="xmp", out=tmp_path / "warm.zip", report=report)
    names, files = _profile_and_preset(out)
    assert names == ["README.txt", "warm-profile.xmp"]  # no vignette or grain: no preset
    d = _description(files["warm-profile.xmp"])
    a = {k.replace(f"{{{CRS}}}", ""): v for k, v in d.attrib.items()}
    assert a["PresetType"] == "Look" and a["SupportsAmount"] == "True" and len(a["UUID"]) == 32
    table = a[f"Table_{a['RGBTable']}"]
    assert d.find(f"{{{CRS}}}Group/{{{RDF}}}Alt/{{{RDF}}}li").text == "lookgan"
    assert d.find(f"{{{CRS}}}Name/{{{RDF}}}Alt/{{{RDF}}}li").text == "warm"
    lut = decode_table(table)
    assert lut.shape == (3, 32, 32, 32)  # Camera Raw's limit
    assert "ΔE2000 mean" in report["resampled"] and "resampled" in files["README.txt"]
    mean_de = float(report["resampled"].split("mean ")[1].split(",")[0])
    assert mean_de < 0.2
    # read back as a look: the same colours as the original, within the resampling
    back = lookgan.import_lut(_unzip(out, tmp_path, "warm-profile.xmp"), out=tmp_path / "back.look")
    img = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    a_img = as_restyler(look).grader(ApplyOptions())(img).astype(int)
    b_img = as_restyler(back).grader(ApplyOptions())(img).astype(int)
    assert np.abs(a_img - b_img).max() <= 2


def _unzip(zip_path, folder, name):
    with zipfile.ZipFile(zip_path) as z:
        z.extract(name, folder)
    return folder / name


def test_a_preset_look_adds_vignette_and_grain_as_camera_raw_settings(tmp_path):
    look = write_preset_look(tmp_path / "vig.look", BUSY_PRESET)
    report: dict = {}
    out = lookgan.export(look, format="xmp", out=tmp_path / "vig.zip", report=report)
    names, files = _profile_and_preset(out)
    assert names == ["README.txt", "vig-preset.xmp", "vig-profile.xmp"]
    d = _description(files["vig-preset.xmp"])
    a = {k.replace(f"{{{CRS}}}", ""): v for k, v in d.attrib.items()}
    assert a["PresetType"] == "Normal" and a["ProcessVersion"] == "11.0"
    assert -100 <= int(a["PostCropVignetteAmount"]) < -10  # BUSY_PRESET darkens the corners
    for key in ("PostCropVignetteMidpoint", "PostCropVignetteFeather", "GrainAmount", "GrainSize",
                "GrainFrequency"):
        assert 0 <= int(a[key]) <= 100, key
    assert -100 <= int(a["PostCropVignetteRoundness"]) <= 100 and a["PostCropVignetteStyle"] == "1"
    assert int(a["GrainAmount"]) > 0
    inner = d.find(f"{{{CRS}}}Look/{{{RDF}}}Description")
    params = inner.find(f"{{{CRS}}}Parameters/{{{RDF}}}Description")
    profile = _description(files["vig-profile.xmp"])
    assert params.get(f"{{{CRS}}}RGBTable") == profile.get(f"{{{CRS}}}RGBTable")
    assert inner.get(f"{{{CRS}}}UUID") == profile.get(f"{{{CRS}}}UUID")
    assert "colours and blend modes" in report["not_in_lut"] and "not carried" in files["README.txt"]
    assert "Import Profiles & Presets" in files["README.txt"]
    assert torch.allclose(read_xmp_table(_unzip(out, tmp_path, "vig-preset.xmp")),
                          read_xmp_table(_unzip(out, tmp_path, "vig-profile.xmp")))


def test_bad_names_and_files_are_refused(tmp_path):
    look = write_preset_look(tmp_path / "v.look", BUSY_PRESET)
    with pytest.raises(InputError, match="ends in .zip"):
        lookgan.export(look, format="xmp", out=tmp_path / "v.xmp")
    (tmp_path / "plain.xmp").write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    with pytest.raises(LutFileError, match="no crs:RGBTable"):
        read_xmp_table(tmp_path / "plain.xmp")
    (tmp_path / "broken.xmp").write_text('crs:RGBTable="' + "A" * 32 + '"')
    with pytest.raises(LutFileError, match="does not hold"):
        read_xmp_table(tmp_path / "broken.xmp")
