# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the cryptburn integration tests.

Run with Debian's interpreter:
    CRYPTBURN=build/client/cryptburn XTS_DECRYPT=build/tests/xts-decrypt \
        /usr/bin/python3 -m pytest -q tests/integration
CRYPTBURN and XTS_DECRYPT default to <repo>/build/client/cryptburn and
<repo>/build/tests/xts-decrypt. "-m 'not slow'" leaves out the 4.5 GiB test.
"""

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cbtest  # noqa: E402
from dbus_fixtures import logind_mock, polkitd_mock, system_bus  # noqa: E402,F401
from daemon_fixtures import cryptburnd, start_daemon  # noqa: E402,F401
from scripted_fixtures import scripted_daemon  # noqa: E402,F401

REPO = Path(__file__).resolve().parents[2]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: writes a multi-GiB image (deselect with -m 'not slow')"
    )


def _binary(env, default):
    path = Path(os.environ.get(env) or default)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail("%s: no executable at %s (build first or set %s)" % (env, path, env))
    return path.resolve()


@pytest.fixture(scope="session", autouse=True)
def _environment():
    # English messages to match, UTF-8 names for xorriso and cryptburn
    saved = dict(os.environ)
    os.environ["LC_ALL"] = "C.UTF-8"
    os.environ.pop("LANGUAGE", None)
    # a home of the run's own, removed at its end: whatever the commands
    # under test and the libraries below them keep in a home (GLib's
    # settings in XDG_CONFIG_HOME/glib-2.0, Mesa's shader cache, at-spi's
    # and D-Bus's sockets) goes there and not into root's home or into
    # /nonexistent, nobody's home, where a directory made by root once
    # broke cryptburn for nobody. Mode 1777 like /tmp, as the tests that
    # run cryptburn as nobody keep this environment (XDG_RUNTIME_DIR 0700,
    # which the XDG base directory specification asks). No configuration file
    # of this machine or of its user is read: the system file named here
    # does not exist, nor does a cryptburn.conf in the configuration
    # directory (test_config.py sets its own).
    home = Path(tempfile.mkdtemp(prefix="cryptburn-home-"))
    for sub in ("", "config", "cache", "data", "state", "runtime"):
        (home / sub).mkdir(exist_ok=True)
        os.chmod(home / sub, 0o1777)
    os.chmod(home / "runtime", 0o700)
    os.environ.update({
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_RUNTIME_DIR": str(home / "runtime"),
        "CRYPTBURN_SYSTEM_CONFIG": str(home / "etc" / "cryptburn.conf"),
    })
    for tool in ("cryptsetup", "xorriso", "isoinfo", "setpriv"):
        if shutil.which(tool) is None:
            pytest.fail("the integration tests need %s" % tool)
    homes = _homes(saved.get("HOME"))
    yield
    os.environ.clear()
    os.environ.update(saved)
    shutil.rmtree(home, ignore_errors=True)
    left = sorted(_homes(saved.get("HOME")) - homes)
    assert not left, "the tests left files in a home that is not theirs: %s" % left


def _homes(user_home):
    """What lies in the places a program writes to when it takes its home
    from the environment or from the password database: the home of the
    user who runs the tests and nobody's (scripts/run-tests checks the
    whole file system)."""
    found = set()
    for top in (user_home, "/nonexistent"):
        if not top:
            continue
        for sub in ("", ".cache", ".config", ".local/share", ".local/state"):
            with contextlib.suppress(OSError):
                found.update(os.path.join(top, sub, name)
                             for name in os.listdir(os.path.join(top, sub)))
    if os.path.lexists("/nonexistent"):
        found.add("/nonexistent")
    return found


@pytest.fixture(scope="session")
def binaries():
    return (
        _binary("CRYPTBURN", REPO / "build" / "client" / "cryptburn"),
        _binary("XTS_DECRYPT", REPO / "build" / "tests" / "xts-decrypt"),
    )


@pytest.fixture
def cb(binaries, tmp_path):
    return cbtest.Cryptburn(binaries, tmp_path)


@pytest.fixture
def nobody_dir(binaries):
    """A world-writable directory where cryptburn runs as nobody."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run cryptburn as another user")
    d = Path(tempfile.mkdtemp(prefix="cryptburn-itest-", dir="/tmp"))
    os.chmod(d, 0o777)
    probe = cbtest.run(cbtest.NOBODY + [str(binaries[0]), "--version"], cwd=d)
    if probe.returncode != 0:
        shutil.rmtree(d)
        pytest.skip("user nobody cannot run %s: %s" % (binaries[0], cbtest.describe(probe)))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def big_tree(tmp_path_factory):
    """300 MB of random files, made once: enough to interrupt mid-write."""
    root = tmp_path_factory.mktemp("big-tree")
    for i in range(30):
        with open(root / ("random-%02d.bin" % i), "wb") as f:
            f.write(os.urandom(10 * 1024 * 1024))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def stamp():
    return cbtest.stamp_tree


def pytest_report_header(config):
    return "cryptburn: %s\nxts-decrypt: %s" % (
        os.environ.get("CRYPTBURN") or REPO / "build/client/cryptburn",
        os.environ.get("XTS_DECRYPT") or REPO / "build/tests/xts-decrypt",
    )

