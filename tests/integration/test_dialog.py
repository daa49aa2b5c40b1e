# SPDX-License-Identifier: GPL-3.0-or-later
"""cryptburn-dialog end to end: the dialog on a private X server (Xvfb)
and a private session bus, the real cryptburnd on the private system bus
with a stdio test drive. The test drives the dialog through its
GApplication actions (org.gtk.Actions on the session bus), gives it the
passphrase with --passphrase-fd, takes screenshots of the setup and the
result, and checks the disc with cryptsetup and xorriso."""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import cbtest
from daemon_fixtures import JOB_IFACE
from dialog_fixtures import (  # noqa: F401 (fixtures)
    TIMEOUT,
    Dialog,
    artifacts_dir,
    dialog_binary,
    job_of,
    make_folder,
    screenshot,
    session_bus,
    xserver,
)
from gi.repository import GLib


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

        # the progress page is caught in test_dialog_flows.py, on a drive
        # slow enough for it: this one writes the disc in a moment
        state = cryptburnd.wait_state(job, ["succeeded", "failed", "cancelled"],
                                      timeout=TIMEOUT * 2)
        assert "'succeeded'" in state, "%s: %s" % (
            state, cryptburnd.get(job, JOB_IFACE, "ErrorMessage"))
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
