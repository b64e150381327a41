"""Weight encodings: --quantize specs, on-disk size versus float32, and quantized weights read back."""

import fnmatch
import json
from pathlib import Path

import numpy as np

from tfjs_bridge.common.quiet import quiet_import
from tfjs_bridge.export.errors import ExportError

QUANTIZE_MODES = ("float16", "uint16", "uint8")  # least to most lossy
DTYPE_BYTES = {"float32": 4, "int32": 4, "bool": 1, "float16": 2, "uint16": 2, "uint8": 1}


def parse_quantize(specs: list[str] | None) -> dict | None:
    """`uint8` (every float weight) or `uint8=GLOB` (weights whose names match) → the converter's dtype map."""
    if not specs:
        return None
    qmap = {}
    for spec in specs:
        mode, _, glob = spec.partition("=")
        if mode not in QUANTIZE_MODES:
            raise ExportError(f"--quantize {spec}: mode must be one of {', '.join(QUANTIZE_MODES)}")
        if not glob:
            if any(v is True for v in qmap.values()):
                raise ExportError(f"--quantize {spec}: only one mode can apply to all weights; add =GLOB to the others")
            qmap[mode] = True
        elif qmap.get(mode) is True:
            raise ExportError(f"--quantize {spec}: {mode} already applies to all weights")
        else:
            qmap.setdefault(mode, []).append(glob)
    return qmap


def check_quantized(model_dir: Path, qmap: dict | None) -> None:
    """Refuse a --quantize GLOB that quantized no weight of the exported model (a typo would otherwise pass silently)."""
    if not qmap:
        return
    manifest = json.loads((Path(model_dir) / "model.json").read_text())["weightsManifest"]
    weights = [w for g in manifest for w in g["weights"]]
    for mode, globs in qmap.items():
        for glob in ([] if globs is True else globs):
            if not any(fnmatch.fnmatchcase(w["name"], glob) and (w.get("quantization") or {}).get("dtype") == mode for w in weights):
                names = ", ".join(w["name"] for w in weights[:6]) + (", ..." if len(weights) > 6 else "")
                raise ExportError(f"--quantize {mode}={glob}: matches no weight of this model (its weights: {names})")


def quantization_label(qmap: dict | None) -> str | None:
    """The most lossy mode in a dtype map: it sets the parity tolerance."""
    if not qmap:
        return None
    return max(qmap, key=QUANTIZE_MODES.index)


def weight_bytes(model_dir: Path) -> dict:
    """Bytes of the weight shards on disk, and what the same weights take as float32."""
    manifest = json.loads((Path(model_dir) / "model.json").read_text())["weightsManifest"]
    on_disk = sum((Path(model_dir) / p).stat().st_size for g in manifest for p in g["paths"])
    as_float32 = sum(int(np.prod(w["shape"], dtype=np.int64)) * DTYPE_BYTES.get(w["dtype"], 4)
                     for g in manifest for w in g["weights"])
    return {"on_disk": on_disk, "float32": as_float32, "ratio": round(on_disk / as_float32, 4) if as_float32 else None}


def read_back(model_dir: Path) -> list[tuple[str, np.ndarray]]:
    """(name, value) of every exported weight, dequantized the way tf.js does, in manifest order."""
    read_weights = quiet_import("tensorflowjs.read_weights")
    manifest = json.loads((Path(model_dir) / "model.json").read_text())["weightsManifest"]
    return [(w["name"], w["data"]) for w in read_weights.read_weights(manifest, str(model_dir), flatten=True)]


def load_read_back(model, model_dir: Path) -> None:
    """Put the exported (dequantized) weights into model: each of its weights takes the next float weight of its shape.

    Graph exports rename weights after the ops that read them, so names cannot be matched; the order and shapes
    of a model's variables are kept by both formats.
    """
    pending = [value for _, value in read_back(model_dir) if value.dtype == np.float32]
    for variable in model.weights:
        index = next((i for i, v in enumerate(pending) if v.shape == tuple(variable.shape)), None)
        if index is None:
            raise ExportError(f"{model_dir}: no exported weight of shape {tuple(variable.shape)} for {variable.name}")
        variable.assign(pending.pop(index))
