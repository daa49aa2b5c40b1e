# SPDX-License-Identifier: GPL-3.0-or-later
"""cryptburn-dialog beyond a plain burn (test_dialog.py): on scripted
drives (cryptburnd-scripted, scripted_fixtures) that can be empty, slow or
failing, on a private X server and session bus (dialog_fixtures):

- with its window closed mid-burn the dialog follows the burn in desktop
  notifications (python-dbusmock's notification_daemon), the last one
  with an Eject button that ejects the disc;
- Cancel Burn while a write-once disc is written asks first: Keep Writing
  keeps the burn, Stop and Spoil the Disc cancels the job;
- without a disc the dialog says what the daemon waits for, and a disc put
  in lets the burn finish;
- a failed write is shown, and the drive is free again;
- the result page's Eject ejects the disc.

All but the first are driven like a person would, through AT-SPI
(at-spi-bus-launcher on the private session bus, atspi_client.py): the
buttons are found by their accessible names and pressed with their click
action, and what the dialog says is read from its labels. Screenshots go
to the artifacts directory (dialog_fixtures.artifacts_dir)."""

import contextlib
import time

import cbtest
from daemon_fixtures import ERROR, JOB_IFACE
from dialog_fixtures import (  # noqa: F401 (fixtures)
    APP_ID,
    A11y,
    a11y_bus,
    artifacts_dir,
    find,
    jobs,
    notifications,
    poll,
    press_until_job,
    running_dialog,
    screenshot,
    session_bus,
    start_burn,
    texts,
    xserver,
)
from dbus_fixtures import TIMEOUT
from gi.repository import GLib
from scripted_drive import TINY_DVD_PLUS_R
from scripted_jobs import NOTICE_S, make_tree, passfile, touching  # noqa: F401 (fixtures)

KIB = 1024
ENDED = ("succeeded", "failed", "cancelled")


def dialog_on(daemon, xserver, session_bus, tmp_path, a11y=False):
    folder = make_tree(tmp_path / "Tax papers")
    return running_dialog(daemon, xserver, session_bus, folder, tmp_path / "dialog.log",
                          a11y=a11y)


@contextlib.contextmanager
def accessible_dialog(daemon, xserver, a11y_bus, tmp_path):
    """The dialog with GTK's AT-SPI backend, and an AT-SPI client of it:
    (Dialog, A11y)."""
    with dialog_on(daemon, xserver, a11y_bus, tmp_path, a11y=True) as dialog:
        a11y = A11y(dialog, xserver, a11y_bus, tmp_path / "atspi-client.log")
        try:
            yield dialog, a11y
        finally:
            a11y.close()


def ended(daemon, job, timeout=TIMEOUT):
    """The job's properties once it ended."""
    return daemon.wait_job_props(job, timeout=timeout, State=lambda s: s in ENDED)


def assert_released(daemon, name):
    props = daemon.wait_drive(name, Busy=False)
    assert props["Job"] == "/", props


def assert_ejected(drive):
    """The disc went out of the tray, as an eject moves it: to out/."""
    poll(lambda: drive.out() and drive.tray() is None,
         lambda: "no disc ejected: events %r, tray %r, out %r" % (
             drive.events(), drive.tray(), drive.out()))
    assert "close eject" in drive.events(), drive.events()
    return drive.out()


def assert_unlocks(image, passfile):
    assert image is not None
    assert cbtest.unlocks(image, passfile) == 0


def press_burn(a11y, daemon):
    """Presses the Burn button once it can be pressed (the window has
    found the drive and has the passphrase); returns the job it started."""

    def press():
        burn = a11y.wait(lambda nodes: find(nodes, "push button", "Burn", states=["sensitive"]),
                         "no Burn button to press")[0]
        a11y.press(burn)

    return press_until_job(daemon, press,
                           lambda: "pressing Burn started no job:\n" + a11y.dialog.output())


def insert_blank(daemon, name, media, **tray):
    """A blank disc in drive name, once the daemon sees it there."""
    drive = daemon.drives[name]
    drive.insert(media, **tray)
    daemon.wait_drive(name, MediaStatus="blank")
    return drive


def burn_until_writing(daemon, a11y):
    """Presses Burn; returns the job once the daemon writes and the
    window says so."""
    job = press_burn(a11y, daemon)
    daemon.wait_job_props(job, State="running", Phase="writing")
    a11y.wait(lambda nodes: "Writing" in texts(nodes), "the window does not say Writing")
    return job


def beside(nodes, node):
    """The accessibles with the same parent as node."""
    return [n for n in nodes if n["path"][:-1] == node["path"][:-1]]


def window_of(nodes, node):
    """The accessibles of node's window."""
    return [n for n in nodes if n["path"][0] == node["path"][0]]


# ---- notifications -----------------------------------------------------------


