# SPDX-License-Identifier: GPL-3.0-or-later
"""The commands and options that came with enciso compatibility, beyond
the loop-aes format itself (test_loop_aes.py): plain and cryptoloop
through the refactored code and --passphrase-hex (openssl enc), encrypt-image
(aespipe, cryptsetup and the xts-decrypt oracle), extract-key of LUKS
headers (cryptsetup), verify of LUKS2 (hashlib, cryptsetup's view of the
token), --compress (xorriso, isoinfo) and the option combinations that
are refused."""

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

import cbtest
import enciso_oracles as eo
from cbtest import FORMATS
from enciso_oracles import KEY_AREA, KEY_AREA_SECTORS, LUKS2_DATA_OFFSET, SECTOR

WEAK_WARNING = b"no salt and no key stretching"
PVD_SECTOR = 64  # byte 32768 in 512-byte sectors


def make_source(root):
    root.mkdir(parents=True)
    (root / "notes.txt").write_text("an old enciso recipe\n")
    (root / "sub").mkdir()
    (root / "sub" / "random.bin").write_bytes(os.urandom(120_000))
    cbtest.stamp_tree(root)
    return root


@pytest.fixture(scope="module")
def home():
    with eo.gnupg_home() as h:
        yield h


@pytest.fixture(scope="module")
def work(binaries, tmp_path_factory):
    d = tmp_path_factory.mktemp("enciso")
    return d, cbtest.Cryptburn(binaries, d)


@pytest.fixture(scope="module")
def plain_iso(work):
    """A plain ISO made by xorriso alone; as mkisofs does, it puts its
    padding inside the volume, so the file is as long as its descriptor
    says (what encrypt-image from a pipe requires)."""
    d, _ = work
    src = make_source(d / "src")
    iso = d / "plain.iso"
    cbtest.run(["xorriso", "-as", "mkisofs", "-R", "-o", str(iso), str(src)], check=True)
    assert os.path.getsize(iso) % 2048 == 0
    assert eo.pvd_size(iso) == os.path.getsize(iso)
    return dict(src=src, iso=iso)


def data_sector(plain_iso):
    """A 512-byte sector of the plain ISO that holds file data."""
    data = plain_iso["iso"].read_bytes()
    at = data.find((plain_iso["src"] / "sub" / "random.bin").read_bytes()[:SECTOR])
    assert at > 0 and at % SECTOR == 0
    return at // SECTOR


def weak_key(fmt, raw):
    """plain: SHA-256 of the passphrase bytes; cryptoloop: the bytes
    zero-padded to AES-256's 32."""
    if fmt == "plain":
        return hashlib.sha256(raw).digest()
    assert len(raw) <= 32
    return raw.ljust(32, b"\0")


