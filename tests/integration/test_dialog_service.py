# SPDX-License-Identifier: GPL-3.0-or-later
"""cryptburn-dialog and the life of its service and its callers, on
scripted drives, driven through AT-SPI as in test_dialog_flows.py:

- cryptburnd restarted while the window is open: the drive list goes and
  comes back, and a burn then works (the dialog's agent answers the new
  service, whose unique name differs);
- cryptburnd killed during a burn: the burn ends as failed, with a warning
  for write-once discs, and the dialog stays;
- a file manager that starts the dialog twice for one selection (Thunar
  starts a selection's folders and its files apart): the files of both
  starts are burned."""

import subprocess

import cbtest
from dialog_fixtures import (  # noqa: F401 (fixtures)
    a11y_bus,
    dialog_binary,
    find,
    session_bus,
    texts,
    xserver,
)
from dbus_fixtures import TIMEOUT
from scripted_drive import TINY_DVD_PLUS_R
from scripted_jobs import make_tree, passfile  # noqa: F401 (fixtures)
from test_dialog_flows import (
    accessible_dialog,
    assert_released,
    burn_until_writing,
    ended,
    insert_blank,
    press_burn,
)

KIB = 1024
UNREACHABLE = "The cryptburn service cannot be reached."


def burn_button(nodes, sensitive):
    """The Burn button, when it is (not) sensitive."""
    return [n for n in find(nodes, "push button", "Burn")
            if ("sensitive" in n["states"]) == sensitive]


def test_the_dialog_follows_a_restarted_service(scripted_daemon, xserver, a11y_bus, passfile,
                                                tmp_path):
    daemon = scripted_daemon
    drive = insert_blank(daemon, "drive0", TINY_DVD_PLUS_R)
    with accessible_dialog(daemon, xserver, a11y_bus, tmp_path) as (dialog, a11y):
        a11y.wait(lambda nodes: burn_button(nodes, True), "the window never found a drive")

        # stopped as systemd stops it, or as it stops itself when idle
        daemon.stop()
        said = a11y.wait(lambda nodes: UNREACHABLE in texts(nodes) and texts(nodes),
                         "the window does not say the service is gone")
        assert burn_button(a11y.last, False), a11y.dump()
        assert not any("Blank DVD+R" in t for t in said), said

        # there is no D-Bus activation on the test bus: the dialog asked for
        # it in vain, and follows the service once it is back
        daemon.start()
        a11y.wait(lambda nodes: burn_button(nodes, True) and UNREACHABLE not in texts(nodes),
                  "the window did not find the restarted service's drive")
        job = press_burn(a11y, daemon)
        props = ended(daemon, job)
        assert props["State"] == "succeeded", (props, daemon.log())
        a11y.wait(lambda nodes: "Disc ready" in texts(nodes),
                  "the window does not say the disc is ready")
        dialog.quit()
    assert cbtest.unlocks(drive.disc_image(), passfile) == 0


def test_a_burn_ends_when_the_service_dies(scripted_daemon, xserver, a11y_bus, tmp_path):
    daemon = scripted_daemon
    insert_blank(daemon, "drive0", TINY_DVD_PLUS_R, write_rate=32 * KIB)
    with accessible_dialog(daemon, xserver, a11y_bus, tmp_path) as (dialog, a11y):
        burn_until_writing(daemon, a11y)
        # a crash: no Completed signal, the name just leaves the bus
        daemon.proc.kill()
        daemon.proc.wait()
        said = a11y.wait(lambda nodes: "The burn failed" in texts(nodes) and texts(nodes),
                         "the window does not say that the burn ended")
        assert any(t.startswith("The cryptburn service stopped during the burn.")
                   for t in said), said
        # the result page's buttons, and no Cancel Burn for a job long gone
        assert not [n for n in find(a11y.last, "push button", "Cancel Burn")
                    if "showing" in n["states"]], a11y.dump()
        dialog.assert_alive()
        # a service started again finds the drive free
        daemon.start()
        assert_released(daemon, "drive0")
        dialog.quit()


def test_one_selection_started_twice_is_burned_whole(scripted_daemon, xserver, a11y_bus,
                                                     passfile, binaries, tmp_path):
    daemon = scripted_daemon
    drive = insert_blank(daemon, "drive0", TINY_DVD_PLUS_R)
    loose = tmp_path / "loose file.txt"
    loose.write_text("a file chosen beside the folder\n")
    with accessible_dialog(daemon, xserver, a11y_bus, tmp_path) as (dialog, a11y):
        # the second start, with the selection's files, hands them to the
        # running dialog and ends
        second = subprocess.run([str(dialog_binary()), str(loose)], env=dialog.env,
                                stdin=subprocess.DEVNULL, capture_output=True,
                                timeout=TIMEOUT)
        assert second.returncode == 0, second
        a11y.wait(lambda nodes: "Tax papers, loose file.txt" in texts(nodes),
                  "the window does not list the files of both starts")
        job = press_burn(a11y, daemon)
        props = ended(daemon, job)
        assert props["State"] == "succeeded", (props, daemon.log())
        dialog.quit()
    image = drive.disc_image()
    assert cbtest.unlocks(image, passfile) == 0
    iso = cbtest.decrypt(binaries[1], image, passfile, tmp_path / "plain.iso",
                         "luks2")
    listing = cbtest.run(["xorriso", "-indev", str(iso), "-find", "/", "-type", "f"],
                         check=True).stdout.decode()
    # both starts' sources: the folder's files and the loose one
    for name in ("notes.txt", "data.bin", "loose file.txt"):
        assert name in listing, listing
