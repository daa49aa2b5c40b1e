# SPDX-License-Identifier: GPL-3.0-or-later
"""The configured systemd unit and D-Bus activation file in the build tree.

CRYPTBURN_BUILDDIR (set by scripts/run-tests) names the build directory;
<repo>/build by default.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MAX_EXPOSURE = 2.0


@pytest.fixture(scope="module")
def builddir():
    path = Path(os.environ.get("CRYPTBURN_BUILDDIR") or REPO / "build")
    if not (path / "build.ninja").is_file():
        pytest.fail("CRYPTBURN_BUILDDIR: no configured build in %s" % path)
    return path


@pytest.fixture(scope="module")
def unit(builddir):
    path = builddir / "systemd" / "cryptburnd.service"
    assert path.is_file(), "%s was not configured (meson setup)" % path
    return path


@pytest.fixture(scope="module")
def systemd_analyze():
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.fail("the unit tests need systemd-analyze (package systemd, scripts/install-deps)")
    return tool


def parse(path, section):
    """key -> list of values of one [section] of a unit-style file."""
    values = {}
    current = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = line.strip("[]")
            continue
        if current == section:
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def run(cmd, **kwargs):
    return subprocess.run(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=120,
        **kwargs,
    )


def test_exposure(systemd_analyze, unit):
    proc = run([systemd_analyze, "security", "--no-pager", "--offline=true", str(unit)])
    out = proc.stdout.decode("utf-8", "replace")
    m = re.search(r"Overall exposure level for cryptburnd\.service: (\d+\.\d)", out)
    assert m is not None, out
    exposure = float(m.group(1))
    assert exposure <= MAX_EXPOSURE, "exposure %.1f > %.1f:\n%s" % (exposure, MAX_EXPOSURE, out)


def test_hardening_keeps_what_the_daemon_needs(unit):
    """A better score must not come from breaking the daemon: see the
    comments in systemd/cryptburnd.service.in for each of these."""
    service = parse(unit, "Service")
    assert service["Type"] == ["dbus"]
    assert service["BusName"] == ["org.cryptburn.CryptBurn1"]
    assert service["NotifyAccess"] == ["main"]
    assert sorted(service["CapabilityBoundingSet"][0].split()) == [
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SYS_RAWIO",
    ]
    assert service["DevicePolicy"] == ["closed"]
    assert "block-sr rw" in service["DeviceAllow"]
    # the reader, running as the caller inside the sandbox, reads home directories
    assert service["ProtectHome"] == ["read-only"]
    # the reader sees the caller's files in /tmp too
    assert service.get("PrivateTmp", ["no"]) == ["no"]
    # no network at all: drives are followed through udev's database
    # (inotify), which needs none, unlike udev's netlink multicast
    assert service["PrivateNetwork"] == ["yes"]
    assert service["RestrictAddressFamilies"] == ["AF_UNIX"]
    # the reader is started with setgroups/setgid/setuid under this filter
    assert service["SystemCallFilter"][-1] == "@setuid"


def test_verify(systemd_analyze, unit, tmp_path):
    # Documentation=man:cryptburnd(8) is checked with man(1): point it at the
    # page in the source tree, which is what gets installed
    (tmp_path / "man8").mkdir()
    shutil.copy(REPO / "doc" / "cryptburnd.8", tmp_path / "man8")
    env = dict(os.environ, MANPATH=str(tmp_path))
    proc = run([systemd_analyze, "verify", str(unit)], env=env)
    out = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0 and re.search(r"Failed to (initialize|allocate) manager", out):
        pytest.skip("systemd-analyze verify cannot run here: %s" % out.strip())
    exec_start = parse(unit, "Service")["ExecStart"][0].split()[0]
    if os.access(exec_start, os.X_OK):
        assert proc.returncode == 0 and out.strip() == "", out
        return
    # the daemon is not installed in this tree: that must be the only complaint
    not_installed = (
        "cryptburnd.service: Command %s is not executable: No such file or directory" % exec_start
    )
    assert out.strip().splitlines() == [not_installed], out


def test_activation_file_matches_the_unit(builddir, unit):
    activation = parse(builddir / "dbus" / "org.cryptburn.CryptBurn1.service", "D-BUS Service")
    service = parse(unit, "Service")
    assert activation["Name"] == service["BusName"]
    assert activation["Exec"] == service["ExecStart"]
    assert activation["User"] == ["root"]
    assert activation["SystemdService"] == [unit.name]


# what the unit's comment on LimitMEMLOCK= counts besides libgcrypt's pool:
# the CbSecret pages a job has while it starts, and libcryptsetup's locked
# copies, one job at a time
SECRET_BYTES_PER_JOB = 64 * 1024
CRYPTSETUP_BYTES = 512 * 1024
# SIGTERM stops the service within this (issue 13); systemd waits twice it
STOP_AFTER_SIGTERM_S = 5


def c_define(path, name):
    """The value of #define NAME in a header, the names it uses expanded."""
    text = path.read_text()
    m = re.search(r"^#define %s (.+)$" % name, text, re.M)
    assert m is not None, "no #define %s in %s" % (name, path)
    value = m.group(1)
    for other in re.findall(r"\bCB_[A-Z_]+\b", value):
        value = value.replace(other, str(c_define(path, other)))
    return eval(value, {"__builtins__": {}})


def size_bytes(text):
    m = re.fullmatch(r"(\d+)([KMG]?)", text)
    assert m is not None, text
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)]


def test_limits_fit_the_daemon(unit):
    """LimitMEMLOCK= holds the secrets of as many jobs as the daemon runs
    at once, and TimeoutStopSec= gives SIGTERM its time, but not 90 s."""
    service = parse(unit, "Service")
    crypto = REPO / "common" / "cb-crypto.h"
    daemon_h = (REPO / "daemon" / "cb-daemon.h").read_text()
    assert re.search(r"^#define CB_DAEMON_MAX_JOBS CB_CRYPTO_MAX_JOBS$", daemon_h, re.M)
    jobs = c_define(crypto, "CB_CRYPTO_MAX_JOBS")
    pool = c_define(crypto, "CB_CRYPTO_SECMEM_BYTES")
    assert pool >= jobs * c_define(crypto, "CB_CRYPTO_SECMEM_PER_JOB")
    need = pool + jobs * SECRET_BYTES_PER_JOB + CRYPTSETUP_BYTES
    limit = size_bytes(service["LimitMEMLOCK"][-1])
    assert need <= limit <= 2 * need, (need, limit)

    m = re.fullmatch(r"(\d+)s", service["TimeoutStopSec"][-1])
    assert m is not None, service["TimeoutStopSec"]
    assert STOP_AFTER_SIGTERM_S < int(m.group(1)) <= 2 * STOP_AFTER_SIGTERM_S