def openssl_decrypt_all(image, key, output):
    """The whole aes-cbc-plain image decrypted with one openssl enc run:
    decrypted as one CBC chain, only the first AES block of each 512-byte
    sector comes out XORed with the previous sector's last ciphertext
    block instead of that sector's IV, which is put right here."""
    data = Path(image).read_bytes()
    assert len(data) % SECTOR == 0
    proc = cbtest.run(["openssl", "enc", "-d", "-aes-256-cbc", "-nopad", "-K", key.hex(),
                       "-iv", eo.plain_iv(0).hex()], input=data)
    assert proc.returncode == 0, cbtest.describe(proc)
    out = bytearray(proc.stdout)
    assert len(out) == len(data)
    for n in range(1, len(data) // SECTOR):
        prev = data[n * SECTOR - 16:n * SECTOR]
        iv = eo.plain_iv(n)
        for i in range(16):
            out[n * SECTOR + i] ^= prev[i] ^ iv[i]
    Path(output).write_bytes(bytes(out))
    return Path(output)


def assert_sectors_decrypt(image, key, plain, sectors):
    for n in sectors:
        assert eo.openssl_sector(image, key, n) == eo.read_sector(plain, n), "sector %d" % n


def assert_refused(proc, code, *words):
    assert proc.returncode == code, cbtest.describe(proc)
    for word in words:
        assert word in proc.stderr, (word, proc.stderr)


# ---- plain and cryptoloop ------------------------------------------------


@pytest.mark.parametrize("fmt", ["plain", "cryptoloop"])
def test_weak_encrypt_image_sectors_with_openssl(work, plain_iso, fmt):
    eo.need("openssl")
    d, cb = work
    out = d / ("weak-%s.img" % fmt)
    proc = cb.run("encrypt-image", "--format", fmt, "--passphrase-file", cb.passfile,
                  plain_iso["iso"], "-o", out, "--force")
    assert proc.returncode == 0, cbtest.describe(proc)
    assert WEAK_WARNING in proc.stderr
    # no header: the image is the ISO's size, sector n at byte 512 n
    assert os.path.getsize(out) == os.path.getsize(plain_iso["iso"])
    key = weak_key(fmt, cbtest.PASSPHRASE.encode())
    last = os.path.getsize(out) // SECTOR - 1
    sectors = [0, 5, PVD_SECTOR, data_sector(plain_iso), last]
    assert_sectors_decrypt(out, key, plain_iso["iso"], sectors)
    assert eo.openssl_sector(out, key, PVD_SECTOR)[:6] == b"\x01CD001"
    # and the whole of it
    whole = openssl_decrypt_all(out, key, d / ("weak-%s.iso" % fmt))
    assert whole.read_bytes() == plain_iso["iso"].read_bytes()
    # -q: no warning, and nothing else either
    proc = cb.run("encrypt-image", "-q", "--format", fmt, "--passphrase-file", cb.passfile,
                  plain_iso["iso"], "-o", out, "--force")
    assert proc.returncode == 0 and proc.stderr == b"", cbtest.describe(proc)


@pytest.mark.parametrize("fmt", ["plain", "cryptoloop"])
def test_weak_image_of_files_with_openssl(work, tmp_path, fmt):
    """cryptburn image's own ISO through the weak formats: sectors 0 and 5
    by openssl one at a time, the PVD, then the whole tree by xorriso."""
    eo.need("openssl")
    d, cb = work
    src = make_source(tmp_path / "src")
    out = tmp_path / "image"
    proc = cb.run("image", "--format", fmt, "--passphrase-file", cb.passfile, src, "-o", out)
    assert proc.returncode == 0, cbtest.describe(proc)
    assert WEAK_WARNING in proc.stderr
    key = weak_key(fmt, cbtest.PASSPHRASE.encode())
    iso = openssl_decrypt_all(out, key, tmp_path / "decrypted.iso")
    assert_sectors_decrypt(out, key, iso, [0, 5, PVD_SECTOR])
    assert iso.read_bytes()[32768:32774] == b"\x01CD001"
    cbtest.compare_trees(cbtest.expected_tree(src), cb.extract(iso))


@pytest.mark.parametrize(
    "fmt,raw",
    [
        ("plain", bytes.fromhex("00ff41427a9c3e5d77b0e1")),
        # exactly the key's 32 bytes, a NUL first and one inside
        ("cryptoloop", bytes.fromhex("00c3a97f80fe0d1b2c3d4e5f60718293"
                                     "00a4b5c6d7e8f90a1b2c3d4e5f607182")),
        ("cryptoloop", bytes.fromhex("00ff41427a9c3e5d77b0e1")),
    ],
    ids=["plain", "cryptoloop-32-bytes", "cryptoloop-11-bytes"],
)
def test_passphrase_hex_is_the_decoded_bytes(work, plain_iso, tmp_path, fmt, raw):
    eo.need("openssl")
    d, cb = work
    hexfile = cbtest.write_passphrase_file(tmp_path / "hex", raw.hex() + "\n")
    out = tmp_path / "image"
    proc = cb.run("encrypt-image", "-q", "--format", fmt, "--passphrase-hex",
                  "--allow-weak-passphrase", "--passphrase-file", hexfile,
                  plain_iso["iso"], "-o", out)
    assert proc.returncode == 0, cbtest.describe(proc)
    key = weak_key(fmt, raw)
    assert_sectors_decrypt(out, key, plain_iso["iso"], [0, 5, PVD_SECTOR,
                                                        data_sector(plain_iso)])
    # upper-case digits are the same bytes
    cbtest.write_passphrase_file(hexfile, raw.hex().upper())
    again = tmp_path / "again"
    cb.run("encrypt-image", "-q", "--format", fmt, "--passphrase-hex",
           "--allow-weak-passphrase", "--passphrase-file", hexfile, plain_iso["iso"],
           "-o", again, check=True)
    assert again.read_bytes() == out.read_bytes()


def test_cryptoloop_key_longer_than_32_bytes(work, plain_iso, tmp_path):
    d, cb = work
    out = tmp_path / "image"
    text = cbtest.write_passphrase_file(tmp_path / "long", "Velvet-Harbor-Quartz-Lantern-417!")
    assert len(text.read_bytes()) == 33
    hexfile = cbtest.write_passphrase_file(tmp_path / "hex", os.urandom(33).hex())
    for extra in (["--passphrase-file", text],
                  ["--passphrase-hex", "--passphrase-file", hexfile]):
        proc = cb.run("encrypt-image", "-q", "--format", "cryptoloop",
                      "--allow-weak-passphrase", *extra, plain_iso["iso"], "-o", out)
        assert_refused(proc, 6, b"at most 32 bytes")
        assert not out.exists()
    assert b"Velvet" not in proc.stderr


@pytest.mark.parametrize("bad", ["00ff41427a9c3e5d7b3", "00ff41427a9c3e5g7b3c", "00ff 41427a9c",
                                 "0x00ff41427a9c3e5d"])
@pytest.mark.parametrize("fmt", ["plain", "loop-aes"])
def test_passphrase_hex_refuses_what_is_not_hex(work, plain_iso, tmp_path, bad, fmt):
    d, cb = work
    hexfile = cbtest.write_passphrase_file(tmp_path / "hex", bad)
    out = tmp_path / "image"
    proc = cb.run("encrypt-image", "-q", "--format", fmt, "--passphrase-hex",
                  "--allow-weak-passphrase", "--passphrase-file", hexfile,
                  plain_iso["iso"], "-o", out)
    assert_refused(proc, 6, b"hex")
    assert not out.exists()
    # the message names the problem, never the passphrase
    for part in (bad, bad[:8], bad[-8:]):
        assert part.encode() not in proc.stderr, proc.stderr


# ---- encrypt-image -------------------------------------------------------


def encrypt_from_pipe(cb, plain, *args):
    """cat plain | cryptburn encrypt-image - ...: a real pipe, no size."""
    return cbtest.run(["sh", "-c", 'p=$1 b=$2; shift 2; cat "$p" | exec "$b" encrypt-image - "$@"',
                       "sh", str(plain), str(cb.binary)] + [str(a) for a in args])


@pytest.mark.parametrize("how", ["file", "pipe"])
def test_encrypt_image_loop_aes(work, plain_iso, home, tmp_path, how):
    eo.need("aespipe", "gpg")
    d, cb = work
    out = tmp_path / "E"
    args = ["-q", "--format", "loop-aes", "--passphrase-file", cb.passfile, "-o", out]
    if how == "file":
        proc = cb.run("encrypt-image", plain_iso["iso"], *args)
    else:
        proc = encrypt_from_pipe(cb, plain_iso["iso"], *args)
    assert proc.returncode == 0, cbtest.describe(proc)
    assert os.path.getsize(out) == KEY_AREA + os.path.getsize(plain_iso["iso"])
    key = tmp_path / "key.gpg"
    key.write_bytes(eo.key_block(out))
    dec = eo.aespipe_decrypt(home, out, key, cb.passfile, KEY_AREA_SECTORS,
                             tmp_path / "E.iso", skip=KEY_AREA)
    eo.assert_payload_is(dec, plain_iso["iso"])


def test_encrypt_image_pads_to_a_whole_sector(work, home, tmp_path):
    """An input that is not a whole number of 2048-byte sectors is padded
    with zeros (there is no ISO in it: encrypt-image takes any file)."""
    eo.need("aespipe", "gpg")
    d, cb = work
    odd = tmp_path / "odd.bin"
    odd.write_bytes(os.urandom(10_000))
    out = tmp_path / "E"
    cb.run("encrypt-image", "-q", "--format", "loop-aes", "--passphrase-file", cb.passfile,
           odd, "-o", out, check=True)
    assert os.path.getsize(out) == KEY_AREA + 5 * 2048
    key = tmp_path / "key.gpg"
    key.write_bytes(eo.key_block(out))
    dec = eo.aespipe_decrypt(home, out, key, cb.passfile, KEY_AREA_SECTORS,
                             tmp_path / "odd.dec", skip=KEY_AREA)
    eo.assert_payload_is(dec, odd)


def test_encrypt_image_loop_aes_keyfile(work, plain_iso, home, tmp_path):
    eo.need("aespipe", "gpg")
    d, cb = work
    out = tmp_path / "E"
    keyfile = tmp_path / "E.gpg"
    cb.run("encrypt-image", "-q", "--format", "loop-aes", "--keyfile", keyfile,
           "--passphrase-file", cb.passfile, plain_iso["iso"], "-o", out, check=True)
    assert os.path.getsize(out) == os.path.getsize(plain_iso["iso"])
    dec = eo.aespipe_decrypt(home, out, keyfile, cb.passfile, 0, tmp_path / "E.iso")
    assert dec.read_bytes() == plain_iso["iso"].read_bytes()


@pytest.mark.parametrize("how", ["file", "pipe"])
def test_encrypt_image_luks2(work, plain_iso, tmp_path, how):
    d, cb = work
    out = tmp_path / "E.luks"
    args = ["-q", "--format", "luks2"] + FORMATS["luks2"]["fast"] + [
        "--passphrase-file", cb.passfile, "-o", out]
    if how == "file":
        proc = cb.run("encrypt-image", plain_iso["iso"], *args)
    else:
        proc = encrypt_from_pipe(cb, plain_iso["iso"], *args)
    assert proc.returncode == 0, cbtest.describe(proc)
    assert cbtest.unlocks(out, cb.passfile) == 0
    assert cbtest.unlocks(out, cb.wrongfile) != 0
    assert os.path.getsize(out) == LUKS2_DATA_OFFSET + os.path.getsize(plain_iso["iso"])
    eo.assert_payload_is(cb.decrypt(out, "luks2"), plain_iso["iso"])


def test_encrypt_image_stdin_cannot_carry_the_passphrase(work, plain_iso, tmp_path):
    d, cb = work
    out = tmp_path / "E"
    with open(plain_iso["iso"], "rb") as f:
        proc = cb.run("encrypt-image", "-q", "--format", "loop-aes", "--passphrase-fd", "0",
                      "-", "-o", out, stdin=f)
    assert_refused(proc, 2, b"standard input")
    assert not out.exists()


def test_encrypt_image_missing_input(work, tmp_path):
    d, cb = work
    out = tmp_path / "E"
    proc = cb.run("encrypt-image", "-q", "--format", "loop-aes", "--passphrase-file",
                  cb.passfile, tmp_path / "no-such.iso", "-o", out)
    assert_refused(proc, 3, b"no-such.iso")
    assert os.listdir(tmp_path) == []


def test_encrypt_image_pipe_longer_than_its_volume(work, plain_iso, tmp_path):
    """xorriso -outdev FILE appends zero padding after the volume its
    descriptor announces (as a disc read with dd has its run-out). From a
    pipe, where that descriptor gives the size, the zeros are read and
    dropped; the encrypted payload is the volume. Anything but zeros there
    is data the image would lose: refused, nothing left behind."""
    d, cb = work
    padded = tmp_path / "padded.iso"
    cbtest.run(["xorriso", "-outdev", str(padded), "-map", str(plain_iso["src"]), "/"],
               check=True)
    volume = eo.pvd_size(padded)
    assert os.path.getsize(padded) > volume
    args = ["-q", "--format", "luks2"] + FORMATS["luks2"]["fast"] + [
        "--passphrase-file", cb.passfile]
    out = tmp_path / "E.luks"
    proc = encrypt_from_pipe(cb, padded, *args, "-o", out)
    assert proc.returncode == 0, proc.stderr
    just_volume = tmp_path / "volume.iso"
    just_volume.write_bytes(padded.read_bytes()[:volume])
    eo.assert_payload_is(cb.decrypt(out, "luks2"), just_volume)

    junk = tmp_path / "junk.iso"
    junk.write_bytes(padded.read_bytes()[:volume] + b"\0" * 5000 + b"data" + b"\0" * 100)
    out2 = tmp_path / "E2.luks"
    proc = encrypt_from_pipe(cb, junk, *args, "-o", out2)
    assert_refused(proc, 3, b"longer than announced")
    assert not out2.exists()


# ---- LUKS2 with a checksum: verify and extract-key -----------------------


@pytest.fixture(scope="module")
def luks_image(work, plain_iso):
    d, cb = work
    image = d / "sum.luks"
    cb.run("image", "-q", "--format", "luks2", *FORMATS["luks2"]["fast"], "--checksum",
           "sha256", "--passphrase-file", cb.passfile, plain_iso["src"], "-o", image,
           check=True)
    return image


def luks_token(image):
    """The cryptburn token as cryptsetup reads it: from the whole JSON
    metadata where this cryptsetup can dump it, else by token export."""
    proc = cbtest.run(["cryptsetup", "luksDump", "--dump-json-metadata", str(image)])
    if proc.returncode == 0:
        tokens = json.loads(proc.stdout)["tokens"]
        found = [t for t in tokens.values() if t["type"] == "cryptburn"]
        assert len(found) == 1, tokens
        return found[0]
    proc = cbtest.run(["cryptsetup", "token", "export", "--token-id", "0", str(image)],
                      check=True)
    return json.loads(proc.stdout)


def test_verify_luks2_sha256(work, luks_image, tmp_path):
    d, cb = work
    payload = luks_image.read_bytes()[LUKS2_DATA_OFFSET:]
    digest = "sha256:" + hashlib.sha256(payload).hexdigest()
    token = luks_token(luks_image)
    assert token["checksum"] == digest
    assert token["checksum_size"] == len(payload)
    proc = cb.run("verify", luks_image)
    assert proc.returncode == 0, cbtest.describe(proc)
    proc = cb.run("verify", "--json", luks_image)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0
    assert report["recorded"] == report["computed"] == digest
    assert report["match"] is True
    # one flipped bit in the payload
    bad = tmp_path / "bad.luks"
    data = bytearray(luks_image.read_bytes())
    data[LUKS2_DATA_OFFSET + 12345] ^= 0x80
    bad.write_bytes(bytes(data))
    proc = cb.run("verify", "--json", bad)
    assert proc.returncode == 11, cbtest.describe(proc)
    report = json.loads(proc.stdout)
    assert report["match"] is False
    assert report["recorded"] == digest
    assert report["computed"] == "sha256:" + hashlib.sha256(
        bytes(data[LUKS2_DATA_OFFSET:])).hexdigest()


def test_verify_luks2_without_checksum(work, plain_iso, tmp_path):
    d, cb = work
    image, _ = cb.image(plain_iso["src"], output=tmp_path / "nosum.luks", extra=["-q"])
    assert "checksum" not in luks_token(image)
    proc = cb.run("verify", image)
    assert_refused(proc, 12, b"without --checksum")


def test_verify_refuses_what_is_no_image(work, plain_iso, tmp_path):
    d, cb = work
    proc = cb.run("verify", "-q", plain_iso["iso"])
    assert proc.returncode == 7, cbtest.describe(proc)
    proc = cb.run("verify", "-q", tmp_path / "missing")
    assert proc.returncode == 3, cbtest.describe(proc)


@pytest.mark.parametrize("fmt", ["luks2", "luks1"])
def test_extract_key_of_luks_is_a_header_backup(work, plain_iso, luks_image, tmp_path, fmt):
    d, cb = work
    if fmt == "luks2":
        image = luks_image
    else:
        image, _ = cb.image(plain_iso["src"], output=tmp_path / "l1.luks", fmt="luks1",
                            extra=["-q"])
    header = tmp_path / "header"
    cb.run("extract-key", image, "-o", header, check=True)
    dump = cbtest.luks_dump(header)
    assert cbtest.dump_field(dump, "Version") == str(FORMATS[fmt]["version"])
    assert cbtest.dump_field(dump, "UUID") == cbtest.dump_field(cbtest.luks_dump(image), "UUID")
    # the header alone unlocks with the passphrase, as a backup must
    assert cbtest.unlocks(header, cb.passfile) == 0
    assert cbtest.unlocks(header, cb.wrongfile) != 0
    # and it is the image's start, nothing of the data
    data = header.read_bytes()
    assert len(data) <= FORMATS[fmt]["data_offset"]
    assert image.read_bytes()[: len(data)] == data
    # standard output (not a terminal) gets the same bytes
    assert cb.run("extract-key", image, check=True).stdout == data


@pytest.mark.parametrize("fmt", ["plain", "cryptoloop"])
def test_extract_key_of_a_headerless_image(work, plain_iso, tmp_path, fmt):
    d, cb = work
    image = tmp_path / "weak.img"
    cb.run("encrypt-image", "-q", "--format", fmt, "--passphrase-file", cb.passfile,
           plain_iso["iso"], "-o", image, check=True)
    out = tmp_path / "key"
    proc = cb.run("extract-key", image, "-o", out)
    assert_refused(proc, 7, b"no key block and no LUKS header")
    assert not out.exists()
    # nor is a plain ISO one
    assert cb.run("extract-key", plain_iso["iso"]).returncode == 7


# ---- --compress ----------------------------------------------------------


@pytest.fixture(scope="module")
def compressible(work):
    d, _ = work
    src = d / "compressible"
    src.mkdir()
    line = b"enciso compressed its files with mkzftree before mkisofs saw them\n"
    (src / "big.txt").write_bytes(line * (2 * 1024 * 1024 // len(line) + 1))
    (src / "small.txt").write_text("tiny\n")
    (src / "noise.bin").write_bytes(os.urandom(64 * 1024))
    cbtest.stamp_tree(src)
    return src


def test_compress_makes_zisofs_that_reads_back(work, compressible, tmp_path):
    d, cb = work
    big = compressible / "big.txt"
    assert big.stat().st_size >= 2 * 1024 * 1024
    plain, _ = cb.image(compressible, output=tmp_path / "plain.luks", extra=["-q"])
    packed, _ = cb.image(compressible, output=tmp_path / "packed.luks",
                         extra=["-q", "--compress"])
    assert os.path.getsize(packed) + 1024 * 1024 < os.path.getsize(plain), (
        os.path.getsize(packed), os.path.getsize(plain))
    iso = cb.decrypt(packed, "luks2")
    # xorriso sees a zisofs stream (Rock Ridge ZF) on the big file
    out = cbtest.run(["xorriso", "-indev", str(iso), "-find", "/big.txt", "-exec",
                      "show_stream"], check=True).stdout.decode()
    assert re.search(r"'/big.txt' < --zisofs-decode:", out), out
    # isoinfo (no zisofs support) lists what is recorded: far less than 2 MB
    listing = cbtest.run(["isoinfo", "-l", "-R", "-i", str(iso)], check=True).stdout.decode()
    m = re.search(r"^\S+\s+\d+\s+\d+\s+\d+\s+(\d+) .*\sbig\.txt\s*$", listing, re.M)
    assert m is not None, listing
    assert int(m.group(1)) < big.stat().st_size // 10, listing
    # xorriso decompresses on extraction: the same tree, bytes and all
    cbtest.compare_trees(cbtest.expected_tree(compressible), cb.extract(iso))
    cbtest.assert_md5_match(iso)
    # without --compress there is no zisofs
    iso = cb.decrypt(plain, "luks2")
    out = cbtest.run(["xorriso", "-indev", str(iso), "-find", "/big.txt", "-exec",
                      "show_stream"], check=True).stdout.decode()
    assert "zisofs" not in out, out


# ---- refused combinations ------------------------------------------------


@pytest.mark.parametrize(
    "fmt,extra,words",
    [
        ("loop-aes", ["--noinfo", "--serial", "X"], [b"--noinfo", b"--serial"]),
        ("loop-aes", ["--noinfo", "--checksum", "md5"], [b"--noinfo", b"--checksum"]),
        ("luks2", ["--noinfo", "--serial", "X"], [b"--noinfo"]),
        ("luks2", ["--noinfo", "--checksum", "sha256"], [b"--noinfo"]),
        ("loop-aes", ["--checksum", "crc"], [b"crc"]),
        ("luks2", ["--checksum", "MD5x"], [b"MD5x"]),
        ("plain", ["--checksum", "md5"], [b"checksum"]),
        ("cryptoloop", ["--checksum", "sha256"], [b"checksum"]),
        ("luks1", ["--checksum", "md5"], [b"checksum"]),
        ("plain", ["--serial", "X"], [b"serial"]),
    ],
)
@pytest.mark.parametrize("command", ["image", "encrypt-image"])
def test_refused_combinations(work, plain_iso, tmp_path, command, fmt, extra, words):
    d, cb = work
    out = tmp_path / "out"
    source = plain_iso["src"] if command == "image" else plain_iso["iso"]
    proc = cb.run(command, "-q", "--format", fmt, "--passphrase-file", cb.passfile, *extra,
                  source, "-o", out)
    assert_refused(proc, 2, *words)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("fmt,checksum", [("loop-aes", "md5"), ("luks2", "sha256")])
def test_checksum_in_the_header_needs_a_file(work, plain_iso, fmt, checksum):
    d, cb = work
    proc = cb.run("image", "-q", "--format", fmt, "--checksum", checksum,
                  "--passphrase-file", cb.passfile, plain_iso["src"], "-o", "-")
    assert_refused(proc, 2, b"-o FILE")
    assert proc.stdout == b""


def test_noinfo_with_checksum_none_is_fine(work, plain_iso, tmp_path):
    d, cb = work
    out = tmp_path / "out.luks"
    cb.image(plain_iso["src"], output=out, extra=["-q", "--noinfo", "--checksum", "none"])
    assert cbtest.unlocks(out, cb.passfile) == 0
    assert cb.run("verify", "-q", out).returncode == 12


def test_extract_key_keeps_a_binary_header_off_the_terminal(work, luks_image, tmp_path):
    d, cb = work
    term = cbtest.spawn_on_pty([str(cb.binary), "extract-key", str(luks_image)],
                               env=dict(os.environ, LC_ALL="C.UTF-8"))
    rc = term.finish(timeout=60)
    assert rc == 4, term.output
    assert b"binary" in term.output
    assert b"LUKS\xba\xbe" not in term.output


def test_verify_luks1_records_nothing(work, plain_iso, tmp_path):
    d, cb = work
    image, _ = cb.image(plain_iso["src"], output=tmp_path / "l1.luks", fmt="luks1",
                        extra=["-q"])
    proc = cb.run("verify", image)
    assert proc.returncode == 12, cbtest.describe(proc)


@pytest.fixture
def loop_device():
    """Attaches a file read-only to a loop device, as a disc in a drive
    looks to cryptburn: a block device whose size the kernel tells."""
    attached = []

    def attach(path):
        if os.geteuid() != 0:
            pytest.skip("loop devices need root")
        proc = cbtest.run(["losetup", "--find", "--show", "--read-only", str(path)])
        if proc.returncode != 0:
            pytest.skip("no loop device: " + proc.stderr.decode(errors="replace"))
        device = proc.stdout.decode().strip()
        attached.append(device)
        return device

    yield attach
    for device in attached:
        cbtest.run(["losetup", "--detach", device])


def test_encrypt_verify_and_extract_key_on_block_devices(work, plain_iso, home, loop_device,
                                                         tmp_path):
    """enciso --encrypt /dev/cdrom: the input is a block device (its size
    from BLKGETSIZE64); verify and extract-key read a disc the same way."""
    eo.need("aespipe", "gpg")
    d, cb = work
    device = loop_device(plain_iso["iso"])
    out = tmp_path / "cdrom.img"
    cb.run("encrypt-image", "-q", "--format", "loop-aes", "--checksum", "md5",
           "--passphrase-file", cb.passfile, device, "-o", out, check=True)
    key = tmp_path / "key.gpg"
    key.write_bytes(eo.key_block(out))
    iso = eo.aespipe_decrypt(home, out, key, cb.passfile, KEY_AREA_SECTORS,
                             tmp_path / "back.iso", skip=KEY_AREA)
    eo.assert_payload_is(iso, plain_iso["iso"])

    disc = loop_device(out)
    proc = cb.run("verify", "-q", disc)
    assert proc.returncode == 0, cbtest.describe(proc)
    proc = cb.run("extract-key", disc)
    assert proc.returncode == 0, cbtest.describe(proc)
    assert proc.stdout == eo.key_block(out)
