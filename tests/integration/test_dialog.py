# SPDX-License-Identifier: GPL-3.0-or-later
"""cryptburn-dialog end to end: the dialog on a private X server (Xvfb)
and a private session bus, the real cryptburnd on the private system bus
with a stdio test drive. The test drives the dialog through its
GApplication actions (org.gtk.Actions on the session bus), gives it the
passphrase with --passphrase-fd, takes screenshots of the progress and the
result, and checks the disc with cryptsetup and xorriso."""

import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import cbtest
import pytest
from daemon_fixtures import DRIVE_IFACE, JOB_IFACE, build_dir
from gi.repository import Gio, GLib

APP_ID = "org.cryptburn.Dialog"
APP_PATH = "/org/cryptburn/Dialog"
TIMEOUT = 60


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


class Dialog:
    def __init__(self, proc, address, log):
        self.proc = proc
        self.log = log
        self.conn = Gio.DBusConnection.new_for_address_sync(
            address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
            | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def has_name(self):
        reply = self.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                    "org.freedesktop.DBus", "NameHasOwner",
                                    GLib.Variant("(s)", (APP_ID,)), None,
                                    Gio.DBusCallFlags.NONE, -1, None)
        return reply.unpack()[0]

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


def screenshot(display, path):
    xwd = subprocess.run(["xwd", "-root", "-silent", "-display", display],
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


def job_of(daemon, drive):
    value = daemon.get(daemon.drive_paths[drive], DRIVE_IFACE, "Job")
    # busclient prints GVariants as text: "(<objectpath '/...'>,)"
    start = value.find("'/")
    path = value[start + 1:value.index("'", start + 1)] if start >= 0 else "/"
    return None if path == "/" else path


def test_dialog_burns_an_encrypted_disc(cryptburnd, cb, tmp_path, xserver, session_bus):
    binary = dialog_binary()
    folder = make_folder(tmp_path / "Tax papers")
    artifacts = artifacts_dir()
    env = cryptburnd.bus.env()
    runtime = Path(tempfile.mkdtemp(prefix="cryptburn-dialog-", dir="/tmp"))
    os.chmod(runtime, 0o700)
    env.update({
        "DISPLAY": xserver,
        "DBUS_SESSION_BUS_ADDRESS": session_bus,
        "GDK_BACKEND": "x11",
        "GSK_RENDERER": "cairo",
        "GTK_A11Y": "none",
        "XDG_RUNTIME_DIR": str(runtime),
        "GSETTINGS_BACKEND": "memory",
    })
    read_end, write_end = os.pipe()
    os.write(write_end, cbtest.PASSPHRASE.encode() + b"\n")
    os.close(write_end)
    log = open(tmp_path / "dialog.log", "w+b")
    proc = subprocess.Popen(
        [str(binary), "--passphrase-fd", str(read_end), "--pbkdf-force-iterations", "4",
         "--pbkdf-memory", "32768", str(folder)],
        env=env, pass_fds=(read_end,), stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    os.close(read_end)
    dialog = Dialog(proc, session_bus, log)
    try:
        dialog.wait_ready()
        time.sleep(1.0)
        dialog.action("select-drive", GLib.Variant("s", cryptburnd.drive_paths["disc0"]))
        screenshot(xserver, artifacts / "dialog-setup.png")
        # the window is made just after the name is owned, and fills its
        # drive list from the service: press Burn until the drive is busy
        deadline = time.monotonic() + TIMEOUT
        job = None
        while job is None and time.monotonic() < deadline:
            dialog.action("select-drive", GLib.Variant("s", cryptburnd.drive_paths["disc0"]))
            dialog.action("burn")
            time.sleep(0.3)
            job = job_of(cryptburnd, "disc0")
        assert job is not None, "the dialog started no burn:\n" + dialog.output()

        # a screenshot while the disc is written or read back
        progress_png = None
        deadline = time.monotonic() + TIMEOUT * 2
        while time.monotonic() < deadline:
            state = cryptburnd.get(job, JOB_IFACE, "State")
            phase = cryptburnd.get(job, JOB_IFACE, "Phase")
            if "'running'" in state and ("'writing'" in phase or "'verifying'" in phase):
                progress_png = screenshot(xserver, artifacts / "dialog-progress.png")
                break
            if any(s in state for s in ("'succeeded'", "'failed'", "'cancelled'")):
                break
            time.sleep(0.05)
        state = cryptburnd.wait_state(job, ["succeeded", "failed", "cancelled"],
                                      timeout=TIMEOUT * 2)
        assert "'succeeded'" in state, "%s: %s" % (
            state, cryptburnd.get(job, JOB_IFACE, "ErrorMessage"))
        assert progress_png is not None, "the burn ended before a screenshot"
        time.sleep(1.0)
        screenshot(xserver, artifacts / "dialog-finished.png")
        assert proc.poll() is None, "cryptburn-dialog exited:\n" + dialog.output()
        dialog.action("quit")
        proc.wait(timeout=TIMEOUT)
        assert proc.returncode == 0, dialog.output()
        for bad in ("-CRITICAL", "-WARNING **"):
            assert bad not in dialog.output(), dialog.output()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(runtime, ignore_errors=True)

    disc = cryptburnd.drive_files["disc0"]
    dump = cbtest.luks_dump(disc)
    assert cbtest.dump_field(dump, "Version") == "2", dump
    assert cbtest.unlocks(disc, cb.passfile) == 0
    assert cbtest.unlocks(disc, cb.wrongfile) != 0
    iso = cbtest.decrypt(cb.xts_decrypt, disc, cb.passfile, tmp_path / "plain.iso", "luks2")
    listing = cbtest.run(["xorriso", "-indev", str(iso), "-find", "/", "-type", "f"],
                         check=True).stdout.decode()
    for name in ("/notes.txt", "/big.bin", "/sub/photo.bin"):
        assert "'%s'" % name in listing or name in listing, listing
    assert cbtest.pvd_info(iso)["Volume id"] == "Tax papers"
