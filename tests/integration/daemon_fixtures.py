# SPDX-License-Identifier: GPL-3.0-or-later
"""The real cryptburnd on the private system bus of dbus_fixtures, with
python-dbusmock's polkitd as polkit and stdio test drives writing files.

Fixture:
  cryptburnd   a running daemon; see Daemon for what a test can do with it
"""

import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from dbus_fixtures import PYTHON, TIMEOUT, NOBODY, _gio

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUSCLIENT = HERE / "busclient.py"
ROOT_PATH = "/org/cryptburn/CryptBurn1"
JOB_IFACE = "org.cryptburn.CryptBurn1.Job"
DRIVE_IFACE = "org.cryptburn.CryptBurn1.Drive"
ERROR = "org.cryptburn.CryptBurn1.Error."
ACTIONS = [
    "org.cryptburn.burn",
    "org.cryptburn.blank",
    "org.cryptburn.eject",
    "org.cryptburn.cancel-job-other-user",
]
# cheapest key stretching libcryptsetup accepts: the tests time nothing
FAST_KDF = {
    "pbkdf-force-iterations": ["u", 4],
    "pbkdf-memory": ["u", 32768],
}
AGENT_TIMEOUT_S = 3
# test drives: name -> emulated capacity
DRIVES = {"disc0": "512M", "disc1": "512M", "small": "2M"}


def build_dir():
    cryptburn = os.environ.get("CRYPTBURN")
    if cryptburn:
        return Path(cryptburn).resolve().parents[1]
    return REPO / "build"


class Daemon:
    def __init__(self, bus, workdir):
        self.bus = bus
        self.workdir = workdir
        self.proc = None
        self.drive_files = {name: workdir / (name + ".img") for name in DRIVES}
        self.drive_paths = {
            name: "%s/drives/test%d" % (ROOT_PATH, i) for i, name in enumerate(DRIVES)
        }

    def start(self, *extra):
        build = build_dir()
        cmd = [str(build / "daemon" / "cryptburnd"), "--idle-timeout", "0",
               "--reader", str(build / "daemon" / "cryptburn-reader"),
               "--agent-timeout", str(AGENT_TIMEOUT_S)]
        for name, size in DRIVES.items():
            cmd += ["--test-drive", "%s:%s" % (self.drive_files[name], size)]
        cmd += list(extra)
        self.proc = self.bus.spawn_process(cmd)
        self.bus.wait_for_name("org.cryptburn.CryptBurn1", self.proc)

    def log(self):
        self.proc.log.flush()
        self.proc.log.seek(0)
        return self.proc.log.read().decode("utf-8", "replace")

    def allow(self, actions):
        reply = self.bus.call(
            "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
            "org.freedesktop.DBus.Mock", "SetAllowed", "(@as %s,)" % json.dumps(actions),
        )
        assert "error" not in reply, reply

    def _cmd(self, args, user):
        prefix = NOBODY if user == "nobody" else []
        return prefix + [PYTHON, str(BUSCLIENT), self.bus.address] + args

    def run(self, *args, user="root", timeout=TIMEOUT * 4):
        """busclient.py ARGS to its end; returns its JSON lines."""
        proc = subprocess.run(self._cmd(list(args), user), env=self.bus.env(),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout)
        lines = [json.loads(x) for x in proc.stdout.decode().splitlines() if x.strip()]
        assert proc.returncode == 0 and lines, "busclient %r exited %d: %s\n%s" % (
            args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())
        return lines

    def submit(self, method, spec, user="root"):
        """Submits and waits for Completed: (job or error dict, completed dict)."""
        lines = self.run("submit", method, json.dumps(spec), user=user)
        return lines[0], (lines[1] if len(lines) > 1 else None)

    def submit_async(self, method, spec, user="root"):
        """Submits and returns (process, first line) while the job runs."""
        proc = subprocess.Popen(self._cmd(["submit", method, json.dumps(spec)], user),
                                env=self.bus.env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT)
        line = proc.stdout.readline() if ready else b""
        assert line, "busclient did not answer: %s" % proc.stderr.read().decode()
        return proc, json.loads(line)

    def call(self, path, iface, method, params=""):
        return self.run("call", path, iface, method, params)[0]

    def get(self, path, iface, prop):
        reply = self.call(path, "org.freedesktop.DBus.Properties", "Get",
                          "(%s, %s)" % (json.dumps(iface), json.dumps(prop)))
        assert "reply" in reply, reply
        return reply["reply"]

    def error_message(self, job):
        """What Job.GetError tells the job's uid (root here)."""
        reply = self.call(job, JOB_IFACE, "GetError", "(@a{sv} {},)")
        assert "reply" in reply, reply
        _, GLib = _gio()
        return GLib.Variant.parse(None, reply["reply"], None, None).unpack()[1]

    def wait_job(self, job):
        return self.run("watch", job)[0]

    def wait_state(self, job, states, timeout=TIMEOUT * 2):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.get(job, JOB_IFACE, "State")
            if any("'%s'" % s in state for s in states):
                return state
            time.sleep(0.05)
        raise AssertionError("job %s never reached %s" % (job, states))

    def alive(self):
        """Still running and answering on the bus."""
        if self.proc.poll() is not None:
            return False
        reply = self.call(ROOT_PATH + "/Manager", "org.freedesktop.DBus.Properties", "Get",
                          "('org.cryptburn.CryptBurn1.Manager', 'Version')")
        return "reply" in reply

    def stop(self):
        """SIGTERM, as systemd stops it: a clean exit, and nothing the
        sanitizers (in the ASan+UBSan pass) or GLib complained about."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("cryptburnd ignored SIGTERM:\n" + self.log())
        log = self.log()
        assert self.proc.returncode == 0, "cryptburnd exited %d:\n%s" % (
            self.proc.returncode, log)
        # this container has no udev: the one warning to expect
        lines = [x for x in log.splitlines() if "optical drives will not be found" not in x]
        for bad in ("Sanitizer", "runtime error", "-CRITICAL", "-WARNING **"):
            assert not any(bad in x for x in lines), "cryptburnd logged %r:\n%s" % (bad, log)


@contextlib.contextmanager
def running_daemon(bus, *extra, make=Daemon, prefix="cryptburnd-test-", allow=ACTIONS):
    """A daemon (made by make(bus, workdir)) started with extra arguments
    in a workdir of its own, stopped as systemd would, its workdir removed;
    allow: the actions dbusmock's polkitd allows, or None for another polkit."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(workdir, 0o755)
    daemon = make(bus, workdir)
    if allow is not None:
        daemon.allow(allow)
    daemon.start(*extra)
    try:
        yield daemon
        daemon.stop()
    finally:
        if daemon.proc is not None and daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def cryptburnd(system_bus, polkitd_mock):
    with running_daemon(system_bus) as daemon:
        yield daemon


@pytest.fixture
def start_daemon(system_bus, polkitd_mock):
    """start_daemon(*extra): cryptburnd with more arguments than the
    cryptburnd fixture's; any number of them, stopped at the end."""
    with contextlib.ExitStack() as daemons:
        yield lambda *extra: daemons.enter_context(running_daemon(system_bus, *extra))
