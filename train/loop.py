"""The GradientTape training loop shared by every model, on one device or under any tf.distribute strategy."""

import json
import math
import os
import re
import shutil
import statistics
import time
from pathlib import Path

from tqdm.auto import tqdm

from tfjs_bridge.common.errors import UserError
from tfjs_bridge.common.quiet import tf
from tfjs_bridge.train import config
from tfjs_bridge.train.config import TrainConfig
from tfjs_bridge.train.data import Split, as_dataset, epochs_dataset
from tfjs_bridge.train.tasks import Task

EVAL_BATCH = 500


class TrainingError(UserError):
    """Training could not produce a usable model; the message is shown to the user as one line."""


SUM = tf.distribute.ReduceOp.SUM


def fused_adam(optimizer):
    """Adam's update as one fused kernel per variable (ResourceApplyAdam), on the Keras optimizer's own slots.

    The same maths as Keras 3's Adam (m, v, bias-corrected step size, epsilon outside the square root; tests
    compare it with a float64 reference and with Keras), but one kernel per variable instead of ~25 small
    element-wise ones, which dominate a small model's step on CPU (probe: 2.6 → 0.9 ms per MLP step, batch 32).
    Under a distribution strategy the replicas' gradients are summed first, then every device updates its own
    copy, as the optimizer's apply_gradients does.
    """

    def update(var, grad, m, v, step):
        """One device's copy of a variable and its slots, one fused Adam step."""
        dtype = var.dtype
        t, beta_1, beta_2 = tf.cast(step, dtype), tf.constant(optimizer.beta_1, dtype), tf.constant(optimizer.beta_2, dtype)
        return tf.raw_ops.ResourceApplyAdam(
            var=var.handle, m=m.handle, v=v.handle, beta1_power=beta_1**t, beta2_power=beta_2**t,
            lr=tf.cast(optimizer.learning_rate, dtype), beta1=beta_1, beta2=beta_2,
            epsilon=tf.constant(optimizer.epsilon, dtype), grad=tf.cast(grad, dtype))

    def apply_all(strategy, grads_and_vars):
        summed = strategy.extended.batch_reduce_to(SUM, [(g, v.value) for g, v in grads_and_vars])
        step = optimizer.iterations + 1
        for grad, (_, var) in zip(summed, grads_and_vars, strict=True):
            i = optimizer._get_variable_index(var)
            slots = (optimizer._momentums[i].value, optimizer._velocities[i].value)
            strategy.extended.update(var.value, update, args=(grad, *slots, step), group=False)
        strategy.extended.update(optimizer.iterations.value, lambda it: it.assign_add(1), group=False)

    def apply(grads_and_vars):
        tf.distribute.get_replica_context().merge_call(apply_all, args=(list(grads_and_vars),))

    return apply


def update_rule(optimizer):
    """How a step applies its gradients: fused Adam for plain Adam, else the optimizer's own apply_gradients."""
    if isinstance(optimizer, tf.keras.optimizers.Adam) and not optimizer.amsgrad and optimizer.weight_decay is None:
        return fused_adam(optimizer)
    return optimizer.apply_gradients


def make_train_steps(strategy, model, optimizer, per_example_loss, train_loss):
    """Build the compiled trainer: up to n tape steps per call, looping inside the graph.

    Each step is each replica's forward pass under a tape, gradients summed over replicas, one update.
    Running many steps per call removes Python's per-step dispatch, which dominates for small models
    (bench/: 1.7x the one-step-per-call loop at batch 32 on 2 cores); the caller still sees progress and
    checkpoints every call.
    """

    apply_gradients = update_rule(optimizer)

    def replica_step(x, y, global_batch):
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            # Divide by the whole step's batch, not this replica's share, so summing replicas gives the mean.
            loss = tf.nn.compute_average_loss(per_example_loss(y, pred), global_batch_size=global_batch)
        grads = tape.gradient(loss, model.trainable_variables)
        apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function
    def train_steps(iterator, n):
        done = tf.constant(0, tf.int64)
        for _ in tf.range(n):
            batch = iterator.get_next_as_optional()
            if not batch.has_value():
                break
            x, y = batch.get_value()
            # Counted, not taken from the flags: the last batch of an epoch is smaller.
            global_batch = strategy.reduce(SUM, strategy.run(lambda part: tf.shape(part)[0], args=(x,)), axis=None)
            loss = strategy.reduce(SUM, strategy.run(replica_step, args=(x, y, global_batch)), axis=None)
            train_loss.update_state(loss)
            done += 1
        return done

    return train_steps


