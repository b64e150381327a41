"""Tiny seeded models of every input kind the page renders, for the browser tests: `python tests/support/page_models.py OUT`.

OUT/models holds the demo's folders (linear, mlp, mlp-layers, copied from web/models) and seven more: an image
CNN, a tabular regressor, a two-input model, an int-token text classifier, and three text encoders (token ids and a
padding mask in, vectors out): keras-hub BERT (with a vocabulary) and GPT-2 (without) backbones, and a masked mean
pooler with Hugging Face's input names and a bool mask; OUT/artifacts holds their Python counterparts
(SavedModels), so `serve --models OUT/models --artifacts OUT/artifacts` can answer for them.
Each is exported with the exporter where it accepts the model; where it refuses one (multi-input and int inputs,
issue 11), the raw tensorflowjs converter writes the folder and this script writes metadata.json and goldens.json,
validated against the model-folder schema as the exporter would. OUT/fixtures.json says which way each went.
"""

import json
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np

from tfjs_bridge.common import schema
from tfjs_bridge.common.quiet import quiet_import, tf
from tfjs_bridge.export.convert import ExportOptions, convert_graph, export_source, file_record, tensor_values, weight_files
from tfjs_bridge.export.errors import ExportError
from tfjs_bridge.export.sources import from_path
from tfjs_bridge.export.weights import weight_bytes

ROOT = Path(__file__).resolve().parents[2]
DEMO = ("linear", "mlp", "mlp-layers")
SEED = 7
# Index 0 pads, 1 is unknown (Keras TextVectorization's order); ids 2-11 lean positive, 12-21 negative.
VOCAB = ["", "[UNK]", "good", "great", "fine", "love", "nice", "happy", "best", "fun", "superb", "glad",
         "bad", "awful", "poor", "hate", "sad", "worst", "dull", "ugly", "boring", "weak"]
TOKENS = 8
# keras-hub backbones as small as it builds them (random weights, nothing downloaded), as the model suite's.
HUB_TEXT = {"vocabulary_size": 50, "num_layers": 1, "num_heads": 2, "hidden_dim": 8, "intermediate_dim": 16,
            "max_sequence_length": 8}
# BERT's special tokens where its WordPiece vocabulary has them first ([PAD] = 0), then 45 words: 50 ids in all.
BERT_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
              "the", "a", "cat", "dog", "sat", "on", "mat", "ran", "in", "park", "is", "was", "good", "bad", "day",
              "big", "small", "red", "blue", "house", "tree", "sun", "moon", "and", "or", "not", "very", "old", "new",
              "bird", "fish", "sings", "swims", "eats", "food", "home", "car", "road", "fast", "slow", "up", "down",
              "left", "right", "light"]


def serving(model, specs: list, path: Path) -> None:
    """A SavedModel whose serving signature takes the named inputs of specs and returns {'output': ...}."""
    sig = [tf.TensorSpec([None, *s["shape"][1:]], s["dtype"], name=s["name"]) for s in specs]
    fn = tf.function(lambda *xs: {"output": model(list(xs) if len(xs) > 1 else xs[0], training=False)}, input_signature=sig)
    tf.saved_model.save(model, str(path), signatures={"serving_default": fn})


