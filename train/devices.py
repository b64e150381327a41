"""Devices and distribution strategies: list devices, split one into logical ones, pick a strategy."""

import json
import os

from tfjs_bridge.common.errors import UserError
from tfjs_bridge.common.quiet import filtered_native_output, tf
from tfjs_bridge.train import config


class DeviceError(UserError):
    """A device or cluster set-up that cannot work; the message is shown to the user as one line."""


def split_devices(count: int, memory_limit_mb: int | None = None) -> str:
    """Split the first GPU (or, without one, the CPU) into `count` logical devices; return what was done.

    Must run before TensorFlow initialises its devices, i.e. before the first op or device listing.
    """
    gpus = tf.config.list_physical_devices("GPU")
    device = gpus[0] if gpus else tf.config.list_physical_devices("CPU")[0]
    if gpus:
        limit = memory_limit_mb or config.VIRTUAL_GPU_MEMORY_MB
        logical = [tf.config.LogicalDeviceConfiguration(memory_limit=limit) for _ in range(count)]
        done = f"split {device.name} into {count} logical GPUs of {limit} MB"
    else:
        logical = [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
        done = f"no GPU: split {device.name} into {count} logical CPUs"
        if memory_limit_mb:
            done += " (--memory-limit applies to GPUs only, ignored)"
    try:
        tf.config.set_logical_device_configuration(device, logical)
    except RuntimeError as err:
        raise DeviceError(f"cannot split {device.name}: {err}") from None
    return done


def describe() -> str:
    """Physical and logical CPUs and GPUs, one per line, as the seed notes list them."""
    lines = []
    for kind in ("CPU", "GPU"):
        physical = tf.config.list_physical_devices(kind)
        logical = tf.config.list_logical_devices(kind)
        lines.append(f"{len(physical)} physical {kind}, {len(logical)} logical {kind}")
        lines += [f"  physical  {d.name}" for d in physical] + [f"  logical   {d.name}" for d in logical]
    return "\n".join(lines)


def replica_devices() -> list[str]:
    """The devices a MirroredStrategy should use: every logical GPU, else every logical CPU."""
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return [d.name for d in devices]


def make_strategy(name: str) -> tf.distribute.Strategy:
    """The named strategy: 'default' (one device), 'mirrored' (all local replicas), 'multiworker' (TF_CONFIG)."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        # ReductionToOneDevice sums gradients on one device with plain copies. NCCL all-reduce (the default
        # with several GPUs) needs one physical GPU per replica and fails on logical GPUs or CPUs.
        return tf.distribute.MirroredStrategy(replica_devices(), cross_device_ops=tf.distribute.ReductionToOneDevice())
    if name == "multiworker":
        check_tf_config()
        # RING collectives run over gRPC between hosts and work on CPUs as well as GPUs.
        options = tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.RING
        )
        with filtered_native_output():  # the gRPC server logs its start through absl, past TF_CPP_MIN_LOG_LEVEL
            return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    raise DeviceError(f"unknown strategy {name!r}: choose from {', '.join(config.STRATEGIES)}")


def check_tf_config() -> None:
    """Raise DeviceError unless TF_CONFIG names a cluster and this process's task in it."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise DeviceError("--strategy multiworker needs TF_CONFIG (cluster and task); see README 'Distributed training'")
    try:
        tf_config = json.loads(raw)
        workers = tf_config["cluster"]["worker"]
        task = tf_config["task"]
        task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError) as err:
        raise DeviceError(f"TF_CONFIG is not valid: {type(err).__name__} {err}") from None
    if not workers:
        raise DeviceError("TF_CONFIG lists no workers")


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """True for the one process that writes artifacts: single-process runs, the chief, or worker 0 without one."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def worker_name(strategy: tf.distribute.Strategy) -> str:
    """'chief', 'worker 1', ... for messages; 'local' for single-process runs."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return "local"
    return f"{resolver.task_type} {resolver.task_id}"
