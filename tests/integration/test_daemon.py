# SPDX-License-Identifier: GPL-3.0-or-later
"""cryptburnd on a private system bus: real daemon, real reader helper,
python-dbusmock polkitd, stdio test drives; what lands in a drive's file
is checked with cryptsetup, the OpenSSL oracle and xorriso."""

import os
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path

import cbtest
import pytest
from daemon_fixtures import ERROR, FAST_KDF, JOB_IFACE, DRIVE_IFACE

PASSPHRASE = cbtest.PASSPHRASE


# a burn that lasts seconds without hundreds of MB to check afterwards:
# libburn throttles a stdio drive to the requested speed
SLOW = {"speed": ["u", 6000]}


@pytest.fixture(scope="module")
def burn_tree(tmp_path_factory):
    """24 MB of random files: at 6000 kB/s a burn of about 4 s."""
    root = tmp_path_factory.mktemp("burn-tree")
    for i in range(3):
        (root / ("random-%d.bin" % i)).write_bytes(os.urandom(8 * 1024 * 1024))
    return root


def burn_spec(daemon, drive, sources, agent=None, passfile=None, options=None, **extra):
    spec = {"drive": daemon.drive_paths[drive], "sources": [str(s) for s in sources],
            "options": dict(FAST_KDF), "fds": {}}
    if agent is not None:
        spec["agent"] = agent
        spec["passphrase"] = PASSPHRASE
    if passfile is not None:
        spec["fds"]["passphrase-fd"] = str(passfile)
    spec["options"].update(options or {})
    spec.update(extra)
    return spec


def make_tree(root, big_mib=0):
    root.mkdir(parents=True, exist_ok=True)
    (root / "notes.txt").write_text("tax 2025\n")
    sub = root / "sub dir"
    sub.mkdir(exist_ok=True)
    (sub / "data.bin").write_bytes(os.urandom(300 * 1024))
    os.symlink("../notes.txt", sub / "link")
    if big_mib:
        with open(root / "big.bin", "wb") as f:
            for _ in range(big_mib):
                f.write(os.urandom(1024 * 1024))
    return root


def assert_disc_holds(cb, disc, tree):
    """The drive's file is a LUKS2 image of tree, by the oracles."""
    dump = cbtest.luks_dump(disc)
    assert "Version:       \t2" in dump or "Version:" in dump
    assert cbtest.unlocks(disc, cb.passfile) == 0
    assert cbtest.unlocks(disc, cb.wrongfile) != 0
    iso = cb.decrypt(disc)
    out = cb.extract(iso)
    cbtest.compare_trees(cbtest.expected_tree(tree), out)


def size_of(path):
    return path.stat().st_size if path.exists() else 0


