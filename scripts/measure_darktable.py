"""Where lookgan's darktable export (src/lookgan/use/exporting/dtstyle.py) gets its numbers, re-measured on the installed
darktable (Debian 12: 4.2.1):

1. each module's version and parameter layout (field, type, size, offset), read from the module's own
   introspection data (``get_introspection_linear`` in ``plugins/lib<module>.so``);
2. the grain's standard deviation per 1 % of strength on a mid-grey frame, and its midtones bias at dark and
   light greys, from darktable-cli with a one-module style imported through darktable's Lua API.

    python scripts/measure_darktable.py
"""
from __future__ import annotations

import ctypes
import os
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

LIB = Path("/usr/lib/x86_64-linux-gnu/darktable")
_FIELD = 88  # sizeof(dt_introspection_field_t) on x86-64 in darktable 4.2 (found by scanning the linear array)


def layout(module: str) -> tuple[int, list[tuple[str, str, int, int]]]:
    """(module version, [(field, type, size, offset)]) of a darktable module's parameters."""
    ctypes.CDLL(str(LIB / "libdarktable.so"), mode=ctypes.RTLD_GLOBAL)
    lib = ctypes.CDLL(str(LIB / "plugins" / f"lib{module}.so"), mode=os.RTLD_LAZY)
    lib.get_introspection_linear.restype = ctypes.c_void_p
    base = lib.get_introspection_linear()

    def text(pointer: int) -> str:
        return ctypes.string_at(pointer, 80).split(b"\0")[0].decode() if pointer else ""

    fields = []
    for i in range(100):
        raw = ctypes.string_at(base + i * _FIELD, _FIELD)
        if struct.unpack_from("<i", raw)[0] == 0:  # DT_INTROSPECTION_TYPE_NONE ends the array
            break
        type_name, _, field, _, size, offset = struct.unpack_from("<QQQQQQ", raw, 8)
        if not text(field).endswith("[0]"):
            fields.append((text(field), text(type_name), size, offset))
    return lib.dt_module_mod_version(), fields


def grain_std(strength: float, bias: float, greys: tuple[int, ...] = (40, 128, 215)) -> list[float]:
    """darktable's lightness grain (coarseness 1) on flat greys: the standard deviation in 0..1 units."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        frame = np.concatenate([np.full((200, 200, 3), g, np.uint8) for g in greys], axis=1)
        Image.fromarray(frame).save(tmp_path / "greys.png")
        params = struct.pack("<ifff", 2, 1.0, strength, bias).hex()
        (tmp_path / "g.dtstyle").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<darktable_style version="1.0">\n<info>\n<name>g</name>\n'
            "<description></description>\n</info>\n<style>\n<plugin>\n<num>0</num>\n<module>2</module>\n"
            f"<operation>grain</operation>\n<op_params>{params}</op_params>\n<enabled>1</enabled>\n"
            "<blendop_params></blendop_params>\n<blendop_version>11</blendop_version>\n"
            "<multi_priority>0</multi_priority>\n<multi_name></multi_name>\n</plugin>\n</style>\n</darktable_style>\n")
        conf = ["--core", "--configdir", str(tmp_path / "conf")]
        subprocess.run(["darktable-cli", str(tmp_path / "greys.png"), str(tmp_path / "w.png"), *conf, "--luacmd",
                        f"require('darktable').styles.import('{tmp_path / 'g.dtstyle'}')"], check=True,
                       capture_output=True)
        subprocess.run(["darktable-cli", str(tmp_path / "greys.png"), str(tmp_path / "out.png"), "--style", "g", *conf],
                       check=True, capture_output=True)
        out = np.asarray(Image.open(tmp_path / "out.png").convert("RGB")).astype(float) / 255
    return [round(float(out[:, i * 200 + 20:i * 200 + 180].std()), 4) for i in range(len(greys))]


def main() -> None:
    for module in ("lut3d", "vignette", "grain"):
        version, fields = layout(module)
        print(f"{module} version {version}")
        for field in fields:
            print("   ", field)
    for strength, bias in ((25, 0), (50, 0), (50, 100)):
        stds = grain_std(strength, bias)
        print(f"grain strength {strength} %, midtones bias {bias} %: std at greys 40/128/215 = {stds} "
              f"-> {stds[1] / strength:.6f} per % at mid-grey")


if __name__ == "__main__":
    main()
