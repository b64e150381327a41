"""`tfjs-bridge verify --explain`: a model whose exported weights were altered in one layer is traced to that layer."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tfjs_bridge.common.errors import UserError
from tfjs_bridge.verify import cli as verify_cli
from tfjs_bridge.verify.explain import Explainer, describe, find_source

LAYERS = ("conv", "hidden", "logits")


def tiny_model(keras, seed: int = 0):
    """A small Keras 3 functional classifier (8x8x1 → 3) with non-zero biases, so grappler keeps every bias add."""
    keras.utils.set_random_seed(seed)
    layers, bias = keras.layers, {"bias_initializer": "random_normal"}
    x = keras.Input(shape=(8, 8, 1), name="pixels")
    a = layers.Conv2D(4, 3, padding="same", activation="relu", name="conv", **bias)(x)
    a = layers.Flatten(name="flatten")(a)
    a = layers.Dense(16, activation="relu", name="hidden", **bias)(a)
    a = layers.Dense(3, name="logits", **bias)(a)
    return keras.Model(x, layers.Activation("softmax", name="softmax")(a), name="tiny")


@pytest.fixture(scope="module")
def tiny(keras_modules, tmp_path_factory):
    """The tiny model saved as .keras and exported in both formats by the current exporter: (source, models folder)."""
    from tfjs_bridge.export.convert import ExportOptions, export_source
    from tfjs_bridge.export.sources import from_path

    root = tmp_path_factory.mktemp("explain")
    source = root / "tiny.keras"
    tiny_model(keras_modules["keras3"]).save(source)
    export_source(from_path(source), root / "models", ExportOptions("both"))
    return source, root / "models"


def graph_weight(folder: Path, layer: str) -> tuple[str, str]:
    """The graph folder's kernel constant of a Keras layer, and the node that consumes it (model.json's names)."""
    nodes = json.loads((folder / "model.json").read_text())["modelTopology"]["node"]
    kernel = next(n["name"] for n in nodes if n["op"] == "Const" and f"/{layer}_1/" in n["name"])
    consumer = next(n["name"] for n in nodes if kernel in n.get("input", []))
    return kernel, consumer


def alter_weight(folder: Path, weight: str, delta: float = 0.5) -> None:
    """Move one float32 weight in the folder's shards by ±delta, then re-record the shards so every integrity check passes.

    Signs alternate: the same shift on every element of a logits kernel would move all logits alike, which softmax undoes.
    """
    from tfjs_bridge.export.convert import file_record

    meta = json.loads((folder / "metadata.json").read_text())
    (group,) = json.loads((folder / "model.json").read_text())["weightsManifest"]
    sizes = [(folder / p).stat().st_size for p in group["paths"]]
    data = bytearray(b"".join((folder / p).read_bytes() for p in group["paths"]))
    offset = 0
    for spec in group["weights"]:
        size = 4 * int(np.prod(spec["shape"]))
        if spec["name"] == weight:
            shift = np.where(np.arange(size // 4) % 2, -delta, delta).astype("<f4")
            data[offset:offset + size] = (np.frombuffer(data, "<f4", size // 4, offset) + shift).tobytes()
            break
        offset += size
    else:
        raise AssertionError(f"no weight {weight} in {folder}")
    for rel, size in zip(group["paths"], sizes):
        (folder / rel).write_bytes(data[:size])
        data = data[size:]
    meta["files"] = [file_record(folder, f["path"]) for f in meta["files"]]
    (folder / "metadata.json").write_text(json.dumps(meta))


def altered_copy(models: Path, out: Path, graph_layer: str, layers_layer: str) -> dict:
    """Both folders copied into out, the graph one altered in graph_layer and the layers one in layers_layer's kernel."""
    shutil.copytree(models, out)
    kernel, consumer = graph_weight(out / "tiny-graph", graph_layer)
    alter_weight(out / "tiny-graph", kernel)
    alter_weight(out / "tiny", f"{layers_layer}/kernel")
    return {"kernel": kernel, "node": consumer}


def explain(capfd, *args: str) -> tuple[int, str, str]:
    """Run `tfjs-bridge verify --explain` on cpu in this process: exit code, stdout, stderr."""
    code = verify_cli.main([*args, "--backends", "cpu", "--no-report", "--explain"])
    out, err = capfd.readouterr()
    return code, out, err


def blocks(stdout: str) -> dict[str, list[str]]:
    """The explanation blocks under the table, by folder name."""
    found = {}
    for block in stdout.split("\n\n"):
        if block.startswith("explain "):
            found[block.split()[1]] = block.splitlines()
    return found


