"""Keep TensorFlow's start-up chatter off CPU machines' terminals, without hiding real errors."""

import contextlib
import importlib
import logging
import os
import re
import sys
import tempfile
import warnings

# Lines TF 2.19 / jaxlib / TF-DF print at import time on a CPU-only machine; TF_CPP_MIN_LOG_LEVEL does not
# reach them because absl logs them before its logging is initialised. Anything else is passed through.
NOISE = re.compile(
    r"absl::InitializeLog\(\)|Unable to register cu(DNN|BLAS|FFT) factory|computation placer already"
    r" registered|oneDNN custom operations|This TensorFlow binary is optimized|TF-TRT Warning"
    r"|Could not find cuda drivers|Number of eligible GPUs|single_machine\.cc:\d+\] Starting new session"
    r"|To enable the following instructions: AVX|ydf\.readthedocs\.io|cuda_(dnn|blas|fft|executor)\.cc"
    r"|grpc_server_lib\.cc:\d+\] Started server with target|coordination_service_agent\.cc:\d+\] Coordination agent has"
    r"|mlir_graph_optimization_pass\.cc:\d+\] MLIR V1 optimization pass is not enabled"
    # The TFLite converter's notes on options TF 2.19 itself sets and then ignores.
    r"|tf_tfl_flatbuffer_helpers\.cc:\d+\] Ignored (output_format|drop_control_dependency)"
)


def verbose_requested() -> bool:
    """True when the user asked to see TensorFlow's own logs (TFJS_BRIDGE_VERBOSE=1)."""
    return os.environ.get("TFJS_BRIDGE_VERBOSE", "") not in ("", "0")


@contextlib.contextmanager
def filtered_native_output(also: re.Pattern | None = None):
    """Capture what C++ and Python write to fds 1 and 2, then re-emit all but the known noise (and lines matching also)."""
    if verbose_requested():
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved, captures = {}, {}
    for fd in (1, 2):
        saved[fd] = os.dup(fd)
        captures[fd] = tempfile.TemporaryFile()
        os.dup2(captures[fd].fileno(), fd)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd in (1, 2):
            os.dup2(saved[fd], fd)
            os.close(saved[fd])
            captures[fd].seek(0)
            kept = [ln for ln in captures[fd].read().decode(errors="replace").splitlines()
                    if not NOISE.search(ln) and not (also and also.search(ln))]
            captures[fd].close()
            if kept:
                os.write(fd, ("\n".join(kept) + "\n").encode())


def quiet_import(module: str):
    """Import a TensorFlow-family module with its import-time noise filtered out (unless verbose)."""
    if module in sys.modules:
        return sys.modules[module]
    with filtered_native_output(), warnings.catch_warnings():
        # tensorflow_hub (imported by tensorflowjs) imports pkg_resources, which the pinned setuptools 80 marks
        # deprecated on import: a warning about a dependency's dependency that users cannot act on.
        if not verbose_requested():
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        return importlib.import_module(module)


def quiet_tensorflow():
    """Set TF's log level (explicit user settings win), import it quietly and return the module."""
    # TF-DF (imported by tensorflowjs) prints a welcome banner, and where stdout is not a real file
    # (pytest capture, some WSGI servers) it imports IPython to show it as HTML, which crashes without it.
    os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")
    # tensorflow_hub (imported by tensorflowjs) still imports pkg_resources; the warning is about its code, not ours.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    if not verbose_requested():
        # Hides the oneDNN and CPU-feature notices TF logs after import, on every op's first run.
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    tf = quiet_import("tensorflow")
    import absl.logging

    if not verbose_requested():
        absl.logging.set_verbosity(absl.logging.ERROR)
        # TF's Python warnings (tf.function retracing while TFLite's converter re-saves a ConvNeXt, ...) are about
        # TensorFlow's internals, not what the user asked for: one per traced function, dozens per export.
        tf.get_logger().setLevel(logging.ERROR)
    return tf


def __getattr__(name: str):
    """`from tfjs_bridge.common.quiet import tf`: TensorFlow, imported quietly on first use of the name.

    Modules that need TensorFlow import it this way, so importing them from a library or a test is as quiet
    as the command line, while modules that do not need it (argument parsing, --help) never load it.
    """
    if name == "tf":
        return quiet_tensorflow()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
