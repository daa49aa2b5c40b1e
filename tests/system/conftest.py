# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/system: cryptburn installed from its Debian package in a Debian 12
VM, with systemd as PID 1, real polkitd, udev and udisks2 (see run).

One VM serves the whole session: the tests run in file order and each file
leaves the machine as it found it (no job, the drive free)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from vm import VM  # noqa: E402

# the host-side helpers the integration tests already have
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from cbtest import poll  # noqa: E402,F401

TOP = os.path.dirname(os.path.dirname(HERE))
TIMES = {}

# the test drive of /etc/cryptburn/cryptburnd.conf, an image file standing in
# for a blank DVD; the service may write only under /var/lib/cryptburn
TEST_DRIVE = "/var/lib/cryptburn/test.img"
DAEMON_CONF = """[Daemon]
IdleTimeout=%d
TestDrives=%s:700M;
"""
IDLE_TIMEOUT = 8
# how the service names it: a libburn stdio: drive
TEST_DEVICE = "stdio:" + TEST_DRIVE

PASSPHRASE = "correct horse battery staple 7"
FILES = {"letters/2025/jan.txt": b"Dear tax office,\n" * 300,
         "photos/a.bin": os.urandom(300_000),
         "readme": b"top level\n"}
# a fast key derivation: the VM emulates its CPU
FAST_KDF = ["--pbkdf-force-iterations=4", "--pbkdf-memory=32768"]
KDF_OF = {"luks2": FAST_KDF, "luks1": ["--pbkdf-force-iterations=1000"]}


def cryptburn(vm, *args, user="alice", timeout=600):
    return vm.run(["cryptburn"] + list(args), user=user, timeout=timeout)


@pytest.fixture(scope="session")
def alice_data(vm):
    write_tree(vm, "alice", "/home/alice/data", FILES)
    vm.write("/home/alice/pass", PASSPHRASE, mode=0o600, owner="alice")
    assert vm.ok(["stat", "-c", "%a", "/home/alice"]).out.strip() == "700"
    return "/home/alice/data"


def pytest_terminal_summary(terminalreporter):
    for name, seconds in TIMES.items():
        terminalreporter.write_line("system test: %s %.1f s" % (name, seconds))


@pytest.fixture(scope="session")
def workdir():
    d = tempfile.mkdtemp(prefix="cryptburn-system-")
    yield d
    if os.environ.get("CB_SYSTEM_KEEP"):
        print("kept", d)
        return
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def debs(workdir):
    """cryptburn's packages: CB_SYSTEM_DEBS, or built here by scripts/build-deb."""
    d = os.environ.get("CB_SYSTEM_DEBS")
    if not d:
        d = os.path.join(workdir, "debs")
        t0 = time.monotonic()
        subprocess.run([os.path.join(TOP, "scripts", "build-deb"), "--out", d],
                       check=True, stdout=subprocess.DEVNULL)
        TIMES["package build"] = time.monotonic() - t0
    found = sorted(f for f in os.listdir(d) if f.startswith("cryptburn_") and f.endswith(".deb"))
    assert found, "no cryptburn_*.deb in %s" % d
    return os.path.join(d, found[-1])


@pytest.fixture(scope="session")
def image(debs):
    cache = os.environ.get("CB_VM_CACHE", "/var/cache/cryptburn-tests")
    t0 = time.monotonic()
    out = subprocess.run([os.path.join(HERE, "build-image"), cache, debs],
                         check=True, stdout=subprocess.PIPE, text=True).stdout.split()[-1]
    TIMES["image (built or found in %s)" % cache] = time.monotonic() - t0
    return out


@pytest.fixture(scope="session")
def vm(image, debs, workdir):
    machine = VM(image, workdir)
    try:
        machine.start()
        TIMES["boot to the agent"] = machine.boot_seconds
        t0 = time.monotonic()
        machine.wait_for_session()
        TIMES["console login"] = time.monotonic() - t0
        machine.ok("mkdir -p /root/debs")
        with open(debs, "rb") as f:
            machine.write("/root/debs/" + os.path.basename(debs), f.read())
        t0 = time.monotonic()
        # as a user installs it: apt resolves the dependencies (from the
        # image's apt cache: the VM has no network)
        machine.install = machine.ok(
            "DEBIAN_FRONTEND=noninteractive apt-get install -y "
            "/root/debs/cryptburn_*.deb", timeout=900)
        TIMES["apt install"] = time.monotonic() - t0
        machine.ok("mkdir -p /var/lib/cryptburn /etc/cryptburn")
        machine.write("/etc/cryptburn/cryptburnd.conf", DAEMON_CONF % (IDLE_TIMEOUT, TEST_DRIVE))
        yield machine
    finally:
        machine.stop()
        if os.environ.get("CB_SYSTEM_KEEP") is None and os.path.exists(machine.console_log):
            # the console is the first thing to read when a test fails
            with open(machine.console_log, errors="replace") as f:
                tail = f.readlines()[-30:]
            print("".join(["--- VM console (last lines)\n"] + tail))


@pytest.fixture
def no_disc(vm):
    """qemu's drive empty before and after the test."""
    vm.eject_disc()
    yield
    vm.run("umount -A /dev/sr0; cryptsetup close cb-test", timeout=60)
    vm.eject_disc()


def write_tree(vm, user, path, files):
    """Creates files {relative path: bytes} under path, owned by user."""
    vm.ok(["mkdir", "-p", path], user=user)
    for rel, data in files.items():
        full = os.path.join(path, rel)
        vm.ok(["mkdir", "-p", os.path.dirname(full)], user=user)
        vm.write(full, data, mode=0o600, owner=user)


def tree_digest(vm, path, user="root"):
    """sha256 of every file under path, by relative path."""
    r = vm.ok(["sh", "-c", 'cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum', "-", path],
              user=user)
    return r.out


def burn_disc(vm, workdir, fmt, *extra, source="/home/alice/data"):
    """Burns source as alice in format fmt to the test drive and copies the
    disc to the host, for qemu's CD-ROM drive. Returns its path."""
    r = cryptburn(vm, "burn", "--drive=" + TEST_DEVICE, "--format=" + fmt,
                  "--passphrase-file=/home/alice/pass", "--volume-id=ALICE", *KDF_OF.get(fmt, []), *extra,
                  source, timeout=1200)
    assert r.rc == 0, r
    path = os.path.join(workdir, "disc-%s.img" % fmt)
    t0 = time.monotonic()
    size = vm.copy_out(TEST_DRIVE, path)
    TIMES["disc copy to the host (%s, %d MB)" % (fmt, size >> 20)] = time.monotonic() - t0
    return path


def drives(vm, user="alice"):
    r = cryptburn(vm, "drives", "--json", user=user)
    assert r.rc == 0, r
    return {d["device"]: d for d in json.loads(r.out)}


def service_state(vm):
    return vm.run(["systemctl", "is-active", "cryptburnd"]).out.strip()
