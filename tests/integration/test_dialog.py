# SPDX-License-Identifier: GPL-3.0-or-later
"""cryptburn-dialog end to end: the dialog on a private X server (Xvfb)
and a private session bus, the real cryptburnd on the private system bus
with a stdio test drive. The test drives the dialog through its
GApplication actions (org.gtk.Actions on the session bus), gives it the
passphrase with --passphrase-fd, takes screenshots of the setup and the
result, and checks the disc with cryptsetup and xorriso."""

import time

import cbtest
from daemon_fixtures import JOB_IFACE
from dialog_fixtures import (  # noqa: F401 (fixtures)
    TIMEOUT,
    artifacts_dir,
    make_folder,
    running_dialog,
    screenshot,
    session_bus,
    start_burn,
    xserver,
)
from gi.repository import GLib


def test_dialog_burns_an_encrypted_disc(cryptburnd, cb, tmp_path, xserver, session_bus):
    folder = make_folder(tmp_path / "Tax papers")
    artifacts = artifacts_dir()
    with running_dialog(cryptburnd, xserver, session_bus, folder,
                        tmp_path / "dialog.log") as dialog:
        time.sleep(1.0)
        dialog.action("select-drive", GLib.Variant("s", cryptburnd.drive_paths["disc0"]))
        screenshot(xserver, artifacts / "dialog-setup.png")
        # the window is made just after the name is owned, and fills its
        # drive list from the service: press Burn until the drive is busy
        job = start_burn(dialog, cryptburnd, "disc0")
        # the progress page is caught in test_dialog_flows.py, on a drive
        # slow enough for it: this one writes the disc in a moment
        state = cryptburnd.wait_state(job, ["succeeded", "failed", "cancelled"],
                                      timeout=TIMEOUT * 2)
        assert "'succeeded'" in state, "%s: %s" % (
            state, cryptburnd.call(job, JOB_IFACE, "GetError", "(@a{sv} {},)"))
        time.sleep(1.0)
        screenshot(xserver, artifacts / "dialog-finished.png")
        dialog.assert_alive()
        dialog.quit()

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
