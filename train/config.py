"""Default settings of the training stage, kept in one place (paths shared by every stage: common.paths)."""

from dataclasses import dataclass
from pathlib import Path

# The offline MNIST split is fixed, independent of --seed, so every run is scored on the same digits.
SPLIT_SEED = 0
MNIST_TRAIN_SIZE = 8000
MNIST_TEST_SIZE = 2000
MNIST_GOLDEN_COUNT = 64

# The linear example from the seed notes: y = X·w + b fitted to two points.
LINEAR_X = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
LINEAR_Y = [[10.0], [20.0]]

# Distributed training. Each logical GPU carved out by --virtual-devices gets this much memory unless
# --memory-limit says otherwise (TF needs an explicit limit per virtual GPU).
VIRTUAL_GPU_MEMORY_MB = 1024
STRATEGIES = ("default", "mirrored", "multiworker")
CHECKPOINTS_KEPT = 3
# An epoch-end checkpoint is written when this many seconds passed since the last one, and after the last epoch.
EPOCH_CHECKPOINT_SECONDS = 10.0
# Training steps run inside one graph call before control returns to Python (progress, checkpoints).
STEPS_PER_CALL = 50

# MobileNetV2 on tensorflow_datasets cats_vs_dogs (which has a single 'train' split, cut 80/20 here).
MOBILENET_SPLITS = ("train[:80%]", "train[80%:]")
MOBILENET_GOLDEN_COUNT = 16


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training run."""

    epochs: int
    batch_size: int
    learning_rate: float
    seed: int = 0
    dataset: str = "offline"
    out: Path | None = None
    strategy: str = "default"  # one of STRATEGIES
    checkpoint_every: int | None = None  # steps between checkpoints; None: at the end of each epoch only
    resume: bool = False  # continue from the latest checkpoint in run_dir
    run_dir: Path | None = None  # checkpoints and TensorBoard logs; None: beside out, as <out>.run
    image_size: int | None = None  # MobileNetV2 only: images are resized to image_size x image_size


def run_dir_for(cfg: TrainConfig, out: Path) -> Path:
    """Where a run keeps checkpoints and TensorBoard logs: cfg.run_dir, or <out>.run beside the artifact."""
    return Path(cfg.run_dir) if cfg.run_dir else out.with_name(out.name + ".run")


# The README's accuracy figure comes from these defaults.
DEFAULTS = {
    "linear": TrainConfig(epochs=100, batch_size=32, learning_rate=0.01, dataset="example"),
    "mlp": TrainConfig(epochs=10, batch_size=32, learning_rate=1e-3, dataset="offline"),
    "mobilenet": TrainConfig(epochs=5, batch_size=32, learning_rate=1e-3, dataset="tfds", image_size=160),
}
