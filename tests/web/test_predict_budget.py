"""A time budget per model in the server: a graph that runs away (a While loop asked for many turns) answers 504 at
the deadline, its model answers 503 while its slot is held, and another model's predictions still answer at once
(issue 20, item 2). The SavedModel is a real While loop; its turns are calibrated to run ~2 s on this machine."""

import concurrent.futures
import time

import pytest

from tfjs_bridge.web import create_app
from tfjs_bridge.web.budget import Budget

BUDGET = Budget(per_model=1, predict_seconds=0.5, queue_seconds=0.2)
META = {"inputs": [{"name": "n", "shape": [None, 1], "dtype": "int64"}],
        "outputs": [{"name": "turns", "shape": [None, 1], "dtype": "int64"}],
        "counterpart": "spin", "goldens": {"sha256": "none"}}


@pytest.fixture(scope="module")
def spin_artifacts(tmp_path_factory):
    """A SavedModel counting to its input n in a tf.while_loop, and the n that takes ~2 s here."""
    from tfjs_bridge.common.quiet import tf

    class Spin(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 1], tf.int64, name="n")])
        def serve(self, n):
            turns = tf.while_loop(lambda i: i < n[0, 0], lambda i: i + 1, [tf.constant(0, tf.int64)])
            return {"turns": tf.reshape(turns, [1, 1])}

    root = tmp_path_factory.mktemp("spin")
    spin = Spin()
    tf.saved_model.save(spin, str(root / "spin"), signatures={"serving_default": spin.serve})
    fn = tf.saved_model.load(str(root / "spin")).signatures["serving_default"]
    started = time.perf_counter()
    fn(n=tf.constant([[20_000]], tf.int64))
    per_turn = (time.perf_counter() - started) / 20_000
    return root, int(2.0 / per_turn)


def test_a_runaway_model_cannot_starve_another(spin_artifacts, tmp_path):
    artifacts, slow = spin_artifacts
    app = create_app({"TESTING": True, "MODELS_DIR": tmp_path, "ARTIFACTS_DIR": artifacts, "PREDICT_BUDGET": BUDGET})
    app.extensions["store"].metadata = lambda name: META  # two models ("spin", "other") served by the same SavedModel

    def post(name: str, n: int) -> tuple[int, str, float]:
        started = time.perf_counter()
        response = app.test_client().post(f"/api/predict/{name}", json={"inputs": [[n]]})
        return response.status_code, response.get_json().get("error", ""), time.perf_counter() - started

    assert post("other", 1)[0] == 200  # loads the SavedModel once
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        runaway = pool.submit(post, "spin", slow)
        time.sleep(0.1)
        queued = pool.submit(post, "spin", 1)
        others = [post("other", 10) for _ in range(5)]
        runaway, queued = runaway.result(), queued.result()
    assert runaway[0] == 504 and "over the budget of 0.5 s" in runaway[1] and runaway[2] < 1.5, runaway
    assert queued[0] == 503 and "per-model limit" in queued[1] and queued[2] < 1.5, queued
    assert all(code == 200 and seconds < 0.5 for code, _, seconds in others), others
    slot = app.extensions["budgets"]._slot("spin")
    assert slot.acquire(timeout=30)  # the runaway ends (~2 s): its slot comes back, and no thread is left spinning
    slot.release()
    assert post("spin", 1)[0] == 200
    print(f"runaway: 504 after {runaway[2]:.2f} s; its model 503 after {queued[2]:.2f} s; "
          f"another model's p50 {sorted(s for _, _, s in others)[2] * 1000:.0f} ms meanwhile")
