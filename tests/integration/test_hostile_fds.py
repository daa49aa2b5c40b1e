# SPDX-License-Identifier: GPL-3.0-or-later
"""A client that hands cryptburnd a pipe and then neither writes nor reads
its other end, or asks for a key derivation that takes long, must not hold
the job, the drive or the service: Cancel ends the job as cancelled within
CANCEL_S and releases the drive, SIGTERM stops the daemon within STOP_S.

The client here is this test process itself, on the private bus through
GIO, so that it keeps its end of every pipe open for as long as it likes.
test_cancel_latency_per_phase prints how long Cancel took in each phase
(pytest -s) and writes the figures to cancel-latency.json in its tmp_path.
"""

import json
import os
import signal
import time

import cbtest
import gi
import pytest
from busclient import AGENT_XML
from daemon_fixtures import ERROR, FAST_KDF, JOB_IFACE, DRIVE_IFACE

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

BUS_NAME = "org.cryptburn.CryptBurn1"
MANAGER = "/org/cryptburn/CryptBurn1/Manager"
MANAGER_IFACE = "org.cryptburn.CryptBurn1.Manager"
AGENT_PATH = "/org/cryptburn/test/hostile_agent"
CANCEL_S = 2.0
STOP_S = 5.0
# how long a job is left stuck before it is cancelled: long enough to be
# sure it waits, not in a read it is about to finish
SETTLE_S = 1.0
# the largest PBKDF2 cost the service allows: about 15 s on this machine
LUKS1_MAX_ITERATIONS = 10000000
# libburn throttles a stdio drive to the requested speed (kB/s)
SLOW = {"speed": ["u", 4000]}


