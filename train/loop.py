"""The GradientTape training loop shared by every model, on one device or under any tf.distribute strategy.

The pieces have their own modules: the fused Adam update (adam.py), the compiled steps and their batches
(steps.py), checkpoints and resumption (checkpoints.py). This one drives them epoch by epoch.
"""

import math
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from tfjs_bridge.common.quiet import tf
from tfjs_bridge.train import config
from tfjs_bridge.train.checkpoints import Progress, TrainingError, open_checkpoints
from tfjs_bridge.train.config import TrainConfig
from tfjs_bridge.train.data import Split, as_dataset
from tfjs_bridge.train.steps import evaluate, make_test_step, make_train_steps, training_batches
from tfjs_bridge.train.tasks import Task

EVAL_BATCH = 500


@dataclass(frozen=True)
class FitOptions:
    """How a run is driven and where it reports, apart from its hyper-parameters (TrainConfig)."""

    progress: bool = True  # tqdm bars, for terminals
    log_epochs: bool = False  # one plain line per epoch, for logs
    strategy: tf.distribute.Strategy | None = None  # None: the default strategy (one device)
    run_dir: Path | None = None  # checkpoints in run_dir/checkpoints, TensorBoard scalars in run_dir/logs
    chief: bool = True  # only the chief writes checkpoints and logs


QUIET = FitOptions(progress=False)


def fit(task: Task, model, split: Split, cfg: TrainConfig, options: FitOptions = FitOptions()) -> list[dict]:
    """Train for cfg.epochs over split's training set as options say; return one record per epoch.

    model must have been built in the strategy's scope. With options.run_dir, checkpoints are written every
    cfg.checkpoint_every steps and after epochs, and TensorBoard scalars after each epoch.
    """
    return Trainer(task, model, split, cfg, options).train()


def log_scalars(writer, record: dict) -> None:
    """TensorBoard scalars for one epoch: train loss, test loss/accuracy, examples per second."""
    with writer.as_default(step=record["epoch"]):
        for key in ("loss", "test_loss", "test_accuracy", "examples_per_sec"):
            if key in record:
                tf.summary.scalar(key, record[key])
    writer.flush()


