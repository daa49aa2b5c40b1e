# SPDX-License-Identifier: GPL-3.0-or-later
"""plain and cryptoloop, the cdrecord encryption patch's "new" and "old"
modes: AES-256-CBC with the plain IV over the bare ISO. Checked with the
openssl command line on single sectors and an independent decryptor
(python3-cryptography) on whole images, then xorriso."""

import hashlib
import subprocess

import cbtest
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from daemon_fixtures import FAST_KDF

SECTOR = 512
PVD_SECTOR = 64  # the ISO primary volume descriptor is at byte 32768


def key_for(fmt, passphrase):
    raw = passphrase.encode()
    if fmt == "plain":
        return hashlib.sha256(raw).digest()
    return raw.ljust(32, b"\0")


def plain_iv(sector):
    return (sector & 0xFFFFFFFF).to_bytes(4, "little") + bytes(12)


def decrypt_image(data, key):
    out = bytearray()
    for n in range(len(data) // SECTOR):
        d = Cipher(algorithms.AES(key), modes.CBC(plain_iv(n))).decryptor()
        out += d.update(data[n * SECTOR:(n + 1) * SECTOR]) + d.finalize()
    return bytes(out)


def tree(root):
    root.mkdir()
    (root / "notes.txt").write_text("from an old cdrecord recipe\n")
    (root / "sub").mkdir()
    (root / "sub" / "data.bin").write_bytes(bytes(range(256)) * 1000)
    return root


def check_image(cb, image, fmt, src, passphrase=cbtest.PASSPHRASE):
    data = image.read_bytes()
    key = key_for(fmt, passphrase)
    # one sector with the openssl command line: the documented key and IV
    sector = data[PVD_SECTOR * SECTOR:(PVD_SECTOR + 1) * SECTOR]
    proc = subprocess.run(["openssl", "enc", "-d", "-aes-256-cbc", "-nopad", "-K", key.hex(),
                           "-iv", plain_iv(PVD_SECTOR).hex()], input=sector,
                          stdout=subprocess.PIPE, check=True)
    assert proc.stdout[1:6] == b"CD001"
    # the whole image with an independent decryptor, then xorriso
    iso = cb.path("decrypted.iso")
    iso.write_bytes(decrypt_image(data, key))
    cbtest.compare_trees(cbtest.expected_tree(src), cb.extract(iso))


@pytest.mark.parametrize("fmt", ["plain", "cryptoloop"])
def test_weak_format_roundtrip(cb, tmp_path, fmt):
    src = tree(tmp_path / "src")
    out = tmp_path / ("image." + fmt)
    proc = cb.run("image", "--format", fmt, "--passphrase-file", cb.passfile, src, "-o", out)
    assert proc.returncode == 0, cbtest.describe(proc)
    assert b"no salt and no key stretching" in proc.stderr
    # no header: the image is exactly the ISO's size
    assert out.stat().st_size % 2048 == 0
    check_image(cb, out, fmt, src)
    # -q: no warning
    proc = cb.run("image", "-q", "--format", fmt, "--passphrase-file", cb.passfile, src,
                  "-o", tmp_path / "again", "--force")
    assert proc.returncode == 0 and proc.stderr == b"", cbtest.describe(proc)


def test_cryptoloop_passphrase_longer_than_the_key(cb, tmp_path):
    src = tree(tmp_path / "src")
    long = cbtest.write_passphrase_file(tmp_path / "long", "x" * 33 + " Tangerine-Quokka-41")
    out = tmp_path / "image"
    proc = cb.run("image", "-q", "--format", "cryptoloop", "--passphrase-file", long, src,
                  "-o", out)
    assert proc.returncode == 6, cbtest.describe(proc)
    assert b"at most 32 bytes" in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["plain", "cryptoloop"])
def test_weak_formats_have_no_room_for_a_serial(cb, tmp_path, fmt):
    src = tree(tmp_path / "src")
    proc = cb.run("image", "-q", "--format", fmt, "--serial", "S-1", "--passphrase-file",
                  cb.passfile, src, "-o", tmp_path / "image")
    assert proc.returncode == 2, cbtest.describe(proc)
    assert b"serial" in proc.stderr


@pytest.mark.parametrize("fmt", ["plain", "cryptoloop"])
def test_weak_formats_through_the_daemon(cryptburnd, cb, tmp_path, fmt):
    src = tree(tmp_path / "src")
    spec = {"drive": cryptburnd.drive_paths["disc0"], "sources": [str(src)],
            "options": dict(FAST_KDF, format=["s", fmt]),
            "fds": {"passphrase-fd": str(cb.passfile)}}
    job, done = cryptburnd.submit("BurnFiles", spec)
    assert done["completed"] == [True, "", ""], (job, done)
    check_image(cb, cryptburnd.drive_files["disc0"], fmt, src)
