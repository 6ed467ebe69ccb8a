"""Looks for Adobe Lightroom (Classic and cloud) and Camera Raw: a creative profile carrying the look's LUT as
an RGB table, and a preset carrying the parts that map onto Camera Raw's own sliders (post-crop vignette, grain).

The RGB table (``crs:RGBTable`` naming a ``crs:Table_<MD5>`` attribute) follows the layout of Adobe's DNG SDK
(``dng_big_table.cpp``: ``dng_rgb_table::PutStream`` and ``dng_big_table::EncodeAsString``), read there and
written here from its description (see docs/formats.md):

* a little-endian stream: ``uint32`` table type 1 (RGB table), version 1, dimensions 3, divisions ``n`` (2..32);
  then for red (outermost), green, blue (innermost) the three outputs as ``uint16`` 0..65535, each stored as
  its difference (mod 2^16) from the identity value ``(i * 65535 + n // 2) // (n - 1)`` of its own axis; then
  ``uint32`` primaries (0 = sRGB), gamma (1 = sRGB), gamut (0 = clip) and two ``float64``: the amount slider's
  range (we allow 0..2, i.e. 0-200 %);
* the MD5 of that stream, in upper-case hex, is the table's name;
* the stored text is: the stream's length as ``uint32``, then the zlib-compressed stream, encoded with Adobe's
  base-85 variant (Z85-like, its own alphabet, little-endian 4-byte groups, digits least significant first; a
  final group of k bytes gives k + 1 characters).

Camera Raw's tables hold at most 32 points per axis: a 33³ look is resampled to 32³ (the error is reported).
"""
from __future__ import annotations

import hashlib
import re
import struct
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import torch

from ...core.errors import LutFileError
from ...core.io import atomic_write
from ...kinds.capabilities import ApplyOptions, EditorLayers
from ...kinds.look import Look
from ...ops.color import delta_e2000_rgb
from ...ops.lut3d import resample_lut
from .editor import check_suffix, editor_look, read_text, record_missing