def test_unaltered_models_pass_without_explanation(tiny, capfd):
    source, models = tiny
    code, out, err = explain(capfd, str(models), "--source", str(source))
    assert code == 0, out + err
    assert "all 2 checks passed" in out and "explain " not in out


@pytest.mark.slow
@pytest.mark.parametrize("graph_layer, layers_layer", [("hidden", "conv"), ("conv", "logits")])
def test_names_the_altered_layer_and_node(tiny, tmp_path, capfd, graph_layer, layers_layer):
    # Two runs, each layer named in a different run: altering another layer must move the diagnosis with it.
    source, models = tiny
    graph = altered_copy(models, tmp_path / "models", graph_layer, layers_layer)
    code, out, err = explain(capfd, str(tmp_path / "models"), "--source", str(source))
    assert code == 1, out + err
    assert "2 of 2 checks FAILED" in out, out
    found = blocks(out)
    assert set(found) == {"tiny", "tiny-graph"}, out
    layer_op = {"conv": "Conv2D", "hidden": "Dense", "logits": "Dense"}[layers_layer]
    assert found["tiny"][1].startswith(f"  first departing layer: {layers_layer} ({layer_op}), "), out
    assert f"its inputs agree; its weights differ: {layers_layer}/kernel (max |Δ| 5.00e-01)" in found["tiny"][-1]
    fused = "_FusedConv2D" if graph_layer == "conv" else "_FusedMatMul"
    assert found["tiny-graph"][1].startswith(f"  first departing node: {graph['node']} ({fused}), "), out
    assert f"its inputs agree; its weights differ: {graph['kernel']} (max |Δ| 5.00e-01)" in found["tiny-graph"][-1]
    for lines in found.values():
        # Both sides' values of the departing tensor, and how far apart they are.
        assert any(line.strip().startswith("tf.js ") for line in lines) and any("TensorFlow [" in line for line in lines)
        assert "max |Δ|" in lines[2] and "> tolerance 1.0e-04" in lines[2]


def test_without_a_source_says_which_flag_to_give(tiny, tmp_path, capfd):
    _, models = tiny
    altered_copy(models, tmp_path / "models", "hidden", "hidden")
    code, out, err = explain(capfd, str(tmp_path / "models" / "tiny"), "--artifacts", str(tmp_path))
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith("error: tiny: --explain needs the model it was exported from") and "--source PATH" in line


def test_another_model_as_source_is_called_out(tiny, keras_modules, tmp_path):
    # Same architecture and layer names, different weights: the per-layer comparison alone would blame the first layer.
    _, models = tiny
    other = tmp_path / "other.keras"
    tiny_model(keras_modules["keras3"], seed=1).save(other)
    altered_copy(models, tmp_path / "models", "hidden", "hidden")
    report = Explainer(other, tmp_path).explain(tmp_path / "models" / "tiny", "cpu")
    lines = describe("tiny", "cpu", report)
    assert "it is not the model this folder was exported from" in lines[1], lines
    # One that cannot even take the folder's inputs: one line, not a traceback.
    keras = keras_modules["keras3"]
    wide = tmp_path / "wide.keras"
    keras.Sequential([keras.Input((4, 4, 1), name="pixels"), keras.layers.Flatten(), keras.layers.Dense(3)]).save(wide)
    with pytest.raises(UserError, match="tiny: cannot compute TensorFlow's tensors from the source"):
        Explainer(wide, tmp_path).explain(tmp_path / "models" / "tiny", "cpu")


def test_counterparts_are_found_by_name_under_the_artifacts_root(tmp_path):
    meta = {"counterpart": "mlp"}
    with pytest.raises(UserError, match=r"its counterpart 'mlp' is not under .*: pass --source PATH"):
        find_source(Path("models/mlp"), meta, None, tmp_path)
    (tmp_path / "mlp" / "saved_model").mkdir(parents=True)
    (tmp_path / "mlp" / "saved_model" / "saved_model.pb").touch()
    assert find_source(Path("models/mlp"), meta, None, tmp_path) == tmp_path / "mlp" / "saved_model"
    (tmp_path / "mlp" / "run.json").touch()  # a training artifact: the folder itself (its twin serves layers folders)
    assert find_source(Path("models/mlp"), meta, None, tmp_path) == tmp_path / "mlp"
    with pytest.raises(UserError, match="records no Python counterpart"):
        find_source(Path("models/x"), {"counterpart": None}, None, tmp_path)
    with pytest.raises(UserError, match="--source nowhere.keras: no such file"):
        find_source(Path("models/x"), meta, Path("nowhere.keras"), tmp_path)
