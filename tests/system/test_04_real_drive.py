# SPDX-License-Identifier: GPL-3.0-or-later
"""qemu's emulated CD-ROM drive: libburn talks MMC over SG_IO to a kernel
drive, /dev/sr0, found through udev, inside the unit's DeviceAllow= and
capabilities. The drive is read-only: discs go in and out through qemu's
monitor, as a user puts them in the tray."""
import time

from conftest import TEST_DEVICE, burn_disc, cryptburn, drives, poll


def test_udev_knows_the_drive(vm):
    props = vm.ok(["udevadm", "info", "--query=property", "/dev/sr0"]).out
    assert "ID_CDROM=1" in props, props
    # logind's uaccess: the console user may read the drive herself
    vm.ok(["test", "-r", "/dev/sr0"], user="alice")


def test_drives_lists_it_with_no_disc(vm, no_disc):
    sr0 = drives(vm)["/dev/sr0"]
    assert sr0["model"], sr0
    assert sr0["media_present"] is False, sr0


def seen_in(vm, present, timeout=30):
    t0 = time.monotonic()
    poll(lambda: drives(vm)["/dev/sr0"]["media_present"] is present, "MediaPresent %s" % present, timeout, interval=0.5)
    return time.monotonic() - t0


def test_a_disc_going_in_and_out_changes_media_present(vm, workdir, alice_data, no_disc):
    disc = burn_disc(vm, workdir, "luks2")
    drives(vm)  # the service is running when the disc goes in
    vm.insert_disc(disc)
    took_in = seen_in(vm, True)
    sr0 = drives(vm)["/dev/sr0"]
    assert sr0["media"], sr0
    vm.eject_disc()
    took_out = seen_in(vm, False)
    print("MediaPresent followed qemu: in %.1f s, out %.1f s" % (took_in, took_out))
    assert took_in < 10 and took_out < 10


def tray_open(vm):
    for dev in vm.qmp("query-block"):
        if dev.get("qdev") == "cdrom0" or dev.get("device") == "cd0":
            return dev.get("tray_open")
    raise AssertionError("no cdrom0 in query-block")


def test_cryptburn_eject_opens_the_tray(vm, workdir, alice_data, no_disc):
    vm.insert_disc(workdir + "/disc-luks2.img")
    seen_in(vm, True)
    r = cryptburn(vm, "eject", "--drive=/dev/sr0")
    assert r.rc == 0, r
    poll(lambda: tray_open(vm), "the tray to open", 10, interval=0.5)
    seen_in(vm, False)


def test_a_burn_to_the_read_only_drive_is_refused_and_frees_it(vm, workdir, alice_data, no_disc):
    vm.insert_disc(workdir + "/disc-luks2.img")
    seen_in(vm, True)
    r = cryptburn(vm, "burn", "--drive=/dev/sr0", "--media-timeout=0",
                  "--passphrase-file=/home/alice/pass", "--pbkdf-force-iterations=4",
                  "--pbkdf-memory=32768", alice_data)
    assert r.rc == 10, r
    assert "cannot" in r.err and "writ" in r.err, r
    after = drives(vm)
    assert after["/dev/sr0"]["busy"] is False, after
    assert after[TEST_DEVICE]["busy"] is False, after
    # released for real: another call may use the drive at once
    r = cryptburn(vm, "eject", "--drive=/dev/sr0")
    assert r.rc == 0, r


def test_verify_checks_the_disc_in_the_drive(vm, workdir, alice_data, no_disc):
    vm.insert_disc(workdir + "/disc-luks2.img")
    seen_in(vm, True)
    r = cryptburn(vm, "verify", "/dev/sr0")
    assert r.rc == 0, r
