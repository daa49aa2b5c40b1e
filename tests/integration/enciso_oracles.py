# SPDX-License-Identifier: GPL-3.0-or-later
"""Oracles for the enciso-compatible formats and commands, shared by
test_loop_aes.py and test_enciso_commands.py: GnuPG for the key block,
aespipe for loop-AES multi-key-v3 data, openssl enc for single
aes-cbc-plain sectors. None of them is cryptburn's code."""

import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

import cbtest

KEY_AREA = 16384  # the loop-aes key block's place at the image's start
KEY_AREA_SECTORS = KEY_AREA // 512  # aespipe -O, cryptsetup --offset/--skip
LUKS2_DATA_OFFSET = 1024 * 1024
SECTOR = 512  # aes-cbc-plain's IV unit

# loop-AES in-kernel, cryptsetup loopaesOpen and aespipe read these
GPG_S2K = {"cipher": "9", "hash": "10", "s2k": "3", "count": "65011712"}


def need(*tools):
    """Skips the calling test when one of the oracles is not installed."""
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip("%s is not installed" % tool)


@contextmanager
def gnupg_home():
    """A HOME (and GNUPGHOME) of its own for every gpg the oracles run:
    aespipe -K runs gpg with an environment of nothing but HOME, so HOME is
    what must point here. Any gpg-agent started in it is stopped after."""
    home = Path(tempfile.mkdtemp(prefix="cb-enciso-gnupg-", dir="/tmp"))
    os.chmod(home, 0o700)
    try:
        yield home
    finally:
        for gnupg in (home, home / ".gnupg"):
            if gnupg.is_dir() and shutil.which("gpgconf"):
                subprocess.run(
                    ["gpgconf", "--homedir", str(gnupg), "--kill", "gpg-agent"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
        shutil.rmtree(home, ignore_errors=True)


def _gpg_env(home):
    return {"HOME": str(home), "GNUPGHOME": str(home), "PATH": os.environ["PATH"],
            "LC_ALL": "C.UTF-8"}


def gpg(home, passfile, *args):
    """gpg in batch mode with the passphrase from passfile."""
    return cbtest.run(
        ["gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase-file",
         str(passfile)] + [str(a) for a in args],
        env=_gpg_env(home),
    )


def gpg_packets(home, passfile, armored):
    """gpg --list-packets: the symmetric-key packet's fields as a dict."""
    proc = gpg(home, passfile, "--list-packets", armored)
    assert proc.returncode == 0, cbtest.describe(proc)
    out = proc.stdout.decode()
    m = re.search(r":symkey enc packet: version 4, cipher (\d+), aead \d+,\s*s2k (\d+), "
                  r"hash (\d+)\s+salt [0-9A-F]+, count (\d+)", out)
    assert m is not None, out
    return dict(zip(("cipher", "s2k", "hash", "count"), m.groups())), out


def gpg_decrypt(home, passfile, armored):
    """The key text, decrypted by gpg itself."""
    proc = gpg(home, passfile, "-d", armored)
    assert proc.returncode == 0, cbtest.describe(proc)
    return proc.stdout


def aespipe_decrypt(home, data, key_file, passfile, offset_sectors, output, skip=0):
    """aespipe -d -e aes256 -O offset_sectors -K key_file over data from byte
    skip on, the passphrase on fd 3 (aespipe hands it to its own gpg)."""
    with open(data, "rb") as src, open(output, "wb") as dst:
        src.seek(skip)
        proc = subprocess.run(
            ["sh", "-c", 'exec aespipe -d -e aes256 -O "$1" -K "$2" -p 3 3<"$3"', "sh",
             str(offset_sectors), str(key_file), str(passfile)],
            stdin=src,
            stdout=dst,
            stderr=subprocess.PIPE,
            env={"HOME": str(home), "PATH": os.environ["PATH"]},
            timeout=cbtest.TIMEOUT,
        )
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return Path(output)


def key_block(image):
    """The armored block at the start of a loop-aes image, NUL padding
    stripped; the padding must be NULs only."""
    with open(image, "rb") as f:
        area = f.read(KEY_AREA)
    assert len(area) == KEY_AREA
    block = area.rstrip(b"\0")
    assert b"\0" not in block, "a NUL inside the key block"
    assert block.startswith(b"-----BEGIN PGP MESSAGE-----\n"), block[:80]
    assert block.endswith(b"-----END PGP MESSAGE-----\n"), block[-80:]
    return block


def armor_comments(armored):
    """The armor's Comment: lines, as key=value pairs (in order)."""
    if isinstance(armored, bytes):
        armored = armored.decode("ascii")
    headers = armored.split("\n\n", 1)[0].splitlines()[1:]
    comments = []
    for line in headers:
        assert line.startswith("Comment: "), "unexpected armor header %r" % line
        key, _, value = line[len("Comment: "):].partition("=")
        comments.append((key, value))
    return comments


def iso_paths(iso):
    """Every path xorriso finds in the ISO's Rock Ridge tree."""
    out = cbtest.run(["xorriso", "-indev", str(iso), "-find", "/"], check=True)
    return set(re.findall(r"^'([^']*)'$", out.stdout.decode("utf-8", "replace"), re.M))


def source_paths(src):
    """The same set for a source directory, as /-rooted ISO paths."""
    paths = {"/"}
    for dirpath, dirnames, filenames in os.walk(src):
        for name in dirnames + filenames:
            rel = os.path.relpath(os.path.join(dirpath, name), src)
            paths.add("/" + rel)
    return paths


def pvd_size(iso):
    """The ISO's volume space size in bytes, from its primary volume
    descriptor (both-endian, ECMA-119 8.4.8)."""
    with open(iso, "rb") as f:
        f.seek(32768)
        pvd = f.read(2048)
    assert pvd[1:6] == b"CD001", pvd[:8]
    blocks = int.from_bytes(pvd[80:84], "little")
    assert blocks == int.from_bytes(pvd[84:88], "big")
    return blocks * int.from_bytes(pvd[128:130], "little")


# ---- aes-cbc-plain (plain, cryptoloop), one sector at a time -------------


def plain_iv(sector):
    """The plain IV: the 512-byte sector number, 32-bit little-endian,
    zero-padded to the AES block."""
    return (sector & 0xFFFFFFFF).to_bytes(4, "little") + bytes(12)


def openssl_sector(image, key, sector, skip=0):
    """openssl enc -d -aes-256-cbc -nopad of one 512-byte sector."""
    with open(image, "rb") as f:
        f.seek(skip + sector * SECTOR)
        data = f.read(SECTOR)
    assert len(data) == SECTOR
    proc = cbtest.run(
        ["openssl", "enc", "-d", "-aes-256-cbc", "-nopad", "-K", key.hex(), "-iv",
         plain_iv(sector).hex()],
        input=data,
    )
    assert proc.returncode == 0, cbtest.describe(proc)
    return proc.stdout


def read_sector(path, sector):
    with open(path, "rb") as f:
        f.seek(sector * SECTOR)
        return f.read(SECTOR)


def assert_payload_is(decrypted, plain):
    """decrypted holds plain, then at most a 2048-byte sector's zero padding."""
    got = Path(decrypted).read_bytes()
    want = Path(plain).read_bytes()
    assert len(got) >= len(want) and len(got) % 2048 == 0, (len(got), len(want))
    assert len(got) - len(want) < 2048, (len(got), len(want))
    assert got[: len(want)] == want, "the decrypted payload differs from the plain image"
    assert got[len(want):] == bytes(len(got) - len(want)), "the padding is not zeros"
