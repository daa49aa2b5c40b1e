# SPDX-License-Identifier: GPL-3.0-or-later
"""What the cryptburn-dialog tests (test_dialog.py, test_dialog_flows.py)
share: a private X server (Xvfb) and session bus, the dialog started on
them with the passphrase on --passphrase-fd, its GApplication actions
(org.gtk.Actions on the session bus), screenshots, and for the flows:

Fixtures:
  xserver        Xvfb; its DISPLAY
  session_bus    a private session bus; its address
  a11y_bus       at-spi-bus-launcher on that session bus (and the X
                 server): the accessibility bus GTK and AT-SPI clients use
  notifications  python-dbusmock's notification_daemon on the session bus;
                 see Notifications

Helpers: running_dialog (the dialog on a daemon's bus, as a Dialog),
A11y (the dialog's accessibles through AT-SPI, from atspi_client.py),
jobs / start_burn (the daemon's jobs, and a burn started by the dialog).
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

import cbtest
import pytest
from daemon_fixtures import JOB_IFACE, ROOT_PATH, build_dir
from dbus_fixtures import PYTHON
from gi.repository import Gio, GLib

HERE = Path(__file__).resolve().parent
APP_ID = "org.cryptburn.Dialog"
APP_PATH = "/org/cryptburn/Dialog"
TIMEOUT = 60
AT_SPI_BUS_LAUNCHER = "/usr/libexec/at-spi-bus-launcher"
NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
MOCK_IFACE = "org.freedesktop.DBus.Mock"


def dialog_binary():
    path = build_dir() / "dialog" / "cryptburn-dialog"
    if not path.is_file():
        pytest.skip("cryptburn-dialog was not built (meson option dialog)")
    return path


def artifacts_dir():
    d = Path(os.environ.get("CRYPTBURN_ARTIFACTS") or build_dir() / "test-artifacts")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _read_line(proc, what):
    ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT)
    line = proc.stdout.readline().decode().strip() if ready else ""
    assert line, "%s did not start" % what
    return line


def connect(address):
    return Gio.DBusConnection.new_for_address_sync(
        address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
        | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)


def has_owner(conn, name):
    reply = conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "NameHasOwner",
                           GLib.Variant("(s)", (name,)), None,
                           Gio.DBusCallFlags.NONE, -1, None)
    return reply.unpack()[0]


def wait_for_owner(conn, name, proc, what):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, "%s exited %d" % (what, proc.returncode)
        if has_owner(conn, name):
            return
        time.sleep(0.1)
    raise AssertionError("%s never owned %s" % (what, name))


def poll(check, what, timeout=TIMEOUT, interval=0.1):
    """cbtest.poll with the dialog tests' default timeout."""
    return cbtest.poll(check, what, timeout, interval)


def _stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def xserver():
    for tool in ("Xvfb", "xwd", "convert"):
        if shutil.which(tool) is None:
            pytest.skip("the dialog test needs %s" % tool)
    proc = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", "800x760x24",
                             "-nolisten", "tcp"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        yield ":" + _read_line(proc, "Xvfb")
    finally:
        proc.terminate()
        proc.wait()


@pytest.fixture
def session_bus():
    proc = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        yield _read_line(proc, "the session bus")
    finally:
        proc.terminate()
        proc.wait()