MAX_DIVISIONS = 32
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?`'|()[]{}@%$#"
_DECODE = {c: i for i, c in enumerate(_ALPHABET)}
_RGB_TABLE, _VERSION, _SRGB_PRIMARIES, _SRGB_GAMMA, _GAMUT_CLIP = 1, 1, 0, 1, 0
CRS = "http://ns.adobe.com/camera-raw-settings/1.0/"


# --- the RGB table ----------------------------------------------------------------------------------------------
def _identity_codes(n: int) -> np.ndarray:
    return (np.arange(n, dtype=np.int64) * 0xFFFF + (n >> 1)) // (n - 1)


def table_stream(lut: torch.Tensor) -> bytes:
    """The uncompressed RGB-table stream of a ``(3, n, n, n)`` LUT (n <= 32) in 0..1."""
    n = lut.shape[-1]
    if not 2 <= n <= MAX_DIVISIONS:
        raise ValueError(f"an RGB table has 2..{MAX_DIVISIONS} points per axis, got {n}")
    rgb = lut.detach().double().cpu().permute(3, 2, 1, 0).numpy()  # [r, g, b, channel]
    codes = np.round(np.clip(rgb, 0.0, 1.0) * 65535.0).astype(np.int64)
    ident = _identity_codes(n)
    codes[..., 0] -= ident[:, None, None]
    codes[..., 1] -= ident[None, :, None]
    codes[..., 2] -= ident[None, None, :]
    samples = (codes & 0xFFFF).astype("<u2").tobytes()
    tail = struct.pack("<III", _SRGB_PRIMARIES, _SRGB_GAMMA, _GAMUT_CLIP) + struct.pack("<dd", 0.0, 2.0)
    return struct.pack("<IIII", _RGB_TABLE, _VERSION, 3, n) + samples + tail


def encode_base85(data: bytes) -> str:
    """Adobe's base-85 variant of ``data`` (see the module docstring)."""
    out = []
    for start in range(0, len(data), 4):
        group = data[start:start + 4]
        value = int.from_bytes(group.ljust(4, b"\0"), "little")
        digits = []
        for _ in range(5):
            value, digit = divmod(value, 85)
            digits.append(_ALPHABET[digit])
        out.append("".join(digits[:len(group) + 1]))
    return "".join(out)


def decode_base85(text: str) -> bytes:
    """The bytes of Adobe's base-85 text (whitespace ignored); the inverse of :func:`encode_base85`."""
    chars = [c for c in text if not c.isspace()]
    out = bytearray()
    for start in range(0, len(chars), 5):
        group = chars[start:start + 5]
        if len(group) == 1:
            raise LutFileError("RGB table text ends in the middle of a group (a lone character)")
        try:
            value = sum(_DECODE[c] * 85 ** i for i, c in enumerate(group))
        except KeyError as e:
            raise LutFileError(f"RGB table text holds {e.args[0]!r}, not in Adobe's base-85 alphabet") from None
        out += (value & 0xFFFFFFFF).to_bytes(4, "little")[:len(group) - 1]
    return bytes(out)


def encode_table(lut: torch.Tensor) -> tuple[str, str]:
    """(name, text) of the RGB table for ``lut`` (resampled to at most 32 points per axis first)."""
    n = min(lut.shape[-1], MAX_DIVISIONS)
    stream = table_stream(resample_lut(lut.detach().double().cpu(), n))
    packed = struct.pack("<I", len(stream)) + zlib.compress(stream, 9)
    return hashlib.md5(stream).hexdigest().upper(), encode_base85(packed)


def decode_table(text: str) -> torch.Tensor:
    """The ``(3, n, n, n)`` LUT of an RGB table's text (``crs:Table_...``), checked as it is read."""
    packed = decode_base85(text)
    if len(packed) < 8:
        raise LutFileError("RGB table too short to hold a table")
    size = struct.unpack_from("<I", packed)[0]
    try:
        stream = zlib.decompress(packed[4:])
    except zlib.error as e:
        raise LutFileError(f"RGB table data is not zlib-compressed ({e})") from None
    if len(stream) != size:
        raise LutFileError(f"RGB table holds {len(stream)} bytes, its header says {size}")
    kind, version, dims, n = struct.unpack_from("<IIII", stream)
    if kind != _RGB_TABLE or version != _VERSION:
        raise LutFileError(f"not an RGB table (type {kind}, version {version})")
    if dims != 3:
        raise LutFileError(f"a {dims}-dimensional RGB table; lookgan reads 3D tables")
    if not 2 <= n <= MAX_DIVISIONS:
        raise LutFileError(f"RGB table with {n} divisions (Camera Raw allows 2..{MAX_DIVISIONS})")
    count = n ** 3 * 3
    if len(stream) < 16 + 2 * count + 12:
        raise LutFileError("RGB table truncated")
    deltas = np.frombuffer(stream, dtype="<u2", count=count, offset=16).astype(np.int64).reshape(n, n, n, 3)
    primaries, gamma, _ = struct.unpack_from("<III", stream, 16 + 2 * count)
    if (primaries, gamma) != (_SRGB_PRIMARIES, _SRGB_GAMMA):
        raise LutFileError(f"RGB table in primaries {primaries}, gamma {gamma}; lookgan reads sRGB tables (0, 1)")
    ident = _identity_codes(n)
    values = np.stack([(deltas[..., 0] + ident[:, None, None]) & 0xFFFF,
                       (deltas[..., 1] + ident[None, :, None]) & 0xFFFF,
                       (deltas[..., 2] + ident[None, None, :]) & 0xFFFF], axis=-1) / 65535.0  # [r, g, b, c]
    return torch.from_numpy(np.ascontiguousarray(values.transpose(3, 2, 1, 0))).float()


def read_xmp_table(path: str | Path) -> torch.Tensor:
    """The LUT of a Lightroom / Camera Raw profile (or preset) file's RGB table."""
    path = Path(path)
    text = read_text(path, "XMP")
    name = re.search(r'crs:RGBTable="([0-9A-Fa-f]{32})"', text)
    if name is None:
        raise LutFileError(f"{path}: no crs:RGBTable in this file; it is not a profile with a colour table "
                           "(profiles made from a LUT have one)")
    body = re.search(rf'crs:Table_{name.group(1)}="([^"]+)"', text)
    if body is None:
        raise LutFileError(f"{path}: crs:RGBTable names table {name.group(1)}, which the file does not hold")
    try:
        return decode_table(body.group(1))
    except LutFileError as e:
        raise LutFileError(f"{path}: {e}") from None


# --- the two files --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LightroomFiles:
    profile: str
    preset: str | None
    resample_note: str | None
    """What resampling the table cost (points per axis, ΔE2000), when the look's LUT was larger than 32³."""


def _alt(tag: str, text: str) -> str:
    return (f"   <crs:{tag}>\n    <rdf:Alt>\n     <rdf:li xml:lang=\"x-default\">{escape(text)}</rdf:li>\n"
            f"    </rdf:Alt>\n   </crs:{tag}>\n")


def _wrap(attributes: dict[str, str], children: str) -> str:
    attrs = "".join(f'\n   crs:{k}="{escape(v, {chr(34): "&quot;"})}"' for k, v in attributes.items())
    return ('<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="lookgan">\n'
            ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            f'  <rdf:Description rdf:about=""\n    xmlns:crs="{CRS}"{attrs}>\n{children}'
            "  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n")


_SUPPORTS = {"SupportsAmount": "True", "SupportsColor": "True", "SupportsMonochrome": "True",
             "SupportsHighDynamicRange": "True", "SupportsNormalDynamicRange": "True",
             "SupportsSceneReferred": "True", "SupportsOutputReferred": "True"}


def preset_settings(layers: EditorLayers) -> dict[str, str]:
    """Camera Raw settings for a look's vignette and grain (process version 2012+ ranges)."""
    out: dict[str, str] = {}
    v, g = layers.vignette, layers.grain
    if v is not None:
        # Amount -100..100 darkens/lightens the corners; at -100 they go to about black: ours, relative change
        out.update(PostCropVignetteAmount=str(int(round(max(-100.0, min(100.0, 100.0 * v.amount))))),
                   PostCropVignetteMidpoint=str(int(round(100 * min(max(v.midpoint, 0.0), 1.0)))),
                   PostCropVignetteFeather=str(int(round(100 * min(max(v.feather, 0.0), 1.0)))),
                   PostCropVignetteRoundness=str(int(round(100 * (1.0 - 2.0 * min(max(v.roundness, 0.0), 1.0))))),
                   PostCropVignetteStyle="1",
                   PostCropVignetteHighlightContrast=str(int(round(100 * min(max(v.highlights, 0.0), 1.0)))))
    if g is not None:
        # Camera Raw's grain is monochrome; amount 0..100, size 0..100 (25 = default, fine), roughness 0..100
        out.update(GrainAmount=str(int(round(min(100.0, g.amount / 0.001)))),
                   GrainSize=str(int(round(min(100.0, max(0.0, 25.0 * g.size / 0.002))))),
                   GrainFrequency="50")
    return out


def lightroom_files(lut: torch.Tensor, layers: EditorLayers | None, *, name: str, group: str = "lookgan",
                    description: str = "") -> LightroomFiles:
    """The profile (colour) and, when the look has editor layers, the preset (the profile plus vignette and
    grain) as XMP text."""
    table_name, table = encode_table(lut)
    note = None
    if lut.shape[-1] > MAX_DIVISIONS:
        fine = lut.detach().double().cpu()
        coarse = resample_lut(resample_lut(fine, MAX_DIVISIONS), fine.shape[-1])
        de = delta_e2000_rgb(fine.permute(1, 2, 3, 0).clamp(0, 1), coarse.permute(1, 2, 3, 0).clamp(0, 1))
        note = (f"resampled from {fine.shape[-1]}³ to {MAX_DIVISIONS}³ (Camera Raw's limit): ΔE2000 mean "
                f"{float(de.mean()):.3f}, max {float(de.max()):.3f} at the {fine.shape[-1]}³ lattice points")
    profile_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"lookgan:{name}:{table_name}").hex.upper()
    profile_attrs = {"PresetType": "Look", "Cluster": "", "UUID": profile_uuid, **_SUPPORTS,
                     "CameraModelRestriction": "", "Copyright": "", "ContactInfo": "", "Version": "15.0",
                     "ProcessVersion": "11.0", "ConvertToGrayscale": "False", "RGBTable": table_name,
                     f"Table_{table_name}": table, "HasSettings": "True"}
    children = _alt("Name", name) + _alt("Group", group) + _alt("Description", description)
    profile = _wrap(profile_attrs, children)
    settings = preset_settings(layers) if layers is not None else {}
    if not settings:
        return LightroomFiles(profile=profile, preset=None, resample_note=note)
    look = (f'   <crs:Look>\n    <rdf:Description crs:Name="{escape(name)}" crs:Amount="1.000000" '
            f'crs:UUID="{profile_uuid}" crs:SupportsAmount="true" crs:SupportsMonochrome="true" '
            f'crs:SupportsOutputReferred="true" crs:Copyright="">\n'
            f'     <crs:Group>\n      <rdf:Alt>\n       <rdf:li xml:lang="x-default">{escape(group)}</rdf:li>\n'
            f'      </rdf:Alt>\n     </crs:Group>\n     <crs:Parameters>\n'
            f'      <rdf:Description crs:Version="15.0" crs:ProcessVersion="11.0" crs:ConvertToGrayscale="False" '
            f'crs:RGBTable="{table_name}" crs:Table_{table_name}="{table}"/>\n'
            f'     </crs:Parameters>\n    </rdf:Description>\n   </crs:Look>\n')
    preset_attrs = {"PresetType": "Normal", "Cluster": "",
                    "UUID": uuid.uuid5(uuid.NAMESPACE_URL, f"lookgan-preset:{name}:{table_name}").hex.upper(),
                    "SupportsAmount": "False", "SupportsColor": "True", "SupportsMonochrome": "True",
                    "SupportsHighDynamicRange": "True", "SupportsNormalDynamicRange": "True",
                    "SupportsSceneReferred": "True", "SupportsOutputReferred": "True", "CameraModelRestriction": "",
                    "Copyright": "", "ContactInfo": "", "Version": "15.0", "ProcessVersion": "11.0",
                    **settings, "HasSettings": "True"}
    preset = _wrap(preset_attrs, _alt("Name", f"{name} (vignette + grain)") + _alt("Group", group) + look)
    return LightroomFiles(profile=profile, preset=preset, resample_note=note)


README = """{name}: a look made with lookgan, for Adobe Lightroom and Camera Raw.

{name}-profile.xmp  the colour (a creative profile: an RGB table of the look's LUT; the Amount slider works).
{preset_line}
Lightroom Classic: Develop > Presets panel > + > Import Presets..., choose this zip (profiles and presets both).
Lightroom (cloud/desktop): File > Import Profiles & Presets..., choose this zip.
Camera Raw (Photoshop): copy the profile to .../Adobe/CameraRaw/Settings/ (the preset too) and restart Photoshop.
{notes}"""


def write_lightroom_zip(files: LightroomFiles, out: Path, *, name: str, notes: list[str]) -> Path:
    """One zip with the profile, the preset (when there is one) and a README naming where each goes."""
    preset_line = (f"{name}-preset.xmp   the vignette and grain as Camera Raw's own sliders, with the profile "
                   "applied." if files.preset else "(no preset: this look has no vignette or grain to carry)")
    readme = README.format(name=name, preset_line=preset_line,
                           notes="".join(f"Note: {n}\n" for n in notes))

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"{name}-profile.xmp", files.profile)
            if files.preset:
                z.writestr(f"{name}-preset.xmp", files.preset)
            z.writestr("README.txt", readme)

    atomic_write(out, write)
    return out


def export_xmp(look: Look, out: str | Path, *, options: ApplyOptions = ApplyOptions(),
               report: dict | None = None) -> Path:
    """``export --format xmp``: the zip of :func:`write_lightroom_zip` at ``out``. ``report`` receives
    ``resampled`` (the resampling error) and ``not_in_lut`` (what neither file carries)."""
    out = Path(out)
    check_suffix(out, ".zip", "Lightroom's one zip (profile + preset)")
    report = {} if report is None else report
    source = editor_look(look, options, report)
    layers = source.layers
    name = look.path.stem
    files = lightroom_files(source.lut, layers, name=name, description=f"lookgan {look.kind} look")
    notes = []
    if files.resample_note:
        report["resampled"] = files.resample_note
        notes.append(f"the colour table was {files.resample_note}")
    if source.missing:
        notes.append(f"not carried (no Camera Raw slider does it): {'; '.join(source.missing)}")
    record_missing(report, source.missing)
    if layers is not None and layers.grain is not None and layers.grain.mono < 0.9:
        notes.append("Camera Raw's grain is monochrome; this look's grain is partly coloured")
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_lightroom_zip(files, out, name=name, notes=notes)