def make_test_step(strategy, model, per_example_loss, test_loss, metric):
    """Build the compiled evaluation step: loss and (for classifiers) the metric on one batch, on every replica."""

    def replica_step(x, y):
        pred = model(x, training=False)
        test_loss.update_state(per_example_loss(y, pred))
        if metric is not None:
            metric.update_state(y, pred)

    @tf.function(reduce_retracing=True)
    def test_step(x, y):
        strategy.run(replica_step, args=(x, y))

    return test_step


def evaluate(test_step, test_batches, test_loss, metric) -> dict:
    """Run every test batch once and return the mean loss (and accuracy)."""
    test_loss.reset_state()
    if metric is not None:
        metric.reset_state()
    for x, y in test_batches:
        test_step(x, y)
    result = {"test_loss": float(test_loss.result())}
    if metric is not None:
        result["test_accuracy"] = float(metric.result())
    return result


class Progress:
    """Where training stands, checkpointed with the model: steps done, epochs done, batches into the current epoch.

    Python values while training (each read or write of a variable is an eager op, which adds up to more than
    a small model's epoch), copied into the checkpointed variables when a checkpoint is written or restored.
    """

    def __init__(self):
        self.step = self.epoch = self.batch = 0
        self.history: list[dict] = []
        self._variables = {
            "step": tf.Variable(0, dtype=tf.int64, trainable=False, name="step"),
            "epoch": tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch"),
            "batch_in_epoch": tf.Variable(0, dtype=tf.int64, trainable=False, name="batch_in_epoch"),
            "history": tf.Variable("[]", dtype=tf.string, trainable=False, name="history"),
        }

    def trackables(self) -> dict:
        """The variables for tf.train.Checkpoint."""
        return dict(self._variables)

    def load(self) -> None:
        """Take the values of the variables (after a checkpoint was restored into them)."""
        v = self._variables
        self.step, self.epoch, self.batch = (int(v[k].numpy()) for k in ("step", "epoch", "batch_in_epoch"))
        self.history = json.loads(v["history"].numpy().decode())

    def store(self) -> None:
        """Copy the values into the variables, before a checkpoint is written."""
        v = self._variables
        v["step"].assign(self.step)
        v["epoch"].assign(self.epoch)
        v["batch_in_epoch"].assign(self.batch)
        v["history"].assign(json.dumps(self.history))


def resume_settings(task: Task, cfg: TrainConfig) -> dict:
    """What must not change between a run and its resumption (the data order depends on all of it)."""
    return {"task": task.name, "batch_size": cfg.batch_size, "seed": cfg.seed, "dataset": cfg.dataset}


# What a run writes in <run dir>/checkpoints: its settings, tf.train.CheckpointManager's index and shards, and the
# temporary folders TensorFlow writes a checkpoint into before renaming it (left behind by a killed run).
CHECKPOINT_FILES = re.compile(r"settings\.json|checkpoint|ckpt-\d+\.(index|data-\d{5}-of-\d{5})")
CHECKPOINT_TEMPS = re.compile(r"ckpt-\d+_temp[\w.-]*")


def clear_checkpoints(ckpt_dir: Path) -> None:
    """Remove an earlier run's checkpoints folder, refusing (TrainingError) one holding anything a run did not write."""
    if ckpt_dir.is_symlink() or not ckpt_dir.is_dir():
        raise TrainingError(f"{ckpt_dir} is not a checkpoints folder tfjs-bridge wrote: refusing to empty it "
                            "(choose another --run-dir)")
    strangers = sorted(p.name for p in ckpt_dir.iterdir() if p.is_symlink() or not (
        (p.is_file() and CHECKPOINT_FILES.fullmatch(p.name)) or (p.is_dir() and CHECKPOINT_TEMPS.fullmatch(p.name))))
    if strangers:
        raise TrainingError(f"{ckpt_dir} holds {', '.join(strangers[:3])}, which tfjs-bridge did not write: refusing "
                            "to empty it (choose another --run-dir, or move them away yourself)")
    shutil.rmtree(ckpt_dir)