def test_notifications_follow_a_burn_with_the_window_closed(
        scripted_daemon, xserver, session_bus, notifications, passfile, tmp_path):
    daemon = scripted_daemon
    # the image is about 1.3 MB: a few seconds of writing, for progress
    drive = insert_blank(daemon, "drive0", TINY_DVD_PLUS_R, write_rate=384 * KIB)
    with dialog_on(daemon, xserver, session_bus, tmp_path) as dialog:
        job = start_burn(dialog, daemon, "drive0")
        # closing the window neither stops the burn nor the dialog
        dialog.action("quit")
        props = ended(daemon, job)
        assert props["State"] == "succeeded", (props, daemon.log())
        dialog.assert_alive()

        def ready():
            sent = notifications.notified()
            return sent if sent and sent[-1]["summary"] == "Disc ready" else None

        sent = poll(ready, lambda: "no Disc ready notification: %r\n%s" % (
            notifications.notified(), dialog.output()))
        progress = sent[:-1]
        assert progress, sent
        percents = []
        for n in progress:
            assert n["summary"].startswith("Burning… ") and n["summary"].endswith("%"), n
            percents.append(int(n["summary"][len("Burning… "):-1]))
            assert n["actions"] == {} and n["body"] == "", n
        # each at least 5 % past the one before
        assert all(5 <= p <= 100 for p in percents), percents
        assert all(b - a >= 5 for a, b in zip(percents, percents[1:])), percents
        done = sent[-1]
        assert done["body"] == "", done
        assert done["actions"] == {"app.eject": "Eject"}, done
        for n in sent:
            assert n["hints"].get("desktop-entry") == APP_ID, n
        screenshot(xserver, artifacts_dir() / "dialog-notified-window-closed.png")
        assert touching(drive) == ["write %d" % drive.image.stat().st_size], drive.events()

        # the notification server's Eject button: the dialog's eject action
        notifications.invoke(done["id"], "app.eject")
        out = assert_ejected(drive)
        assert len(out) == 1, out
        assert_unlocks(out[0][1], passfile)
        dialog.assert_alive()
        dialog.quit()


# ---- AT-SPI ---------------------------------------------------------------------


def test_cancel_asks_before_spoiling_a_write_once_disc(scripted_daemon, xserver, a11y_bus,
                                                       tmp_path):
    daemon = scripted_daemon
    # slow: the image is about 1.3 MB, some 40 s of writing, cancelled long
    # before its end even on a loaded machine
    drive = insert_blank(daemon, "drive0", TINY_DVD_PLUS_R, write_rate=32 * KIB)
    with accessible_dialog(daemon, xserver, a11y_bus, tmp_path) as (dialog, a11y):
        # Cancel Burn is pressed as a person would, once the window says it
        # writes: the dialog asks only when it knows
        job = burn_until_writing(daemon, a11y)
        # the progress page (the burn in test_dialog.py is too fast to be
        # caught at it)
        screenshot(xserver, artifacts_dir() / "dialog-progress.png")

        def ask():
            cancel = a11y.wait(
                lambda nodes: find(nodes, "push button", "Cancel Burn", states=["sensitive"]),
                "no Cancel Burn button to press")[0]
            a11y.press(cancel)

            def question(nodes):
                heading = find(nodes, "label", "Stop writing?")
                if not heading:
                    return None
                window = window_of(nodes, heading[0])
                keep = find(window, "push button", "Keep Writing", states=["sensitive"])
                stop = find(window, "push button", "Stop and Spoil the Disc",
                            states=["sensitive"])
                return (window, keep[0], stop[0]) if keep and stop else None

            return a11y.wait(question, "no confirmation after Cancel Burn")

        window, keep, stop = ask()
        assert window[0]["role"] == "dialog" and "modal" in window[0]["states"], window[0]
        said = texts(window)
        assert "The disc can be written only once: stopped now, it cannot be used again." \
            in said, said
        # its own window: without a window manager, the main window may
        # cover it on the screen
        screenshot(xserver, artifacts_dir() / "dialog-cancel-confirm.png",
                   window="Stop writing?")
        # nothing is cancelled while the dialog asks
        assert daemon.job_props(job)["State"] == "running"

        a11y.press(keep)
        a11y.wait(lambda nodes: not find(nodes, "label", "Stop writing?"),
                  "the confirmation stayed after Keep Writing")
        # the burn goes on writing
        written = daemon.job_props(job)["BytesDone"]
        props = daemon.wait_job_props(job, BytesDone=lambda b: b > written)
        assert (props["State"], props["Phase"]) == ("running", "writing"), props

        window, keep, stop = ask()
        a11y.press(stop)
        props = ended(daemon, job)
        assert (props["State"], props["ErrorName"]) == ("cancelled", ERROR + "Cancelled"), props
        a11y.wait(lambda nodes: "The burn failed" in texts(nodes),
                  "the window does not say that the burn ended")
        assert not find(a11y.last, "label", "Stop writing?")
        assert_released(daemon, "drive0")
        # spoiled, but still in the drive: nothing ejected it
        assert drive.tray() is not None and drive.out() == []
        dialog.quit()


