"""A time budget per model for Python predictions: one model's slow requests cannot starve another's.

Each model may run at most PER_MODEL predictions at once (the server sets it to its threads less one, so one thread is
always left for the other models); a request finding its model's slots full waits QUEUE_SECONDS, then gets 503. A
prediction runs in its own thread and the request waits PREDICT_SECONDS for it, then gets 504; TensorFlow cannot be
interrupted, so a runaway graph (a While loop asked for 10**12 turns) keeps its slot until it ends: that model answers
503 meanwhile, the others are unaffected. Both answers name the budget.
"""

import dataclasses
import threading

from tfjs_bridge.web.store import ModelError


@dataclasses.dataclass(frozen=True)
class Budget:
    """How much of the server one model may hold."""

    per_model: int = 2  # predictions of one model running at once
    predict_seconds: float = 10.0  # how long a request waits for its prediction
    queue_seconds: float = 2.0  # how long a request waits for a slot of its model


class Budgets:
    """Slots per model name, and the deadline-bounded run of one prediction."""

    def __init__(self, budget: Budget):
        self.budget = budget
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}

    def _slot(self, name: str) -> threading.BoundedSemaphore:
        with self._lock:
            return self._slots.setdefault(name, threading.BoundedSemaphore(self.budget.per_model))

    def run(self, name: str, work):
        """work()'s result within the budget; ModelError 503 (model busy) or 504 (over time), naming the budget."""
        slot, budget = self._slot(name), self.budget
        if not slot.acquire(timeout=budget.queue_seconds):
            raise ModelError(503, f"model {name} is busy: {budget.per_model} predictions already running (the "
                             f"per-model limit) for over {budget.queue_seconds:g} s; try again later")
        outcome: dict = {}
        done = threading.Event()

        def target():
            try:
                outcome["value"] = work()
            except BaseException as err:  # handed to the request's thread, which raises it
                outcome["error"] = err
            finally:
                slot.release()
                done.set()
        threading.Thread(target=target, name=f"predict {name}", daemon=True).start()
        if not done.wait(budget.predict_seconds):
            raise ModelError(504, f"model {name}: prediction ran over the budget of {budget.predict_seconds:g} s "
                             "per request (it keeps its slot until it ends)")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]


def init_app(app) -> None:
    """Attach the budgets for the app's PREDICT_BUDGET (a Budget)."""
    app.extensions["budgets"] = Budgets(app.config["PREDICT_BUDGET"])