class Client:
    """One connection to the daemon, which keeps every fd it is told to."""

    def __init__(self, daemon):
        self.daemon = daemon
        flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
                 | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
        self.conn = Gio.DBusConnection.new_for_address_sync(
            daemon.bus.address, flags, None, None)
        self.keep = []

    def close(self):
        for fd in self.keep:
            os.close(fd)
        self.keep = []
        self.conn.close_sync(None)

    def idle_pipe(self, content=b""):
        """(read end, write end); both stay open until close()."""
        r, w = os.pipe()
        if content:
            os.write(w, content)
        self.keep += [r, w]
        return r, w

    def submit(self, method, stream_fd=None, sources=(), drive="disc0", passphrase_fd=None,
               agent=False, **options):
        """The job's path; stream_fd is BurnImage's image or WriteImage's
        output. The options are FAST_KDF's unless given otherwise."""
        fd_list = Gio.UnixFDList.new()
        stream = fd_list.append(stream_fd) if stream_fd is not None else -1
        merged = dict(FAST_KDF)
        merged.update(options)
        opts = {name: GLib.Variant(sig, value) for name, (sig, value) in merged.items()}
        if passphrase_fd is not None:
            opts["passphrase-fd"] = GLib.Variant("h", fd_list.append(passphrase_fd))
        if agent:
            opts["agent"] = GLib.Variant("o", AGENT_PATH)
        drive_path = self.daemon.drive_paths[drive]
        if method == "BurnFiles":
            params = GLib.Variant("(oasa{sv})", (drive_path, [str(s) for s in sources], opts))
        elif method == "BurnImage":
            params = GLib.Variant("(oha{sv})", (drive_path, stream, opts))
        else:
            params = GLib.Variant("(hasa{sv})", (stream, [str(s) for s in sources], opts))
        reply, _ = self.conn.call_with_unix_fd_list_sync(
            BUS_NAME, MANAGER, MANAGER_IFACE, method, params, GLib.VariantType("(o)"),
            Gio.DBusCallFlags.NONE, 30000, fd_list, None)
        return reply.unpack()[0]

    def get(self, path, iface, prop):
        reply = self.conn.call_sync(
            BUS_NAME, path, "org.freedesktop.DBus.Properties", "Get",
            GLib.Variant("(ss)", (iface, prop)), None, Gio.DBusCallFlags.NONE, 30000, None)
        return reply.unpack()[0]

    def error_message(self, job):
        """What Job.GetError tells the job's own uid."""
        reply = self.conn.call_sync(
            BUS_NAME, job, JOB_IFACE, "GetError", GLib.Variant("(a{sv})", ({},)),
            GLib.VariantType("(ss)"), Gio.DBusCallFlags.NONE, 30000, None)
        return reply.unpack()[1]

    def cancel(self, job):
        self.conn.call_sync(BUS_NAME, job, JOB_IFACE, "Cancel", GLib.Variant("(a{sv})", ({},)),
                            None, Gio.DBusCallFlags.NONE, 30000, None)

    def wait_for(self, job, prop, values, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.get(job, JOB_IFACE, prop)
            if value in values:
                return value
            # answers an agent call waiting on this connection, if any
            GLib.MainContext.default().iteration(False)
            time.sleep(0.02)
        raise AssertionError("job %s: %s never became one of %s (it is %r)"
                             % (job, prop, values, self.get(job, JOB_IFACE, prop)))

    def cancel_and_time(self, job):
        """Cancels; the seconds until State is cancelled, which it must be."""
        start = time.monotonic()
        self.cancel(job)
        state = self.wait_for(job, "State", ("cancelled", "failed", "succeeded"), timeout=30)
        elapsed = time.monotonic() - start
        assert state == "cancelled", (state, self.error_message(job))
        assert self.get(job, JOB_IFACE, "ErrorName") == ERROR + "Cancelled"
        return elapsed

    def drive_busy(self, drive="disc0"):
        return self.get(self.daemon.drive_paths[drive], DRIVE_IFACE, "Busy")

    def export_silent_agent(self):
        """A PassphraseAgent that takes every request and never answers."""
        info = Gio.DBusNodeInfo.new_for_xml(AGENT_XML).interfaces[0]
        pending = []

        def on_call(conn, sender, path, iface, method, params, invocation):
            if method == "Cancel":
                invocation.return_value(None)
            else:
                pending.append(invocation)

        self.conn.register_object(AGENT_PATH, info, on_call, None, None)
        return pending


@pytest.fixture
def client(cryptburnd):
    c = Client(cryptburnd)
    yield c
    c.close()


@pytest.fixture
def passfile(tmp_path):
    path = tmp_path / "passphrase"
    path.write_text(cbtest.PASSPHRASE + "\n")
    return path


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    (root / "notes.txt").write_text("tax 2025\n")
    (root / "data.bin").write_bytes(os.urandom(2 * 1024 * 1024))
    return root


def open_passfile(client, passfile):
    fd = os.open(passfile, os.O_RDONLY)
    client.keep.append(fd)
    return fd


# ---- the stuck jobs, one of each kind -----------------------------------


def stuck_burn_image(client, passfile, tree):
    """BurnImage of a pipe that never carries a byte: stuck finding its size."""
    r, _ = client.idle_pipe()
    return client.submit("BurnImage", r, passphrase_fd=open_passfile(client, passfile))


def stuck_burn_image_mid_stream(client, passfile, tree):
    """BurnImage of a pipe that stops after its first 64 KiB, the size given:
    stuck on the pipeline's thread while the drive waits for more."""
    r, _ = client.idle_pipe(b"\0" * 65536)
    return client.submit("BurnImage", r, passphrase_fd=open_passfile(client, passfile),
                         **{"image-size": ["t", 4 * 1024 * 1024]})


def stuck_passphrase(client, passfile, tree):
    """BurnFiles whose passphrase-fd is a pipe that never carries a line."""
    r, _ = client.idle_pipe()
    return client.submit("BurnFiles", sources=[tree], passphrase_fd=r)


def stuck_output(client, passfile, tree):
    """WriteImage into a pipe nobody reads: stuck once the pipe is full."""
    _, w = client.idle_pipe()
    return client.submit("WriteImage", w, sources=[tree],
                         passphrase_fd=open_passfile(client, passfile))


def stuck_derivation(client, passfile, tree):
    """BurnFiles with the largest PBKDF2 cost allowed: ~15 s inside
    libcryptsetup, which cannot be interrupted."""
    return client.submit("BurnFiles", sources=[tree], passphrase_fd=open_passfile(client, passfile),
                         format=["s", "luks1"],
                         **{"pbkdf-force-iterations": ["u", LUKS1_MAX_ITERATIONS]})


STUCK = {
    "burn-image-idle": (stuck_burn_image, "disc0"),
    "burn-image-mid-stream": (stuck_burn_image_mid_stream, "disc0"),
    "passphrase-fd-idle": (stuck_passphrase, "disc0"),
    "write-image-unread": (stuck_output, None),
    "long-derivation": (stuck_derivation, "disc0"),
}


def start_stuck(client, kind, passfile, tree):
    make, drive = STUCK[kind]
    job = make(client, passfile, tree)
    client.wait_for(job, "State", ("running",))
    time.sleep(SETTLE_S)
    # still stuck, not ended on its own
    assert client.get(job, JOB_IFACE, "State") == "running"
    if drive is not None:
        assert client.drive_busy(drive)
    return job, drive


@pytest.mark.parametrize("kind", sorted(STUCK))
def test_cancel_ends_a_stuck_job_and_frees_the_drive(cryptburnd, client, passfile, tree, kind):
    job, drive = start_stuck(client, kind, passfile, tree)
    elapsed = client.cancel_and_time(job)
    print("\ncancel of %s: %.3f s" % (kind, elapsed))
    assert elapsed < CANCEL_S, "%s: cancelled after %.2f s" % (kind, elapsed)
    if drive is not None:
        assert not client.drive_busy(drive)
    assert cryptburnd.alive()


def test_the_drive_takes_the_next_job_after_a_cancelled_derivation(cryptburnd, client,
                                                                   passfile, tree):
    job, _ = start_stuck(client, "long-derivation", passfile, tree)
    client.cancel_and_time(job)
    # the abandoned derivation still runs; the drive does not wait for it
    job = client.submit("BurnFiles", sources=[tree], passphrase_fd=open_passfile(client, passfile))
    state = client.wait_for(job, "State", ("succeeded", "failed", "cancelled"), timeout=60)
    assert state == "succeeded", client.error_message(job)


@pytest.mark.parametrize("kind", sorted(STUCK))
def test_sigterm_stops_the_service_with_a_stuck_job(cryptburnd, client, passfile, tree, kind):
    start_stuck(client, kind, passfile, tree)
    start = time.monotonic()
    cryptburnd.proc.send_signal(signal.SIGTERM)
    try:
        cryptburnd.proc.wait(timeout=STOP_S * 4)
    except Exception:
        raise AssertionError("cryptburnd still runs %.0f s after SIGTERM" % (STOP_S * 4))
    elapsed = time.monotonic() - start
    print("\nSIGTERM with %s: exited after %.3f s" % (kind, elapsed))
    assert elapsed < STOP_S, "%s: exited %.2f s after SIGTERM" % (kind, elapsed)
    # the fixture's stop() checks the exit status and the log


# ---- bounds on the key derivation ---------------------------------------


@pytest.mark.parametrize("fmt,iterations", [
    ("luks2", 4294967295),
    ("luks1", 4294967295),
    ("loop-aes", 4294967295),
    ("luks2", 11),
    ("luks2", 3),
    ("luks1", LUKS1_MAX_ITERATIONS + 1),
    ("luks1", 999),
])
def test_unbounded_iterations_are_refused(client, passfile, tree, fmt, iterations):
    with pytest.raises(GLib.Error) as e:
        client.submit("BurnFiles", sources=[tree], passphrase_fd=open_passfile(client, passfile),
                      format=["s", fmt], **{"pbkdf-force-iterations": ["u", iterations]})
    assert Gio.DBusError.get_remote_error(e.value) == ERROR + "InvalidOption"
    assert "pbkdf-force-iterations" in e.value.message
    assert not client.drive_busy()


@pytest.mark.parametrize("option,value", [("iter-time", 60001), ("pbkdf-memory", 4194305)])
def test_other_kdf_costs_are_bounded(client, passfile, tree, option, value):
    with pytest.raises(GLib.Error) as e:
        client.submit("BurnFiles", sources=[tree], passphrase_fd=open_passfile(client, passfile),
                      **{option: ["u", value]})
    assert Gio.DBusError.get_remote_error(e.value) == ERROR + "InvalidOption"
    assert option in e.value.message


# ---- how long Cancel takes, phase by phase ------------------------------


def wait_phase(client, job, phase, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get(job, JOB_IFACE, "Phase") == phase:
            return
        if client.get(job, JOB_IFACE, "State") in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.01)
    raise AssertionError("job %s never reached phase %s" % (job, phase))


def test_cancel_latency_per_phase(cryptburnd, client, passfile, tree, tmp_path):
    figures = {}
    big = tmp_path / "big"
    big.mkdir()
    for i in range(6):
        (big / ("random-%d.bin" % i)).write_bytes(os.urandom(8 * 1024 * 1024))

    # preparing: the reader has its size, the passphrase pipe is silent
    job, _ = start_stuck(client, "passphrase-fd-idle", passfile, tree)
    assert client.get(job, JOB_IFACE, "Phase") == "preparing"
    figures["preparing (passphrase-fd idle)"] = client.cancel_and_time(job)

    # preparing: inside the key derivation
    job, _ = start_stuck(client, "long-derivation", passfile, tree)
    figures["preparing (key derivation)"] = client.cancel_and_time(job)

    # waiting for the agent's answer
    client.export_silent_agent()
    job = client.submit("BurnFiles", sources=[tree], agent=True)
    client.wait_for(job, "State", ("waiting-for-passphrase",))
    figures["waiting-for-passphrase (agent silent)"] = client.cancel_and_time(job)

    # writing, to a drive throttled to 4 MB/s
    job = client.submit("BurnFiles", sources=[big], passphrase_fd=open_passfile(client, passfile),
                        **SLOW)
    wait_phase(client, job, "writing")
    time.sleep(0.5)
    figures["writing (BurnFiles)"] = client.cancel_and_time(job)

    # writing, from a client's pipe gone idle
    job, _ = start_stuck(client, "burn-image-mid-stream", passfile, tree)
    assert client.get(job, JOB_IFACE, "Phase") == "writing"
    figures["writing (BurnImage pipe idle)"] = client.cancel_and_time(job)

    # writing, into a client's output nobody reads
    job, _ = start_stuck(client, "write-image-unread", passfile, tree)
    assert client.get(job, JOB_IFACE, "Phase") == "writing"
    figures["writing (WriteImage output unread)"] = client.cancel_and_time(job)

    # verifying: reading back 300 MB, long enough for the phase to be
    # published (a few times a second) before it ends
    large = tmp_path / "large"
    large.mkdir()
    with open(large / "zeros.bin", "wb") as f:
        f.truncate(300 * 1024 * 1024)
    job = client.submit("BurnFiles", sources=[large],
                        passphrase_fd=open_passfile(client, passfile), drive="disc1")
    wait_phase(client, job, "verifying")
    figures["verifying"] = client.cancel_and_time(job)

    (tmp_path / "cancel-latency.json").write_text(json.dumps(figures, indent=1))
    print("\ncancel latency per phase (s):")
    for name, seconds in figures.items():
        print("  %-40s %.3f" % (name, seconds))
    slow = {name: s for name, s in figures.items() if s >= CANCEL_S}
    assert not slow, slow
    assert not client.drive_busy("disc0") and not client.drive_busy("disc1")