@pytest.fixture
def a11y_bus(session_bus, xserver, tmp_path):
    """The accessibility bus of session_bus, as a desktop session has it:
    at-spi-bus-launcher owns org.a11y.Bus and runs the bus (and, on
    demand, at-spi2-registryd on it)."""
    if not os.access(AT_SPI_BUS_LAUNCHER, os.X_OK):
        pytest.skip("the AT-SPI dialog tests need %s (at-spi2-core)" % AT_SPI_BUS_LAUNCHER)
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=session_bus, DISPLAY=xserver)
    env.pop("AT_SPI_BUS_ADDRESS", None)
    log = open(tmp_path / "at-spi-bus-launcher.log", "w+b")
    proc = subprocess.Popen([AT_SPI_BUS_LAUNCHER, "--launch-immediately"], env=env,
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    conn = connect(session_bus)
    try:
        wait_for_owner(conn, "org.a11y.Bus", proc, "at-spi-bus-launcher")
        yield session_bus
    finally:
        conn.close_sync(None)
        _stop(proc)
        log.close()


class Notifications:
    """python-dbusmock's notification_daemon: what it was sent, and its
    signals sent on demand."""

    def __init__(self, proc, address):
        self.proc = proc
        self.conn = connect(address)

    def _mock(self, method, params):
        return self.conn.call_sync(NOTIFICATIONS, NOTIFICATIONS_PATH, MOCK_IFACE, method, params,
                                   None, Gio.DBusCallFlags.NONE, -1, None)

    def notified(self):
        """The Notify calls in order, as dicts (summary, body, actions as
        {key: label}, hints, replaces_id) with the id each was given:
        the template gives replaces_id back, or else 1, 2, 3..."""
        calls = self._mock("GetCalls", None).unpack()[0]
        result = []
        next_id = 1
        for _, method, args in calls:
            if method != "Notify":
                continue
            _, replaces_id, _, summary, body, actions, hints, _ = args
            if replaces_id:
                given = replaces_id
            else:
                given = next_id
                next_id += 1
            result.append({"id": given, "replaces_id": replaces_id, "summary": summary,
                           "body": body, "actions": dict(zip(actions[::2], actions[1::2])),
                           "hints": hints})
        return result

    def invoke(self, notify_id, action):
        """What a notification server sends when its user presses a button."""
        self._mock("EmitSignal", GLib.Variant("(sssav)", (
            NOTIFICATIONS, "ActionInvoked", "us",
            [GLib.Variant("u", notify_id), GLib.Variant("s", action)])))


@pytest.fixture
def notifications(session_bus, tmp_path):
    log = open(tmp_path / "notification-daemon.log", "w+b")
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=session_bus)
    proc = subprocess.Popen([PYTHON, "-m", "dbusmock", "--template", "notification_daemon"],
                            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    server = None
    try:
        server = Notifications(proc, session_bus)
        wait_for_owner(server.conn, NOTIFICATIONS, proc, "the notification daemon mock")
        yield server
    finally:
        if server is not None:
            server.conn.close_sync(None)
        _stop(proc)
        log.close()


class Dialog:
    def __init__(self, proc, address, log):
        self.proc = proc
        self.log = log
        self.conn = connect(address)

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def has_name(self):
        return has_owner(self.conn, APP_ID)

    def wait_ready(self):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "cryptburn-dialog exited:\n" + self.output()
            if self.has_name():
                return
            time.sleep(0.1)
        raise AssertionError("cryptburn-dialog never owned %s:\n%s" % (APP_ID, self.output()))

    def action(self, name, param=None):
        params = [param] if param is not None else []
        self.conn.call_sync(APP_ID, APP_PATH, "org.gtk.Actions", "Activate",
                            GLib.Variant("(sava{sv})", (name, params, {})), None,
                            Gio.DBusCallFlags.NONE, -1, None)

    def assert_alive(self):
        assert self.proc.poll() is None, "cryptburn-dialog exited %d:\n%s" % (
            self.proc.returncode, self.output())
        assert self.has_name(), "cryptburn-dialog left the session bus:\n" + self.output()

    def quit(self):
        """The quit action, which closes the window: with no burn running
        the dialog ends, cleanly and without GLib's complaints."""
        self.action("quit")
        self.proc.wait(timeout=TIMEOUT)
        assert self.proc.returncode == 0, self.output()
        for bad in ("-CRITICAL", "-WARNING **"):
            assert bad not in self.output(), self.output()


def screenshot(display, path, window=None):
    """The screen, or only the window of that title (without a window
    manager a transient dialog is not kept above its parent)."""
    which = ["-root"] if window is None else ["-name", window]
    xwd = subprocess.run(["xwd", *which, "-silent", "-display", display],
                         stdout=subprocess.PIPE, check=True)
    subprocess.run(["convert", "xwd:-", "png:" + str(path)], input=xwd.stdout, check=True)
    assert path.stat().st_size > 0
    return path


def make_folder(root):
    root.mkdir(parents=True)
    (root / "notes.txt").write_text("tax 2025\n")
    (root / "sub").mkdir()
    (root / "sub" / "photo.bin").write_bytes(os.urandom(256 * 1024))
    # big enough for the progress to be seen for a moment
    with open(root / "big.bin", "wb") as f:
        for _ in range(64):
            f.write(os.urandom(1024 * 1024))
    return root


# ---- the flows: a dialog on a daemon, jobs, AT-SPI ------------------------


@contextlib.contextmanager
def running_dialog(daemon, xserver, session_bus, folder, log_path, a11y=False):
    """cryptburn-dialog FOLDER on daemon's system bus, the passphrase
    (cbtest.PASSPHRASE) on --passphrase-fd, owning its name; a Dialog.
    a11y: with GTK's AT-SPI backend (the a11y_bus fixture must run),
    else GTK_A11Y=none as test_dialog.py has it. Killed at the end unless
    the test ended it."""
    env = daemon.bus.env()
    runtime = Path(tempfile.mkdtemp(prefix="cryptburn-dialog-", dir="/tmp"))
    os.chmod(runtime, 0o700)
    env.update({
        "DISPLAY": xserver,
        "DBUS_SESSION_BUS_ADDRESS": session_bus,
        "GDK_BACKEND": "x11",
        # the same drawing whatever graphics drivers the machine has: GTK
        # 4.8 on X11 makes a GL context at start to choose its visual even
        # with the cairo renderer, which loads Mesa where it is installed
        # (and LeakSanitizer then finds Mesa's own allocations); with GL
        # and Vulkan disabled GTK opens no driver at all
        "GSK_RENDERER": "cairo",
        "GDK_DEBUG": "gl-disable,vulkan-disable",
        "XDG_RUNTIME_DIR": str(runtime),
        "GSETTINGS_BACKEND": "memory",
        # outside flatpak GLib would pick it anyway (no org.gtk.Notifications
        # on this bus): org.freedesktop.Notifications, the notifications fixture
        "GNOTIFICATION_BACKEND": "freedesktop",
    })
    for name in ("GTK_A11Y", "AT_SPI_BUS_ADDRESS", "GTK_USE_PORTAL"):
        env.pop(name, None)
    if not a11y:
        env["GTK_A11Y"] = "none"
    read_end, write_end = os.pipe()
    os.write(write_end, cbtest.PASSPHRASE.encode() + b"\n")
    os.close(write_end)
    log = open(log_path, "w+b")
    proc = subprocess.Popen(
        [str(dialog_binary()), "--passphrase-fd", str(read_end), "--pbkdf-force-iterations",
         "4", "--pbkdf-memory", "32768", str(folder)],
        env=env, pass_fds=(read_end,), stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    os.close(read_end)
    dialog = Dialog(proc, session_bus, log)
    # for a second start, as a file manager would make one
    dialog.env = env
    try:
        dialog.wait_ready()
        yield dialog
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        dialog.conn.close_sync(None)
        log.close()
        shutil.rmtree(runtime, ignore_errors=True)


def jobs(daemon):
    """The paths of the daemon's jobs, running or ended a moment ago."""
    reply = daemon.call(ROOT_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                        "()")
    assert "reply" in reply, reply
    objects = GLib.Variant.parse(None, reply["reply"], None, None).unpack()[0]
    return sorted(path for path, ifaces in objects.items() if JOB_IFACE in ifaces)


def press_until_job(daemon, press, what):
    """Calls press() until the daemon has a new job (a press may do nothing
    while the window is still finding its drives); returns its path."""
    before = jobs(daemon)

    def pressed():
        press()
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            new = [j for j in jobs(daemon) if j not in before]
            if new:
                return new
            time.sleep(0.1)
        return None

    new = poll(pressed, what, interval=0)
    assert len(new) == 1, new
    return new[0]


def start_burn(dialog, daemon, drive):
    """Presses Burn through the burn action, with drive selected, until
    the daemon has a new job; returns its path. The window is made just
    after the dialog owns its name and fills its drive list from the
    daemon: until then the action does nothing (and while a burn starts)."""

    def press():
        dialog.assert_alive()
        dialog.action("select-drive", GLib.Variant("s", daemon.drive_paths[drive]))
        dialog.action("burn")

    return press_until_job(daemon, press, lambda: "the dialog started no burn:\n" + dialog.output())


def label(node):
    """What a control says: its accessible name without the mnemonic's
    underscore. GTK 4.8 names a button made with a mnemonic label from
    the label property and its label child both ("_Burn Burn"): one half."""
    name = node["name"].replace("_", "")
    half = len(name) // 2
    if len(name) % 2 == 1 and name[half] == " " and name[:half] == name[half + 1:]:
        return name[:half]
    return name


class A11y:
    """The dialog's accessibles, through atspi_client.py on the a11y_bus."""

    def __init__(self, dialog, xserver, session_bus, log_path):
        self.dialog = dialog
        env = dict(os.environ, DISPLAY=xserver, DBUS_SESSION_BUS_ADDRESS=session_bus)
        env.pop("AT_SPI_BUS_ADDRESS", None)
        self.log = open(log_path, "w+b")
        self.proc = subprocess.Popen(
            [PYTHON, str(HERE / "atspi_client.py"), str(dialog.proc.pid)], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        self.last = []
        self.error = None
        # how long each walk of the tree took, for a test that failed
        self.seconds = []

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.log.close()

    def errors(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def _ask(self, command):
        self.proc.stdin.write((json.dumps(command) + "\n").encode())
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        line = self.proc.stdout.readline() if ready else b""
        if not line:
            self.proc.kill()
            raise AssertionError("atspi_client.py did not answer %r: %s" % (
                command, self.errors()))
        return json.loads(line)

    def tree(self):
        """The accessibles now, or [] while the dialog is not on the bus."""
        reply = self._ask({"op": "tree"})
        self.last = reply.get("nodes", [])
        self.error = reply.get("error")
        self.seconds.append(reply.get("seconds"))
        return self.last

    def dump(self):
        if self.error:
            return self.error
        return "walks took %r s\n" % self.seconds[-10:] + "\n".join("%s%s %r%s%s" % (
            "  " * len(n["path"]), n["role"], n["name"],
            " text=%r" % n["text"] if n["text"] is not None and n["text"] != n["name"] else "",
            " [%s]" % ",".join(n["states"])) for n in self.last)

    def wait(self, check, what, timeout=TIMEOUT):
        """check(accessibles) until it is true; returns its value."""
        def once():
            self.dialog.assert_alive()
            return check(self.tree())
        return poll(once, lambda: "%s; the accessibles:\n%s" % (what, self.dump()),
                    timeout=timeout, interval=0.2)

    def press(self, node, action="click"):
        reply = self._ask({"op": "do", "path": node["path"], "role": node["role"],
                           "name": node["name"], "action": action})
        assert reply.get("done") is True, (reply, node)


def find(nodes, role=None, text=None, name=None, states=()):
    """The accessibles of role whose label(), or Text, is text (or whose
    name contains name), and which have all of states."""
    return [n for n in nodes
            if (role is None or n["role"] == role)
            and (text is None or label(n) == text or n["text"] == text)
            and (name is None or name in n["name"])
            and all(s in n["states"] for s in states)]


def texts(nodes):
    """The texts the labels show."""
    return [n["text"] for n in nodes if n["role"] == "label" and n["text"]]
