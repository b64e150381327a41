"""The GradientTape demo gives the seed notes' values at x = 3."""

from tfjs_bridge.train import tape_demo


def test_watched_constant():
    assert tape_demo.watched_constant_gradient(3.0) == 6.0


def test_persistent_tape_gives_both_gradients():
    assert tape_demo.persistent_gradients(3.0) == (108.0, 6.0)


def test_report_mentions_both_values():
    report = tape_demo.run()
    assert "dz/dx at x=3 = 108" in report and "dy/dx at x=3 = 6" in report
