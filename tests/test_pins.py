"""pyproject.toml, requirements.txt and environment.yml pin the same versions."""

import re

import tomllib
import yaml

from tfjs_bridge.common.paths import CHECKOUT


def parse(lines):
    """{normalised name: version} from `name==version` lines."""
    pins = {}
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep, f"not pinned exactly: {line!r}"
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def lock():
    return parse((CHECKOUT / "requirements.txt").read_text().splitlines())


def test_pyproject_pins_match_the_lock():
    project = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["project"]
    direct = parse(project["dependencies"] + project["optional-dependencies"]["dev"])
    full = lock()
    assert {k: full.get(k) for k in direct} == direct


def test_environment_yml_is_the_lock():
    env = yaml.safe_load((CHECKOUT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert parse(pip_section) == lock()
    assert "python=3.11" in env["dependencies"]


def test_protobuf_traps_are_pinned_below_the_breaking_releases():
    pins = lock()
    assert pins["protobuf"].startswith("5.")
    assert tuple(map(int, pins["ydf"].split(".")[:2])) < (0, 16)
    assert tuple(map(int, pins["tensorflow-metadata"].split(".")[:2])) < (1, 18)


def test_test_only_pins_stay_apart_from_the_lock():
    """requirements-test.txt (installed --no-deps) pins keras-hub and what it imports, never TensorFlow's kin."""
    extra = parse((CHECKOUT / "requirements-test.txt").read_text().splitlines())
    assert extra["keras-hub"] == "0.32.0"
    assert not set(extra) & set(lock()), "a test-only package is in the lock too"
    assert not {n for n in extra if n.startswith(("tensorflow", "keras-"))} - {"keras-hub"}, extra
    assert "--no-deps -r requirements-test.txt" in (CHECKOUT / "Makefile").read_text()