def test_the_dialog_waits_for_a_disc(scripted_daemon, xserver, a11y_bus, passfile, tmp_path):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    with accessible_dialog(daemon, xserver, a11y_bus, tmp_path) as (dialog, a11y):
        job = press_burn(a11y, daemon)
        message = daemon.wait_job_props(job, timeout=NOTICE_S, State="waiting-for-media",
                                        Message=lambda m: bool(m))["Message"]
        assert message.startswith("There is no disc in %s." % drive.device), message
        # the phase, and the daemon's message: what to put in
        a11y.wait(lambda nodes: {"Waiting for a disc", message} <= set(texts(nodes)),
                  "the window does not say it waits for a disc: %r" % message)
        screenshot(xserver, artifacts_dir() / "dialog-waiting-for-disc.png")
        assert touching(drive) == []

        drive.insert(TINY_DVD_PLUS_R)
        props = ended(daemon, job, timeout=NOTICE_S + TIMEOUT)
        assert props["State"] == "succeeded", (props, daemon.log())
        said = a11y.wait(lambda nodes: "Disc ready" in texts(nodes) and texts(nodes),
                         "the window does not say the disc is ready")
        assert "The encrypted disc was written." in said, said
        assert message not in said, said
        dialog.quit()
    assert_unlocks(drive.disc_image(), passfile)
    assert touching(drive) == ["write %d" % drive.image.stat().st_size], drive.events()


def test_a_failed_write_is_shown(scripted_daemon, xserver, a11y_bus, tmp_path):
    daemon = scripted_daemon
    # a bad disc: the write fails past the 1 MiB LUKS2 header
    drive = insert_blank(daemon, "drive0", TINY_DVD_PLUS_R, write_fail_at=1088 * KIB)
    with accessible_dialog(daemon, xserver, a11y_bus, tmp_path) as (dialog, a11y):
        job = press_burn(a11y, daemon)
        props = ended(daemon, job)
        assert props["State"] == "failed", props
        reply = daemon.call(job, JOB_IFACE, "GetError", "(@a{sv} {},)")
        assert "reply" in reply, reply
        error = GLib.Variant.parse(None, reply["reply"], None, None).unpack()[1]
        assert error, reply
        said = a11y.wait(lambda nodes: "The burn failed" in texts(nodes) and texts(nodes),
                         "the window does not say that the burn failed")
        # the daemon's words, as they are
        assert error in said, (error, said)
        screenshot(xserver, artifacts_dir() / "dialog-failed.png")
        # the drive is free for the next burn, and the dialog still there
        assert_released(daemon, "drive0")
        dialog.assert_alive()
        assert [e for e in touching(drive) if e.startswith("write")], drive.events()
        dialog.quit()


def test_eject_from_the_result_page(scripted_daemon, xserver, a11y_bus, passfile, tmp_path):
    daemon = scripted_daemon
    drive = insert_blank(daemon, "drive1", TINY_DVD_PLUS_R)
    with accessible_dialog(daemon, xserver, a11y_bus, tmp_path) as (dialog, a11y):
        # the second drive, chosen as a file manager does, once listed
        a11y.wait(lambda nodes: find(nodes, "push button", "Burn", states=["sensitive"]),
                  "the window never found a drive")
        dialog.action("select-drive", GLib.Variant("s", drive.device))
        job = press_burn(a11y, daemon)
        assert daemon.job_props(job)["Drive"] == daemon.drive_paths["drive1"]
        props = ended(daemon, job)
        assert props["State"] == "succeeded", (props, daemon.log())
        eject = a11y.wait(
            lambda nodes: "Disc ready" in texts(nodes) and find(nodes, "push button", "Eject",
                                                                states=["sensitive"]),
            "no Eject button on the result page")[0]
        assert "close eject" not in drive.events()
        a11y.press(eject)
        out = assert_ejected(drive)
        assert len(out) == 1, out
        assert_unlocks(out[0][1], passfile)
        # no error took the description's place
        a11y.wait(lambda nodes: "The encrypted disc was written." in texts(nodes),
                  "the result page changed after the eject")
        screenshot(xserver, artifacts_dir() / "dialog-ejected.png")
        # the window is for one burn: its burn action does nothing now
        before = jobs(daemon)
        dialog.action("burn")
        time.sleep(1.0)
        assert jobs(daemon) == before, jobs(daemon)
        # the result page's Close (beside Eject: the title bar has a Close
        # button too) ends the dialog
        close = find(beside(a11y.last, eject), "push button", "Close")
        assert len(close) == 1, a11y.dump()
        a11y.press(close[0])
        dialog.proc.wait(timeout=TIMEOUT)
        assert dialog.proc.returncode == 0, dialog.output()
        for bad in ("-CRITICAL", "-WARNING **"):
            assert bad not in dialog.output(), dialog.output()
    assert touching(daemon.drives["drive0"]) == []
