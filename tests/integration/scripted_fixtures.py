# SPDX-License-Identifier: GPL-3.0-or-later
"""cryptburnd on scripted drives: the tests' daemon cryptburnd-scripted
(tests/backend/), on the private system bus of dbus_fixtures with
python-dbusmock's polkitd, as daemon_fixtures runs cryptburnd. Its drives
are directories a test changes to play what a file cannot show: no disc,
a disc put in or taken out, a full, rewritable, unformatted or too small
disc, the next blank disc for another copy (scripted_drive.py).

Fixture:
  scripted_daemon   a running daemon with two scripted drives, drive0 and
                    drive1 (objects .../drives/test0 and test1), both empty;
                    see ScriptedDaemon

Helpers: ScriptedDaemon.job_props / wait_job_props (a Job's properties,
polled until they hold), Lines (a child's output read by a thread, to wait
for a line).

A test that needs other daemon options makes its own fixture:
    with running_scripted_daemon(system_bus, "--test-corrupt-after-write", "17") as d:
"""

import os
import queue
import threading
import time

import pytest

from daemon_fixtures import (  # noqa: E402
    AGENT_TIMEOUT_S, DRIVE_IFACE, JOB_IFACE, ROOT_PATH, Daemon, build_dir, running_daemon)
from dbus_fixtures import TIMEOUT, _gio  # noqa: E402
from scripted_drive import ScriptedDrive  # noqa: E402

SCRIPTED_DRIVES = ("drive0", "drive1")


def scripted_binary():
    return build_dir() / "tests" / "backend" / "cryptburnd-scripted"


def unpack(text):
    """busclient's printed reply, "(<'dvd_plus_r'>,)", as Python values."""
    _, GLib = _gio()
    return GLib.Variant.parse(None, text, None, None).unpack()


class ScriptedDaemon(Daemon):
    """Daemon (daemon_fixtures) on scripted drives:

      drives[name]        ScriptedDrive, its directory
      drive_paths[name]   its D-Bus object path
      props(name)         the Drive properties, as a dict
      wait_drive(name, **expected)   polls until they hold, or fails
      job_props(job) / wait_job_props(job, **expected)   the same for a Job
      blank(name, options) / eject(name, options)
    Options are given as for busclient: {NAME: [SIGNATURE, VALUE]}.
    """

    def __init__(self, bus, workdir, names=SCRIPTED_DRIVES):
        super().__init__(bus, workdir)
        self.drives = {name: ScriptedDrive(workdir / name) for name in names}
        self.drive_paths = {
            name: "%s/drives/test%d" % (ROOT_PATH, i) for i, name in enumerate(names)
        }
        # daemon_fixtures' stdio drives are not ours
        self.drive_files = {}

    def start(self, *extra):
        binary = scripted_binary()
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            pytest.fail("no %s: build first (ninja -C %s)" % (binary, build_dir()))
        build = build_dir()
        cmd = [str(binary), "--idle-timeout", "0",
               "--reader", str(build / "daemon" / "cryptburn-reader"),
               "--agent-timeout", str(AGENT_TIMEOUT_S)]
        for drive in self.drives.values():
            cmd += ["--test-drive", str(drive.dir)]
        cmd += list(extra)
        self.proc = self.bus.spawn_process(cmd)
        self.bus.wait_for_name("org.cryptburn.CryptBurn1", self.proc)

    def props(self, name):
        reply = self.call(self.drive_paths[name], "org.freedesktop.DBus.Properties", "GetAll",
                          "('%s',)" % DRIVE_IFACE)
        assert "reply" in reply, reply
        return unpack(reply["reply"])[0]

    def wait_drive(self, name, timeout=TIMEOUT, **expected):
        """Polls the Drive properties until each of expected
        (MediaPresent=True, ...) holds; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            props = self.props(name)
            if all(props.get(k) == v for k, v in expected.items()):
                return props
            if time.monotonic() > deadline:
                raise AssertionError("drive %s never had %r; it has %r" % (name, expected, props))
            time.sleep(0.05)

    def job_props(self, job):
        """The Job properties of job (a path), as a dict."""
        reply = self.call(job, "org.freedesktop.DBus.Properties", "GetAll",
                          "('%s',)" % JOB_IFACE)
        assert "reply" in reply, reply
        return unpack(reply["reply"])[0]

    def wait_job_props(self, job, timeout=TIMEOUT, **expected):
        """Polls the Job properties until each of expected holds (a value,
        or a callable taking the value and returning whether it does);
        returns them. Fails at once if the job ended meanwhile, unless its
        State is what is expected."""
        deadline = time.monotonic() + timeout

        def holds(props):
            for k, v in expected.items():
                got = props.get(k)
                if not (v(got) if callable(v) else got == v):
                    return False
            return True

        while True:
            props = self.job_props(job)
            if holds(props):
                return props
            if props.get("State") in ("succeeded", "failed", "cancelled"):
                raise AssertionError("job %s ended without %r: %r\n%s" % (
                    job, expected, props, self.log()))
            if time.monotonic() > deadline:
                raise AssertionError("job %s never had %r; it has %r" % (job, expected, props))
            time.sleep(0.05)

    def _drive_call(self, name, method, options):
        _, GLib = _gio()
        options = {k: GLib.Variant(sig, v) for k, (sig, v) in (options or {}).items()}
        text = "(%s,)" % GLib.Variant("a{sv}", options).print_(True)
        return self.call(self.drive_paths[name], DRIVE_IFACE, method, text)

    def blank(self, name, options=None):
        """Drive.Blank: (job path, Completed's [success, error, message]),
        or (None, the call's error)."""
        reply = self._drive_call(name, "Blank", options)
        if "reply" not in reply:
            return None, reply
        job = unpack(reply["reply"])[0]
        return job, self.wait_job(job)["completed"]

    def eject(self, name, options=None):
        """Drive.Eject: {"reply": ...} or {"error": ..., "message": ...}."""
        return self._drive_call(name, "Eject", options)


class Lines:
    """A stream's lines, read by a thread, to wait for one."""

    def __init__(self, stream):
        self.seen = []
        self._queue = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in iter(stream.readline, b""):
            self._queue.put(line.decode("utf-8", "replace").rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, predicate, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("no such line within %ss; saw %r" % (timeout, self.seen))
            if line is None:
                raise AssertionError("the stream ended; saw %r" % self.seen)
            self.seen.append(line)
            if predicate(line):
                return line

    def rest(self, timeout=TIMEOUT):
        self._thread.join(timeout)
        while True:
            line = self._queue.get_nowait() if not self._queue.empty() else None
            if line is None:
                return self.seen
            self.seen.append(line)


def running_scripted_daemon(bus, *extra, names=SCRIPTED_DRIVES):
    return running_daemon(bus, *extra, prefix="cryptburnd-scripted-",
                          make=lambda bus, workdir: ScriptedDaemon(bus, workdir, names))


@pytest.fixture
def scripted_daemon(system_bus, polkitd_mock):
    with running_scripted_daemon(system_bus) as daemon:
        yield daemon