def cnn(keras, rng):
    """16×16 RGB images → which colour dominates (red, green, blue)."""
    x = rng.uniform(0, 0.4, size=(300, 16, 16, 3)).astype(np.float32)
    y = rng.integers(0, 3, size=300)
    x[np.arange(300), :, :, y] += 0.6
    model = keras.Sequential([keras.Input((16, 16, 3), name="image"), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.MaxPooling2D(2), keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    run = {"name": "cnn", "kind": "classification", "labels": ["red", "green", "blue"],
           "preprocessing": "RGB resized to 16x16 (bilinear), pixel/255 in 0..1"}
    return model, [{"name": "image", "shape": [None, 16, 16, 3], "dtype": "float32"}], x[:8], run


def tabular(keras, rng):
    """Five features → one number (a noisy linear target)."""
    x = rng.normal(size=(256, 5)).astype(np.float32)
    y = x @ np.array([1.5, -2.0, 0.5, 3.0, -1.0], np.float32) + 0.3
    model = keras.Sequential([keras.Input((5,), name="features"), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    return model, [{"name": "features", "shape": [None, 5], "dtype": "float32"}], x[:8], None


def pair(keras, rng):
    """Two inputs (4 and 3 features) → two numbers."""
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    out = keras.layers.Dense(2)(keras.layers.Concatenate()([keras.layers.Dense(6, activation="tanh")(a), b]))
    model = keras.Model([a, b], out)
    specs = [{"name": "a", "shape": [None, 4], "dtype": "float32"}, {"name": "b", "shape": [None, 3], "dtype": "float32"}]
    golden = {"a": rng.normal(size=(8, 4)).astype(np.float32), "b": rng.normal(size=(8, 3)).astype(np.float32)}
    return model, specs, golden, None


def tokens(keras, rng):
    """TOKENS word ids → positive or negative (ids 2-11 positive, 12-21 negative)."""
    n = 400
    y = rng.integers(0, 2, size=n)
    ids = np.where(y[:, None] == 1, rng.integers(2, 12, size=(n, TOKENS)), rng.integers(12, 22, size=(n, TOKENS)))
    ids[rng.uniform(size=ids.shape) < 0.3] = 0
    model = keras.Sequential([keras.Input((TOKENS,), dtype="int32", name="ids"), keras.layers.Embedding(len(VOCAB), 8),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(ids.astype(np.int32), y, epochs=15, batch_size=32, verbose=0)
    run = {"name": "tokens", "kind": "classification", "labels": ["negative", "positive"],
           "preprocessing": "lower-cased words → ids by the vocabulary, padded with 0 to 8"}
    return model, [{"name": "ids", "shape": [None, TOKENS], "dtype": "int32"}], ids[:8].astype(np.int32), run


def pooler(keras, rng):
    """A text encoder named as Hugging Face names inputs: input_ids [6] and a bool attention_mask → the masked mean
    of the ids' embeddings [4] (fixed length: the page pads typed text and masks the padding out)."""
    ids, mask = keras.Input((6,), dtype="int32", name="input_ids"), keras.Input((6,), dtype="bool", name="attention_mask")
    weights = keras.ops.expand_dims(keras.ops.cast(mask, "float32"), -1)
    embedded = keras.layers.Embedding(len(BERT_VOCAB), 4)(ids)
    pooled = keras.ops.sum(embedded * weights, axis=1) / keras.ops.maximum(keras.ops.sum(weights, axis=1), 1.0)
    specs = [{"name": "input_ids", "shape": [None, 6], "dtype": "int32"}, {"name": "attention_mask", "shape": [None, 6], "dtype": "bool"}]
    golden = {"input_ids": rng.integers(0, len(BERT_VOCAB), size=(8, 6)).astype(np.int32),
              "attention_mask": np.arange(6)[None, :] < rng.integers(1, 7, size=(8, 1))}
    return keras.Model([ids, mask], pooled), specs, golden, None


def encoders(keras, out: Path) -> dict:
    """The keras-hub text encoders, each saved with model.export() (its counterpart) and exported as a graph model;
    their kind is regression (the exporter would guess classification from BERT's [N, 8] pooled output)."""
    hub = quiet_import("keras_hub")
    how = {}
    for name, build in (("bert", hub.models.BertBackbone), ("gpt2", hub.models.GPT2Backbone)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build(**HUB_TEXT).export(str(out / "artifacts" / name), verbose=False)
        export_source(from_path(out / "artifacts" / name, kind="regression"), out / "models", ExportOptions("graph", folder=name))
        how[name] = "exporter"
    return how


def as_dict(specs: list, golden) -> dict:
    """Golden inputs by input name."""
    return golden if isinstance(golden, dict) else {specs[0]["name"]: golden}


def write_artifact(folder: Path, model, specs: list, golden, run: dict | None) -> None:
    """The model's SavedModel (its Python counterpart) and, with run, a training artifact the exporter reads."""
    serving(model, specs, folder / "saved_model" if run else folder)
    if run:
        (folder / "run.json").write_text(json.dumps(run))
        np.save(folder / "golden_inputs.npy", golden)


def raw_folder(out: Path, name: str, artifact: Path, specs: list, golden: dict, run: dict | None) -> dict:
    """What the exporter would write, for a model it refuses: converter output plus schema-checked metadata and goldens."""
    folder = out / name
    folder.mkdir(parents=True)
    saved = artifact / "saved_model" if run else artifact
    convert_graph(saved, folder)
    fn = tf.saved_model.load(str(saved)).signatures["serving_default"]
    outputs = fn(**{k: tf.constant(v) for k, v in golden.items()})["output"].numpy()
    kind = (run or {}).get("kind", "regression")
    goldens = {"schema": schema.VERSION, "count": len(outputs),
               "inputs": {s["name"]: tensor_values(golden[s["name"]], s["dtype"]) for s in specs},
               "outputs": {"output": tensor_values(outputs, "float32")}}
    (folder / schema.GOLDENS).write_text(json.dumps(goldens))
    weights = weight_bytes(folder)
    meta = {
        "schema": schema.VERSION, "name": name, "format": "graph", "kind": kind,
        "source": {"type": "saved_model", "name": artifact.name, "keras": None}, "counterpart": artifact.name,
        "inputs": specs, "outputs": [{"name": "output", "shape": [None, outputs.shape[1]], "dtype": "float32"}],
        "labels": (run or {}).get("labels"), "preprocessing": (run or {}).get("preprocessing"), "quantization": None,
        "bytes": {"on_disk": weights["on_disk"], "float32": weights["float32"]}, "files": weight_files(folder),
        "goldens": {**file_record(folder, schema.GOLDENS), "count": goldens["count"]}, "training": None,
        "versions": {"tensorflow": tf.__version__, "tensorflowjs": quiet_import("tensorflowjs").__version__},
        "exported_at": "fixture",
    }
    schema.validate(goldens, schema.GOLDENS)
    schema.validate(meta)
    (folder / schema.METADATA).write_text(json.dumps(meta))
    return meta


def add_vocabulary(folder: Path, words: list | dict) -> None:
    """Record the vocabulary (index = id; one list, or one per input name) in metadata.json, where the page turns
    words into ids."""
    meta = json.loads((folder / schema.METADATA).read_text())
    meta["vocabulary"] = words
    schema.validate(meta)
    (folder / schema.METADATA).write_text(json.dumps(meta))


def main(out: Path) -> int:
    """Build every fixture model under out (which must not exist yet)."""
    keras = quiet_import("keras")
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    models, artifacts = out / "models", out / "artifacts"
    models.mkdir(parents=True)
    artifacts.mkdir()
    # Copies, not links: the server refuses linked folders (a link could lead out of the models root).
    for name in DEMO:
        shutil.copytree(ROOT / "web" / "models" / name, models / name)
    for name in ("linear", "mlp"):
        shutil.copytree(ROOT / "artifacts" / name, artifacts / name)
    how = {}
    for build in (cnn, tabular, pair, tokens, pooler):
        name = build.__name__
        model, specs, golden, run = build(keras, rng)
        write_artifact(artifacts / name, model, specs, golden, run)
        try:
            kind = None if run else "regression"
            export_source(from_path(artifacts / name, kind=kind), models, ExportOptions("graph", folder=name))
            how[name] = "exporter"
        except (ExportError, ValueError, TypeError) as err:
            raw_folder(models, name, artifacts / name, specs, as_dict(specs, golden), run)
            how[name] = f"raw converter (exporter: {str(err).splitlines()[0][:160]})"
    how.update(encoders(keras, out))
    add_vocabulary(models / "tokens", VOCAB)
    add_vocabulary(models / "bert", {"token_ids": BERT_VOCAB})  # not the mask's or segments'
    add_vocabulary(models / "pooler", {"input_ids": BERT_VOCAB})
    (out / "fixtures.json").write_text(json.dumps(how, indent=1))
    print(json.dumps(how, indent=1))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):  # `--help` once wrote a folder named --help
        sys.exit(f"usage: python {Path(__file__).name} OUT (a folder that does not exist yet)")
    sys.exit(main(Path(sys.argv[1])))