def test_burn_tree_and_verify(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    job, done = cryptburnd.submit("BurnFiles", burn_spec(cryptburnd, "disc0", [tree],
                                                         passfile=cb.passfile))
    assert "job" in job, job
    assert done["completed"] == [True, "", ""], done
    assert_disc_holds(cb, cryptburnd.drive_files["disc0"], tree)
    # the job tells its final figures and the checksum of what was written
    assert "'succeeded'" in cryptburnd.get(job["job"], JOB_IFACE, "State")
    checksum = cryptburnd.get(job["job"], JOB_IFACE, "Checksum")
    digest = subprocess.run(["sha256sum", str(cryptburnd.drive_files["disc0"])],
                            stdout=subprocess.PIPE, check=True).stdout.split()[0].decode()
    assert digest in checksum
    assert "1.0" in cryptburnd.get(job["job"], JOB_IFACE, "Progress")
    # the drive is free and its media were read again
    assert "false" in cryptburnd.get(cryptburnd.drive_paths["disc0"], DRIVE_IFACE, "Busy")
    assert cryptburnd.alive()


def test_burn_with_agent_asks_twice(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    job, done = cryptburnd.submit("BurnFiles", burn_spec(cryptburnd, "disc0", [tree],
                                                         agent="good"))
    assert done["completed"] == [True, "", ""], done
    calls = done["agent_calls"]
    assert len(calls) == 2
    assert calls[0]["hints"].get("new") is True
    assert calls[1]["hints"].get("confirm") is True
    assert calls[0]["job"] == job["job"]
    assert_disc_holds(cb, cryptburnd.drive_files["disc0"], tree)


def test_agent_wrong_confirmation(cryptburnd, tmp_path):
    tree = make_tree(tmp_path / "tree")
    _, done = cryptburnd.submit("BurnFiles", burn_spec(cryptburnd, "disc0", [tree],
                                                       agent="mismatch"))
    success, name, message = done["completed"]
    assert not success
    assert name == ERROR + "Passphrase"
    assert "differ" in message
    assert size_of(cryptburnd.drive_files["disc0"]) == 0
    assert cryptburnd.alive()


def test_agent_never_answers(cryptburnd, tmp_path):
    tree = make_tree(tmp_path / "tree")
    t0 = time.monotonic()
    _, done = cryptburnd.submit("BurnFiles", burn_spec(cryptburnd, "disc0", [tree],
                                                       agent="silent"))
    elapsed = time.monotonic() - t0
    success, name, message = done["completed"]
    assert not success
    assert name == ERROR + "PassphraseRequired"
    assert "did not answer" in message
    assert elapsed >= 2.5  # the daemon's --agent-timeout is 3 s
    # the agent was told to close its prompt
    assert done["agent_cancels"] == 1
    assert size_of(cryptburnd.drive_files["disc0"]) == 0
    # the drive is free again
    assert "false" in cryptburnd.get(cryptburnd.drive_paths["disc0"], DRIVE_IFACE, "Busy")
    assert cryptburnd.alive()


def test_agent_refuses(cryptburnd, tmp_path):
    tree = make_tree(tmp_path / "tree")
    _, done = cryptburnd.submit("BurnFiles", burn_spec(cryptburnd, "disc0", [tree],
                                                       agent="refuse"))
    assert done["completed"][:2] == [False, ERROR + "PassphraseRequired"]
    assert "the user said no" in done["completed"][2]


def test_no_passphrase_source(cryptburnd, tmp_path):
    tree = make_tree(tmp_path / "tree")
    _, done = cryptburnd.submit("BurnFiles", burn_spec(cryptburnd, "disc0", [tree]))
    assert done["completed"][:2] == [False, ERROR + "PassphraseRequired"]


def test_polkit_denial(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    cryptburnd.allow([])
    job, done = cryptburnd.submit("BurnFiles", burn_spec(cryptburnd, "disc0", [tree],
                                                         passfile=cb.passfile))
    assert job["error"] == ERROR + "NotAuthorized", job
    assert "org.cryptburn.burn" in job["message"]
    assert done is None
    assert size_of(cryptburnd.drive_files["disc0"]) == 0
    # no job object was made
    objects = cryptburnd.call("/org/cryptburn/CryptBurn1", "org.freedesktop.DBus.ObjectManager",
                              "GetManagedObjects")
    assert "/jobs/" not in objects["reply"]
    assert cryptburnd.alive()


def test_polkit_denies_each_action(cryptburnd, cb, tmp_path):
    cryptburnd.allow(["org.cryptburn.burn"])
    drive = cryptburnd.drive_paths["disc0"]
    reply = cryptburnd.call(drive, DRIVE_IFACE, "Eject", "(@a{sv} {},)")
    assert reply["error"] == ERROR + "NotAuthorized", reply
    reply = cryptburnd.call(drive, DRIVE_IFACE, "Blank", "(@a{sv} {},)")
    assert reply["error"] == ERROR + "NotAuthorized", reply


def test_media_too_small_before_any_write(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree", big_mib=3)
    job, done = cryptburnd.submit("BurnFiles", burn_spec(cryptburnd, "small", [tree],
                                                         agent="good"))
    success, name, message = done["completed"]
    assert not success
    assert name == ERROR + "MediaTooSmall"
    assert "needs" in message and "holds" in message and "MB" in message
    # checked before the passphrase was even asked, and nothing written
    assert done["agent_calls"] == []
    assert size_of(cryptburnd.drive_files["small"]) == 0


def test_busy_drive_and_cancel_during_write(cryptburnd, cb, burn_tree, tmp_path):
    spec = burn_spec(cryptburnd, "disc0", [burn_tree], passfile=cb.passfile, options=SLOW)
    proc, first = cryptburnd.submit_async("BurnFiles", spec)
    job = first["job"]
    cryptburnd.wait_state(job, ["running"])
    # a second job on the same drive
    second, done = cryptburnd.submit("BurnFiles", burn_spec(cryptburnd, "disc0", [burn_tree],
                                                            passfile=cb.passfile))
    assert second["error"] == ERROR + "Busy", second
    assert job in second["message"]
    # wait until bytes flow, then cancel
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if "'writing'" in cryptburnd.get(job, JOB_IFACE, "Phase"):
            break
        time.sleep(0.02)
    reply = cryptburnd.call(job, JOB_IFACE, "Cancel", "(@a{sv} {},)")
    assert reply == {"reply": "()"}, reply
    out, _ = proc.communicate(timeout=120)
    last = [line for line in out.decode().splitlines() if line.strip()][-1]
    assert '"completed": [false, "%sCancelled"' % ERROR in last, last
    assert "'cancelled'" in cryptburnd.get(job, JOB_IFACE, "State")
    # the drive is free for the next job, which succeeds
    tree = make_tree(tmp_path / "tree")
    _, done = cryptburnd.submit("BurnFiles", burn_spec(cryptburnd, "disc0", [tree],
                                                       passfile=cb.passfile))
    assert done["completed"] == [True, "", ""], done
    assert_disc_holds(cb, cryptburnd.drive_files["disc0"], tree)
    assert cryptburnd.alive()


def test_cancel_while_waiting_for_passphrase(cryptburnd, tmp_path):
    tree = make_tree(tmp_path / "tree")
    proc, first = cryptburnd.submit_async(
        "BurnFiles", burn_spec(cryptburnd, "disc0", [tree], agent="silent"))
    job = first["job"]
    cryptburnd.wait_state(job, ["waiting-for-passphrase"])
    cryptburnd.call(job, JOB_IFACE, "Cancel", "(@a{sv} {},)")
    out, _ = proc.communicate(timeout=60)
    assert '"%sCancelled"' % ERROR in out.decode()
    assert size_of(cryptburnd.drive_files["disc0"]) == 0
    assert "false" in cryptburnd.get(cryptburnd.drive_paths["disc0"], DRIVE_IFACE, "Busy")


def test_client_killed_mid_burn(cryptburnd, cb, burn_tree):
    spec = burn_spec(cryptburnd, "disc0", [burn_tree], passfile=cb.passfile, options=SLOW)
    proc, first = cryptburnd.submit_async("BurnFiles", spec)
    job = first["job"]
    cryptburnd.wait_state(job, ["running"])
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = cryptburnd.wait_job(job)
    assert done["completed"] == [True, "", ""], done
    disc = cryptburnd.drive_files["disc0"]
    iso = cb.decrypt(disc)
    cbtest.compare_trees(cbtest.expected_tree(burn_tree), cb.extract(iso))


def test_two_drives_at_once(cryptburnd, cb, burn_tree, tmp_path):
    running = []
    for drive in ("disc0", "disc1"):
        running.append(cryptburnd.submit_async(
            "BurnFiles", burn_spec(cryptburnd, drive, [burn_tree], passfile=cb.passfile,
                                   options=SLOW)))
    # both write at the same time at some point
    both = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not both:
        phases = [cryptburnd.get(first["job"], JOB_IFACE, "Phase") for _, first in running]
        states = [cryptburnd.get(first["job"], JOB_IFACE, "State") for _, first in running]
        if all("'writing'" in p for p in phases) and all("'running'" in s for s in states):
            both = True
        elif any("'succeeded'" in s or "'failed'" in s for s in states):
            break
        time.sleep(0.01)
    for proc, _ in running:
        out, _ = proc.communicate(timeout=300)
        assert '"completed": [true, "", ""]' in out.decode(), out.decode()
    assert both, "the two burns never overlapped"
    for drive in ("disc0", "disc1"):
        iso = cb.decrypt(cryptburnd.drive_files[drive])
        cbtest.compare_trees(cbtest.expected_tree(burn_tree), cb.extract(iso))


@pytest.mark.parametrize("options, needle", [
    ({"no-such-option": ["s", "x"]}, "unknown option"),
    ({"volume-id": ["u", 3]}, "must be of type"),
    ({"volume-id": ["s", "V" * 33]}, "too long"),
    ({"publisher": ["s", "P" * 129]}, "too long"),
    ({"format": ["s", "rot13"]}, "unknown format"),
    ({"pbkdf-memory": ["u", 1]}, "between"),
    ({"image-size": ["t", 2048]}, "does not apply"),
    ({"grafts": ["as", ["x=/y"] * 300]}, "too many"),
])
def test_invalid_options(cryptburnd, cb, tmp_path, options, needle):
    tree = make_tree(tmp_path / "tree")
    job, done = cryptburnd.submit("BurnFiles", burn_spec(cryptburnd, "disc0", [tree],
                                                         passfile=cb.passfile,
                                                         options=options))
    assert job.get("error") == ERROR + "InvalidOption", job
    assert needle in job["message"]
    assert cryptburnd.alive()


@pytest.mark.parametrize("sources, needle", [
    ([], "no sources"),
    (["relative/path"], "not an absolute path"),
    (["/" + "a" * 5000], "too long"),
    (["/tmp"] * 300, "too many sources"),
])
def test_invalid_sources(cryptburnd, cb, sources, needle):
    spec = burn_spec(cryptburnd, "disc0", [], passfile=cb.passfile)
    spec["sources"] = sources
    job, _ = cryptburnd.submit("BurnFiles", spec)
    assert job.get("error") == ERROR + "InvalidOption", job
    assert needle in job["message"]


def test_no_such_drive(cryptburnd, cb, tmp_path):
    spec = burn_spec(cryptburnd, "disc0", [make_tree(tmp_path / "t")], passfile=cb.passfile)
    spec["drive"] = "/org/cryptburn/CryptBurn1/drives/nope"
    job, _ = cryptburnd.submit("BurnFiles", spec)
    assert job.get("error") == ERROR + "NoSuchDrive", job


def test_unprivileged_user_cannot_burn_root_only_file(cryptburnd, cb, tmp_path):
    secret_dir = cryptburnd.workdir / "private"
    secret_dir.mkdir()
    os.chmod(secret_dir, 0o755)
    secret = secret_dir / "root-only.txt"
    secret.write_text("only root reads this\n")
    os.chmod(secret, 0o600)
    passfile = cryptburnd.workdir / "pass"
    passfile.write_text(PASSPHRASE + "\n")
    os.chmod(passfile, 0o644)
    spec = burn_spec(cryptburnd, "disc0", [secret_dir], passfile=passfile)
    job, done = cryptburnd.submit("BurnFiles", spec, user="nobody")
    assert "job" in job, job
    success, name, message = done["completed"]
    assert not success
    assert name == ERROR + "Source", done
    assert "root-only.txt" in message
    assert size_of(cryptburnd.drive_files["disc0"]) == 0
    # the job is nobody's
    assert "65534" in cryptburnd.get(job["job"], JOB_IFACE, "StartedByUID")
    # and root, who may read it, can burn it
    spec = burn_spec(cryptburnd, "disc0", [secret_dir], passfile=cb.passfile)
    _, done = cryptburnd.submit("BurnFiles", spec)
    assert done["completed"] == [True, "", ""], done
    assert cryptburnd.alive()


def test_other_user_cannot_cancel_without_polkit(cryptburnd, cb, burn_tree):
    proc, first = cryptburnd.submit_async(
        "BurnFiles", burn_spec(cryptburnd, "disc0", [burn_tree], passfile=cb.passfile,
                               options=SLOW))
    job = first["job"]
    cryptburnd.allow(["org.cryptburn.burn"])
    reply = cryptburnd.run("call", job, JOB_IFACE, "Cancel", "(@a{sv} {},)", user="nobody")[0]
    assert reply.get("error") == ERROR + "NotAuthorized", reply
    out, _ = proc.communicate(timeout=300)
    assert '"completed": [true' in out.decode()


def test_burn_image_from_pipe(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    plain = tmp_path / "plain.iso"
    subprocess.run(["genisoimage", "-quiet", "-R", "-J", "-o", str(plain), str(tree)],
                   check=True)
    fifo = tmp_path / "stream"
    os.mkfifo(fifo)
    feeder = subprocess.Popen(["sh", "-c", 'cat "$1" > "$2"', "sh", str(plain), str(fifo)])
    spec = {"drive": cryptburnd.drive_paths["disc1"], "options": dict(FAST_KDF),
            "fds": {"image_stream": str(fifo), "passphrase-fd": str(cb.passfile)}}
    job, done = cryptburnd.submit("BurnImage", spec)
    feeder.wait(timeout=60)
    assert done["completed"] == [True, "", ""], (job, done)
    iso = cb.decrypt(cryptburnd.drive_files["disc1"])
    with open(iso, "rb") as a, open(plain, "rb") as b:
        assert a.read(os.path.getsize(plain)) == b.read()


def test_write_image_to_client_fd(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    out = tmp_path / "out.img"
    spec = {"sources": [str(tree)], "options": dict(FAST_KDF),
            "fds": {"output": "write:" + str(out), "passphrase-fd": str(cb.passfile)}}
    job, done = cryptburnd.submit("WriteImage", spec)
    assert done["completed"] == [True, "", ""], (job, done)
    iso = cb.decrypt(out)
    cbtest.compare_trees(cbtest.expected_tree(tree), cb.extract(iso))
    assert "'/'" in cryptburnd.get(job["job"], JOB_IFACE, "Drive")


def test_blank_stdio_drive_is_unsupported(cryptburnd):
    reply = cryptburnd.call(cryptburnd.drive_paths["disc0"], DRIVE_IFACE, "Blank",
                            "(@a{sv} {},)")
    assert "reply" in reply, reply
    job = reply["reply"].split("'")[1]
    done = cryptburnd.wait_job(job)
    assert done["completed"][:2] == [False, ERROR + "UnsupportedMedia"], done


def test_daemon_exits_when_idle(system_bus, polkitd_mock, tmp_path):
    from daemon_fixtures import Daemon
    daemon = Daemon(system_bus, tmp_path)
    daemon.start("--idle-timeout", "1")
    assert daemon.proc.wait(timeout=30) == 0
    assert not system_bus.has_owner("org.cryptburn.CryptBurn1")


def test_drive_properties(cryptburnd):
    drive = cryptburnd.drive_paths["small"]
    assert "'file'" in cryptburnd.get(drive, DRIVE_IFACE, "Media")
    assert "'blank'" in cryptburnd.get(drive, DRIVE_IFACE, "MediaStatus")
    assert str(2 * 1024 * 1024) in cryptburnd.get(drive, DRIVE_IFACE, "Capacity")
    assert "stdio:" in cryptburnd.get(drive, DRIVE_IFACE, "Device")


def test_jobs_leak_no_file_descriptors(cryptburnd, cb, tmp_path):
    """Every job closes what it opened: the image, passphrase and pipe fds,
    the drive, the reader's pipes."""
    def fds():
        d = "/proc/%d/fd" % cryptburnd.proc.pid
        return sorted("%s -> %s" % (n, os.readlink(os.path.join(d, n))) for n in os.listdir(d))

    tree = make_tree(tmp_path / "tree")
    # one job first: libraries open what they keep (libgcrypt, polkit)
    cryptburnd.submit("BurnFiles", burn_spec(cryptburnd, "disc0", [tree], passfile=cb.passfile))
    before = fds()
    for agent in ("good", "mismatch", None):
        spec = burn_spec(cryptburnd, "disc0", [tree], agent=agent,
                         passfile=None if agent else cb.passfile)
        _, done = cryptburnd.submit("BurnFiles", spec)
        assert done is not None
    out = tmp_path / "out.img"
    cryptburnd.submit("WriteImage", {"sources": [str(tree)], "options": dict(FAST_KDF),
                                     "fds": {"output": "write:" + str(out),
                                             "passphrase-fd": str(cb.passfile)}})
    assert fds() == before, (before, fds())


UDEV = "/run/udev"


@pytest.fixture
def fake_udev():
    """udevd's run-time directory, faked: the control file that says udev
    runs, and a database whose entries the test writes as udevd would
    (atomically, by rename). Only where no real udev runs."""
    if os.path.exists(UDEV + "/control"):
        pytest.skip("a real udev runs here; its database is not ours to fake")
    if not os.path.exists("/sys/dev/block/7:0"):
        pytest.skip("no loop0 block device to stand for a drive")
    os.makedirs(UDEV + "/data")
    open(UDEV + "/control", "w").close()
    try:
        yield UDEV + "/data"
    finally:
        shutil.rmtree(UDEV)


def udev_write(db, name, props):
    tmp = os.path.join(db, ".tmp-" + name)
    with open(tmp, "w") as f:
        for key, value in props.items():
            f.write("E:%s=%s\n" % (key, value))
    os.rename(tmp, os.path.join(db, name))


def wait_until(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_udev_drives_hotplug_and_media(system_bus, polkitd_mock, fake_udev, tmp_path):
    """Drives found at start, a disc inserted and ejected, the drive
    unplugged: all through udev's database, as under PrivateNetwork=yes."""
    from daemon_fixtures import Daemon
    drive = "/org/cryptburn/CryptBurn1/drives/loop0"
    base = {"ID_CDROM": "1", "ID_VENDOR": "ACME", "ID_MODEL": "BD-RE_X1"}
    udev_write(fake_udev, "b7:0", base)
    daemon = Daemon(system_bus, tmp_path)
    daemon.allow([])
    daemon.start()
    try:
        assert "'ACME'" in daemon.get(drive, DRIVE_IFACE, "Vendor")
        assert "false" in daemon.get(drive, DRIVE_IFACE, "MediaPresent")
        # a blank DVD+RW goes in
        udev_write(fake_udev, "b7:0", dict(base, ID_CDROM_MEDIA="1",
                                           ID_CDROM_MEDIA_DVD_PLUS_RW="1",
                                           ID_CDROM_MEDIA_STATE="blank"))
        assert wait_until(lambda: "'dvd_plus_rw'" in daemon.get(drive, DRIVE_IFACE, "Media"))
        assert "true" in daemon.get(drive, DRIVE_IFACE, "MediaPresent")
        assert "'blank'" in daemon.get(drive, DRIVE_IFACE, "MediaStatus")
        # ejected
        udev_write(fake_udev, "b7:0", base)
        assert wait_until(lambda: "false" in daemon.get(drive, DRIVE_IFACE, "MediaPresent"))
        assert "'none'" in daemon.get(drive, DRIVE_IFACE, "MediaStatus")
        # a second drive is plugged in, the first unplugged
        udev_write(fake_udev, "b7:1", dict(base, ID_MODEL="DVD_Y2"))
        second = "/org/cryptburn/CryptBurn1/drives/loop1"
        assert wait_until(lambda: "reply" in daemon.call(
            second, "org.freedesktop.DBus.Properties", "Get",
            "('org.cryptburn.CryptBurn1.Drive', 'Model')"))
        os.unlink(os.path.join(fake_udev, "b7:0"))

        def gone():
            objects = daemon.call("/org/cryptburn/CryptBurn1",
                                  "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")
            return "drives/loop0" not in objects["reply"] and "drives/loop1" in objects["reply"]
        assert wait_until(gone)
        assert daemon.alive()
    finally:
        daemon.stop()


def test_jobs_per_user_are_limited(cryptburnd, cb, tmp_path):
    """Eight jobs of one uid at once; the ninth is Busy, and another user's
    job is not counted against it."""
    tree = make_tree(tmp_path / "tree")
    waiting = []
    for i in range(8):
        spec = {"sources": [str(tree)], "options": dict(FAST_KDF), "agent": "silent",
                "passphrase": PASSPHRASE, "fds": {"output": "write:%s/out-%d" % (tmp_path, i)}}
        waiting.append(cryptburnd.submit_async("WriteImage", spec))
    for _, first in waiting:
        assert "job" in first, first
    spec = {"sources": [str(tree)], "options": dict(FAST_KDF), "agent": "good",
            "passphrase": PASSPHRASE, "fds": {"output": "write:%s/out-9" % tmp_path}}
    job, _ = cryptburnd.submit("WriteImage", spec)
    assert job.get("error") == ERROR + "Busy", job
    assert "too many jobs" in job["message"]
    for proc, _ in waiting:
        proc.communicate(timeout=60)
    # once they ended (the silent agents time out), there is room again
    job, done = cryptburnd.submit("WriteImage", spec)
    assert done["completed"] == [True, "", ""], (job, done)


def test_inhibits_sleep_while_writing(system_bus, polkitd_mock, logind_mock, cb, tmp_path):
    from daemon_fixtures import ACTIONS, Daemon
    daemon = Daemon(system_bus, tmp_path / "d")
    (tmp_path / "d").mkdir()
    daemon.allow(ACTIONS)
    daemon.start()
    try:
        tree = make_tree(tmp_path / "tree")
        _, done = daemon.submit("BurnFiles", burn_spec(daemon, "disc0", [tree],
                                                       passfile=cb.passfile))
        assert done["completed"] == [True, "", ""], done
        calls = system_bus.call("org.freedesktop.login1", "/org/freedesktop/login1",
                                "org.freedesktop.DBus.Mock", "GetMethodCalls", "('Inhibit',)")
        assert "<'sleep:shutdown'>, <'cryptburn'>" in calls["reply"], calls
        assert "<'block'>" in calls["reply"]
        # and let go of once the disc is written
        held = system_bus.call("org.freedesktop.login1", "/org/freedesktop/login1",
                               "org.freedesktop.login1.Manager", "ListInhibitors", "()")
        assert held == {"reply": "(@a(ssssuu) [],)"}, held
    finally:
        daemon.stop()


def test_notifies_systemd(system_bus, polkitd_mock, tmp_path):
    """READY=1 once on the bus, then WATCHDOG=1 pings at half the interval."""
    import socket
    from daemon_fixtures import Daemon
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(20)
    saved = {k: os.environ.get(k) for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    os.environ["NOTIFY_SOCKET"] = path
    os.environ["WATCHDOG_USEC"] = "400000"
    daemon = Daemon(system_bus, tmp_path)
    try:
        daemon.start()
        messages = []
        while not any("WATCHDOG=1" in m for m in messages):
            messages.append(sock.recv(4096).decode())
        assert any("READY=1" in m for m in messages), messages
        assert messages.index(next(m for m in messages if "READY=1" in m)) < \
            messages.index(next(m for m in messages if "WATCHDOG=1" in m))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        daemon.stop()
        sock.close()


def test_interactive_authorization_flag_reaches_polkit(cryptburnd, cb, tmp_path):
    """polkit may ask for a password only when the caller said it can wait
    for one (ALLOW_INTERACTIVE_AUTHORIZATION)."""
    tree = make_tree(tmp_path / "tree")
    bus = cryptburnd.bus

    def last_flags():
        calls = bus.call("org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
                         "org.freedesktop.DBus.Mock", "GetMethodCalls",
                         "('CheckAuthorization',)")["reply"]
        # (subject, action, details, flags, cancellation id): the flags
        # follow the details dict
        return calls.rsplit("<uint32 ", 1)[1].split(">", 1)[0]

    for interactive, flags in ((False, "0"), (True, "1")):
        spec = burn_spec(cryptburnd, "disc0", [tree], passfile=cb.passfile,
                         interactive=interactive)
        _, done = cryptburnd.submit("BurnFiles", spec)
        assert done["completed"][0], done
        assert last_flags() == flags


def test_sigterm_mid_burn_stops_cleanly(system_bus, polkitd_mock, cb, burn_tree, tmp_path):
    """systemd stopping the service mid-burn: the job is cancelled, the
    reader killed, the drive released, and the daemon exits 0 at once."""
    from daemon_fixtures import ACTIONS, Daemon
    daemon = Daemon(system_bus, tmp_path)
    daemon.allow(ACTIONS)
    daemon.start()
    proc, first = daemon.submit_async(
        "BurnFiles", burn_spec(daemon, "disc0", [burn_tree], passfile=cb.passfile, options=SLOW))
    daemon.wait_state(first["job"], ["running"])
    deadline = time.monotonic() + 30
    while "'writing'" not in daemon.get(first["job"], JOB_IFACE, "Phase"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # this daemon's reader, if it still runs (a small tree may be read
    # whole into the buffers by now); other tests may run at the same time
    children = subprocess.run(["pgrep", "-P", str(daemon.proc.pid), "-f", "cryptburn-reader"],
                              stdout=subprocess.PIPE).stdout.split()
    t0 = time.monotonic()
    daemon.stop()
    assert time.monotonic() - t0 < 10
    assert not system_bus.has_owner("org.cryptburn.CryptBurn1")
    proc.kill()
    proc.wait()
    left = [pid for pid in children if os.path.exists("/proc/%s" % pid.decode())
            and b"cryptburn-reader" in Path("/proc/%s/cmdline" % pid.decode()).read_bytes()]
    assert left == [], left


@pytest.mark.parametrize("line, key", [
    ("IdleTimeout=abc", "IdleTimeout"),
    ("AgentTimeout=0", "AgentTimeout"),
    ("FifoMiB=4096", "FifoMiB"),
    ("FifoMiB=-1", "FifoMiB"),
])
def test_daemon_config_refuses_bad_numbers(tmp_path, line, key):
    """cryptburnd.conf: a number that is not one, or out of its range, stops
    the service with the file and key named, rather than becoming 0."""
    from daemon_fixtures import build_dir
    conf = tmp_path / "cryptburnd.conf"
    conf.write_text("[Daemon]\n%s\n" % line)
    conf.chmod(0o600)
    proc = subprocess.run([str(build_dir() / "daemon" / "cryptburnd"), "--config", str(conf)],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    assert proc.returncode == 2, proc
    assert ("%s: %s:" % (conf, key)) in proc.stderr.decode(), proc.stderr