def open_checkpoints(checkpoint, run_dir: Path, task: Task, cfg: TrainConfig, writer: bool) -> tf.train.CheckpointManager:
    """A CheckpointManager in run_dir/checkpoints: restored from the latest on --resume, emptied otherwise."""
    ckpt_dir = Path(run_dir) / "checkpoints"
    settings_file = ckpt_dir / "settings.json"
    settings = resume_settings(task, cfg)
    if cfg.resume:
        latest = tf.train.latest_checkpoint(str(ckpt_dir))
        if latest is None:
            raise TrainingError(f"nothing to resume: no checkpoint in {ckpt_dir}")
        saved = json.loads(settings_file.read_text()) if settings_file.is_file() else {}
        changed = {k: (saved.get(k), v) for k, v in settings.items() if saved.get(k) != v}
        if changed:
            raise TrainingError(f"cannot resume {ckpt_dir} with different settings (was, now): {changed}")
        checkpoint.restore(latest).assert_existing_objects_matched()
    elif writer and os.path.lexists(ckpt_dir):
        clear_checkpoints(ckpt_dir)  # a fresh run must not resume, or be mixed up with, an older one
    if writer:
        ckpt_dir.mkdir(parents=True, exist_ok=True)
        settings_file.write_text(json.dumps(settings) + "\n")
    return tf.train.CheckpointManager(checkpoint, str(ckpt_dir), max_to_keep=config.CHECKPOINTS_KEPT)


def log_scalars(writer, record: dict) -> None:
    """TensorBoard scalars for one epoch: train loss, test loss/accuracy, examples per second."""
    with writer.as_default(step=record["epoch"]):
        for key in ("loss", "test_loss", "test_accuracy", "examples_per_sec"):
            if key in record:
                tf.summary.scalar(key, record[key])
    writer.flush()


def training_batches(strategy, split: Split, cfg: TrainConfig, first: int, skip: int):
    """One iterator over each epoch's batches (from first, the first from batch skip), yielded once per epoch.

    One replica: one pipeline for all epochs (a pipeline and iterator per epoch cost more than a small model's
    epoch). Several: one per epoch, because tf.distribute splits batches between replicas only when a dataset
    ends in its batch op.
    """
    epochs = range(first, cfg.epochs + 1)
    if strategy.num_replicas_in_sync == 1:
        batches = iter(strategy.experimental_distribute_dataset(
            epochs_dataset(split.x_train, split.y_train, cfg.batch_size, cfg.seed, epochs, skip)))
        for _ in epochs:
            yield batches
        return
    for epoch in epochs:
        train_ds = as_dataset(split.x_train, split.y_train, cfg.batch_size, shuffle_seed=cfg.seed, epoch=epoch)
        yield iter(strategy.experimental_distribute_dataset(train_ds.skip(skip if epoch == first else 0)))


