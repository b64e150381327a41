"""Users' Keras files: .keras (Keras 3, safe_mode on) and .h5, with the registered classes of --custom-objects."""

from pathlib import Path

from tfjs_bridge.common.quiet import filtered_native_output, quiet_import, tf
from tfjs_bridge.export.errors import ExportError


def import_custom_objects(spec: str) -> None:
    """Import the user's module (a .py file or a module name) so its registered Keras classes can be deserialized."""
    import importlib
    import importlib.util
    import sys

    try:
        if spec.endswith(".py"):
            path = Path(spec).resolve()
            module_spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[path.stem] = module
            module_spec.loader.exec_module(module)
        else:
            sys.path.insert(0, str(Path.cwd()))  # a module in the user's project folder, as `python -c "import X"` finds it
            try:
                importlib.import_module(spec)
            finally:
                sys.path.pop(0)
    except Exception as err:  # noqa: BLE001  (the user's code: any failure becomes one line)
        raise ExportError(f"--custom-objects {spec}: importing it failed ({type(err).__name__}: "
                          f"{str(err).strip().splitlines()[0] if str(err).strip() else 'no message'})") from None


def load_failure(err: Exception) -> str:
    """The line of a Keras load error that says what went wrong (Keras buries 'Could not locate class' in a config dump)."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    located = next((ln[ln.index("Could not locate"):] for ln in lines if "Could not locate" in ln), None)
    if located:
        return (located.split(". Make sure")[0].rstrip(".") + ": register it with "
                "@keras.saving.register_keras_serializable and pass --custom-objects FILE.py")
    return lines[0] if lines else type(err).__name__


def load_keras_file(path: Path):
    """A .keras (Keras 3, safe_mode on) or .h5 (Keras 3, else tf_keras) model file."""
    keras = quiet_import("keras")
    try:
        with filtered_native_output():
            return keras.saving.load_model(str(path), safe_mode=True, compile=False)
    except Exception as err:  # noqa: BLE001  (any load failure becomes the one-line error below)
        if path.suffix == ".h5":
            logger = tf.get_logger()
            level = logger.level
            logger.setLevel("ERROR")  # tf_keras: "Compiled the loaded model, but the compiled metrics have yet to be built"
            try:
                return quiet_import("tf_keras").models.load_model(str(path), compile=False)
            except Exception:  # noqa: BLE001
                pass
            finally:
                logger.setLevel(level)
        raise ExportError(f"{path}: cannot load Keras model ({load_failure(err)})") from None
