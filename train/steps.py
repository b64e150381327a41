"""The compiled training and evaluation steps, and the batches they read, on one device or under any strategy."""

from tfjs_bridge.common.quiet import tf
from tfjs_bridge.train.adam import SUM, update_rule
from tfjs_bridge.train.config import TrainConfig
from tfjs_bridge.train.data import Split, as_dataset, epochs_dataset


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