class Trainer:
    """One run of fit: the model's optimizer, metrics, compiled steps, checkpoints and where training stands."""

    def __init__(self, task: Task, model, split: Split, cfg: TrainConfig, options: FitOptions):
        """Create the weights, optimizer slots and metrics in the strategy's scope, then restore or start afresh."""
        self.task, self.model, self.split, self.cfg, self.options = task, model, split, cfg, options
        strategy = self.strategy = options.strategy or tf.distribute.get_strategy()
        with strategy.scope():
            model(tf.zeros([1, *split.x_train.shape[1:]]))  # create the weights (mirrored under a strategy) now
            optimizer = task.optimizer(cfg.learning_rate)
            optimizer.build(model.trainable_variables)  # slots exist before a restore, so they are restored too
            self.train_loss = tf.keras.metrics.Mean(name="loss")
            self.test_loss = tf.keras.metrics.Mean(name="test_loss")
            self.metric = task.metric()
        # Outside the scope: plain host-side counters, equal on every worker; collectives cannot carry strings.
        self.state = Progress()
        self.checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, **self.state.trackables())
        run_dir = options.run_dir
        self.manager = open_checkpoints(self.checkpoint, run_dir, task, cfg, writer=options.chief) if run_dir else None
        self.state.load()
        self.writer = tf.summary.create_file_writer(str(Path(run_dir) / "logs")) if run_dir and options.chief else None
        self.train_steps = make_train_steps(strategy, model, optimizer, task.per_example_loss, self.train_loss)
        self.test_step = make_test_step(strategy, model, task.per_example_loss, self.test_loss, self.metric)
        # The test batches are read once and kept: a new iterator every epoch costs more than a small model's epoch.
        self.test_batches = list(strategy.experimental_distribute_dataset(as_dataset(split.x_test, split.y_test, EVAL_BATCH)))
        self.steps = math.ceil(len(split.x_train) / cfg.batch_size)
        # One bar per epoch when epochs have many steps; one bar over all epochs when each is a single step.
        self.per_epoch_bars = self.steps > 1
        self.last_save = time.monotonic()

    def train(self) -> list[dict]:
        """Every epoch from where the state stands to cfg.epochs; the history of all of them."""
        task, cfg, state = self.task, self.cfg, self.state
        first = state.epoch + 1
        if cfg.resume:
            print(f"{task.name} resumed at step {state.step} (epoch {first}, batch {state.batch})", flush=True)
        overall = tqdm(total=cfg.epochs, initial=first - 1, desc=task.name, unit="epoch",
                       disable=not self.options.progress or self.per_epoch_bars)
        epoch_batches = training_batches(self.strategy, self.split, cfg, first, state.batch)
        for epoch in range(first, cfg.epochs + 1):
            record, figures = self.epoch(epoch, next(epoch_batches))
            if self.options.log_epochs and self.per_epoch_bars:
                print(f"{task.name} epoch {epoch}/{cfg.epochs}  " + "  ".join(f"{k} {v}" for k, v in figures.items())
                      + f"  {record['examples_per_sec']:,.0f} examples/s  ({record['seconds']:.1f} s)", flush=True)
            overall.set_postfix(loss=f"{record['loss']:.4g}", refresh=False)
            overall.update()
            self.end_epoch(epoch, record)
        overall.close()
        return state.history

    def epoch(self, epoch: int, batches) -> tuple[dict, dict]:
        """Train the rest of one epoch and evaluate; its record and the figures its bar shows."""
        cfg, skip = self.cfg, self.state.batch
        started = time.perf_counter()
        self.train_loss.reset_state()
        with tqdm(total=self.steps, initial=skip, desc=f"{self.task.name} epoch {epoch}/{cfg.epochs}", unit="batch",
                  disable=not self.options.progress or not self.per_epoch_bars) as bar:
            self.run_steps(batches, bar)
            record = {"epoch": epoch, "loss": float(self.train_loss.result())}
            train_seconds = time.perf_counter() - started
            if not math.isfinite(record["loss"]):
                raise TrainingError(
                    f"loss became {record['loss']} in epoch {epoch}; lower --learning-rate "
                    f"(now {cfg.learning_rate:g}) or scale the data"
                )
            record["examples_per_sec"] = round((len(self.split.x_train) - skip * cfg.batch_size) / train_seconds, 1)
            record.update(evaluate(self.test_step, self.test_batches, self.test_loss, self.metric))
            record["seconds"] = round(time.perf_counter() - started, 3)
            figures = {k: round(v, 4) for k, v in record.items() if k.startswith(("loss", "test"))}
            bar.set_postfix(figures, refresh=False)
        return record, figures

    def run_steps(self, batches, bar) -> None:
        """Compiled calls of up to STEPS_PER_CALL steps until the epoch ends, checkpointing on exact steps."""
        state, every = self.state, self.cfg.checkpoint_every
        while state.batch < self.steps:
            # Stop each call at the epoch's end and at the next checkpoint boundary, so checkpoints land on exact steps.
            n = min(config.STEPS_PER_CALL, self.steps - state.batch)
            if every:
                n = min(n, every - state.step % every)
            done = int(self.train_steps(batches, tf.constant(n, tf.int64)))
            state.step += done
            state.batch += done
            bar.update(done)
            # The epoch's last batch is saved by end_epoch, with the epoch's record.
            if done and every and state.step % every == 0 and state.batch < self.steps:
                self.save()
            if done < n:
                break

    def end_epoch(self, epoch: int, record: dict) -> None:
        """Record the finished epoch, checkpoint it when due, and log its scalars."""
        self.state.history.append(record)
        self.state.epoch, self.state.batch = epoch, 0
        # Epoch-end checkpoints at most every few seconds (and after the last epoch): saving costs ~25 ms, more
        # than a whole epoch of a small model. --checkpoint-every still saves on exact steps.
        if epoch == self.cfg.epochs or time.monotonic() - self.last_save >= config.EPOCH_CHECKPOINT_SECONDS:
            self.save()
        if self.writer is not None:
            log_scalars(self.writer, record)

    def save(self) -> None:
        """Write a checkpoint numbered by the step, on the chief only (the others hold the same mirrored values)."""
        if self.manager is not None and self.options.chief:
            self.state.store()
            self.manager.save(checkpoint_number=self.state.step)
            self.last_save = time.monotonic()


def throughput(history: list[dict]) -> float:
    """Typical training examples/s of a run: the median over epochs (the first also pays for tracing)."""
    return statistics.median(r["examples_per_sec"] for r in history) if history else 0.0
