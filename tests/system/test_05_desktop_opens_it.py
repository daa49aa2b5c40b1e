# SPDX-License-Identifier: GPL-3.0-or-later
"""The burned disc in the drive opens as on a desktop: udisks2 unlocks and
mounts LUKS discs for the console user, polkit deciding; loop-aes and plain
discs open with the commands cryptburn(1) gives."""
import pytest

from conftest import FILES, burn_disc, tree_digest, poll

SOURCE_DIGEST = None


def source_digest(vm):
    return tree_digest(vm, "/home/alice/data", user="alice")


def mounted_at(text):
    # "Mounted /dev/dm-0 at /media/alice/ALICE"
    assert " at " in text, text
    return text.strip().split(" at ", 1)[1].rstrip(".")


@pytest.mark.parametrize("fmt", ["luks2", "luks1"])
def test_udisks_unlocks_and_mounts_it(vm, workdir, alice_data, no_disc, fmt):
    disc = burn_disc(vm, workdir, fmt)
    vm.insert_disc(disc)
    poll(lambda: vm.run(["blkid", "-p", "-s", "TYPE", "-o", "value", "/dev/sr0"]).out.strip()
             == "crypto_LUKS", "udev to see the LUKS disc", 30, interval=0.5)
    r = vm.run(["udisksctl", "unlock", "--no-user-interaction", "-b", "/dev/sr0",
                "--key-file", "/home/alice/pass"], user="alice")
    assert r.rc == 0 and "Unlocked /dev/sr0 as " in r.out, r
    clear = r.out.strip().split(" as ", 1)[1].rstrip(".")
    try:
        r = vm.run(["udisksctl", "mount", "--no-user-interaction", "-b", clear], user="alice")
        assert r.rc == 0, r
        where = mounted_at(r.out)
        assert where == "/media/alice/ALICE", where
        assert tree_digest(vm, where, user="alice") == source_digest(vm)
        assert len(tree_digest(vm, where).splitlines()) == len(FILES)
        vm.ok(["udisksctl", "unmount", "--no-user-interaction", "-b", clear], user="alice")
    finally:
        vm.run(["udisksctl", "unmount", "-b", clear], user="alice")
        vm.ok(["udisksctl", "lock", "--no-user-interaction", "-b", "/dev/sr0"], user="alice")


def mount_and_compare(vm, mapper):
    vm.ok(["mkdir", "-p", "/mnt/cb-test"])
    vm.ok(["mount", "-o", "ro", mapper, "/mnt/cb-test"])
    try:
        assert tree_digest(vm, "/mnt/cb-test") == source_digest(vm)
    finally:
        vm.ok(["umount", "/mnt/cb-test"])
        vm.ok(["cryptsetup", "close", "cb-test"])


def test_loop_aes_opens_with_gpg_and_cryptsetup(vm, workdir, alice_data, no_disc):
    disc = burn_disc(vm, workdir, "loop-aes")
    vm.insert_disc(disc)
    poll(lambda: vm.run(["blockdev", "--getsize64", "/dev/sr0"]).out.strip() not in ("", "0"), "the disc", 30, interval=0.5)
    vm.ok("head -c 16384 /dev/sr0 | tr -d '\\000' > /root/key.gpg")
    vm.ok("gpg --batch --homedir /root/.gnupg-test --pinentry-mode loopback "
          "--passphrase-file /home/alice/pass -d /root/key.gpg | "
          "cryptsetup loopaesOpen --readonly --key-file=- --offset 32 --skip 32 /dev/sr0 cb-test",
          env={"GNUPGHOME": "/root/.gnupg-test"})
    mount_and_compare(vm, "/dev/mapper/cb-test")


def test_plain_opens_with_cryptsetup(vm, workdir, alice_data, no_disc):
    disc = burn_disc(vm, workdir, "plain", "--allow-weak-passphrase")
    vm.insert_disc(disc)
    poll(lambda: vm.run(["blockdev", "--getsize64", "/dev/sr0"]).out.strip() not in ("", "0"), "the disc", 30, interval=0.5)
    vm.ok(["cryptsetup", "open", "--readonly", "--type", "plain", "--cipher", "aes-cbc-plain",
           "--key-size", "256", "--hash", "sha256", "/dev/sr0", "cb-test"],
          stdin=vm.read("/home/alice/pass") + b"\n")
    mount_and_compare(vm, "/dev/mapper/cb-test")
