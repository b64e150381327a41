"""GradientTape basics from the seed notes: watching a constant and a persistent tape."""

from tfjs_bridge.common.quiet import tf


def watched_constant_gradient(x: float = 3.0) -> float:
    """d(x²)/dx for a constant, which the tape only tracks once watched."""
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    return float(tape.gradient(y, x))


def persistent_gradients(x: float = 3.0) -> tuple[float, float]:
    """dz/dx and dy/dx for y = x², z = y², taken from one persistent tape."""
    x = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    try:
        return float(tape.gradient(z, x)), float(tape.gradient(y, x))
    finally:
        del tape  # a persistent tape holds its resources until dropped


def run() -> str:
    """Return the demo's report, one line per gradient."""
    dz_dx, dy_dx = persistent_gradients(3.0)
    return "\n".join(
        [
            f"watch(constant):  d(x^2)/dx at x=3 = {watched_constant_gradient(3.0):g}",
            f"persistent tape:  dz/dx at x=3 = {dz_dx:g}  (z = (x^2)^2 = x^4, 4x^3)",
            f"persistent tape:  dy/dx at x=3 = {dy_dx:g}  (y = x^2, 2x)",
        ]
    )