def fit(task: Task, model, split: Split, cfg: TrainConfig, progress: bool = True, log_epochs: bool = False,
        strategy: tf.distribute.Strategy | None = None, run_dir: Path | None = None, chief: bool = True) -> list[dict]:
    """Train for cfg.epochs over split's training set under strategy (default: one device); return one record per epoch.

    model must have been built in strategy.scope(). With run_dir, checkpoints go to run_dir/checkpoints (every
    cfg.checkpoint_every steps and after each epoch) and TensorBoard scalars to run_dir/logs; only the chief
    writes them. progress draws tqdm bars (for terminals); log_epochs prints one plain line per epoch (for logs).
    """
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        model(tf.zeros([1, *split.x_train.shape[1:]]))  # create the weights (mirrored under a strategy) now
        optimizer = task.optimizer(cfg.learning_rate)
        optimizer.build(model.trainable_variables)  # slots exist before a restore, so they are restored too
        train_loss = tf.keras.metrics.Mean(name="loss")
        test_loss = tf.keras.metrics.Mean(name="test_loss")
        metric = task.metric()
    # Outside the scope: plain host-side counters, equal on every worker; collectives cannot carry strings.
    state = Progress()
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, **state.trackables())
    manager = open_checkpoints(checkpoint, run_dir, task, cfg, writer=chief) if run_dir else None
    state.load()
    writer = tf.summary.create_file_writer(str(Path(run_dir) / "logs")) if run_dir and chief else None
    train_steps = make_train_steps(strategy, model, optimizer, task.per_example_loss, train_loss)
    test_step = make_test_step(strategy, model, task.per_example_loss, test_loss, metric)
    # The test batches are read once and kept: a new iterator every epoch costs more than a small model's epoch.
    test_batches = list(strategy.experimental_distribute_dataset(as_dataset(split.x_test, split.y_test, EVAL_BATCH)))
    steps = math.ceil(len(split.x_train) / cfg.batch_size)
    every = cfg.checkpoint_every

    last_save = [time.monotonic()]

    def save() -> None:
        # Non-chief workers keep no checkpoints: the chief's hold the same (mirrored) values.
        if manager is not None and chief:
            state.store()
            manager.save(checkpoint_number=state.step)
            last_save[0] = time.monotonic()

    # One bar per epoch when epochs have many steps; one bar over all epochs when each is a single step.
    per_epoch_bars = steps > 1
    first = state.epoch + 1
    if cfg.resume:
        print(f"{task.name} resumed at step {state.step} (epoch {first}, batch {state.batch})", flush=True)
    overall = tqdm(total=cfg.epochs, initial=first - 1, desc=task.name, unit="epoch", disable=not progress or per_epoch_bars)
    history = state.history
    epoch_batches = training_batches(strategy, split, cfg, first, state.batch)
    for epoch in range(first, cfg.epochs + 1):
        skip = state.batch
        batches = next(epoch_batches)
        started = time.perf_counter()
        train_loss.reset_state()
        with tqdm(
            total=steps, initial=skip, desc=f"{task.name} epoch {epoch}/{cfg.epochs}", unit="batch",
            disable=not progress or not per_epoch_bars,
        ) as bar:
            while state.batch < steps:
                # Stop each call at the epoch's end and at the next checkpoint boundary, so checkpoints land on
                # exact steps.
                n = min(config.STEPS_PER_CALL, steps - state.batch)
                if every:
                    n = min(n, every - state.step % every)
                done = int(train_steps(batches, tf.constant(n, tf.int64)))
                state.step += done
                state.batch += done
                bar.update(done)
                # The epoch's last batch is saved just below, with the epoch's record.
                if done and every and state.step % every == 0 and state.batch < steps:
                    save()
                if done < n:
                    break
            record = {"epoch": epoch, "loss": float(train_loss.result())}
            train_seconds = time.perf_counter() - started
            if not math.isfinite(record["loss"]):
                raise TrainingError(
                    f"loss became {record['loss']} in epoch {epoch}; lower --learning-rate "
                    f"(now {cfg.learning_rate:g}) or scale the data"
                )
            record["examples_per_sec"] = round((len(split.x_train) - skip * cfg.batch_size) / train_seconds, 1)
            record.update(evaluate(test_step, test_batches, test_loss, metric))
            record["seconds"] = round(time.perf_counter() - started, 3)
            figures = {k: round(v, 4) for k, v in record.items() if k.startswith(("loss", "test"))}
            bar.set_postfix(figures, refresh=False)
        if log_epochs and per_epoch_bars:
            print(f"{task.name} epoch {epoch}/{cfg.epochs}  " + "  ".join(f"{k} {v}" for k, v in figures.items())
                  + f"  {record['examples_per_sec']:,.0f} examples/s  ({record['seconds']:.1f} s)", flush=True)
        overall.set_postfix(loss=f"{record['loss']:.4g}", refresh=False)
        overall.update()
        history.append(record)
        state.epoch, state.batch = epoch, 0
        # Epoch-end checkpoints at most every few seconds (and after the last epoch): saving costs ~25 ms, more
        # than a whole epoch of a small model. --checkpoint-every still saves on exact steps.
        if epoch == cfg.epochs or time.monotonic() - last_save[0] >= config.EPOCH_CHECKPOINT_SECONDS:
            save()
        if writer is not None:
            log_scalars(writer, record)
    overall.close()
    return history


def throughput(history: list[dict]) -> float:
    """Typical training examples/s of a run: the median over epochs (the first also pays for tracing)."""
    return statistics.median(r["examples_per_sec"] for r in history) if history else 0.0
