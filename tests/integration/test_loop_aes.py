# SPDX-License-Identifier: GPL-3.0-or-later
"""cryptburn image --format loop-aes, as enciso made it: the key block in
the image's first 16 KiB or in a --keyfile, checked with Debian's aespipe
(the data), gpg (the key block) and xorriso (the ISO inside); extract-key
and verify on those images, checked against the bytes and hashlib.

GnuPG's s2k count of 65011712 makes each key encryption or decryption
cost a fraction of a second to a second: the images are made once per
module and shared."""

import hashlib
import json
import os
import re
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

import cbtest
import enciso_oracles as eo
from enciso_oracles import KEY_AREA, KEY_AREA_SECTORS

SERIAL = "ENCISO-0042"
# a zone far from UTC: the date= comment must not follow it
NON_UTC_TZ = "CBT-5:30"


def make_source(root, tag):
    root.mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "docs" / "readme.txt").write_text("read me (%s)\n" % tag)
    os.link(root / "docs" / "readme.txt", root / "docs" / "readme-again.txt")
    (root / "random.bin").write_bytes(os.urandom(300_000))
    (root / "script.sh").write_text("#!/bin/sh\necho %s\n" % tag)
    os.chmod(root / "script.sh", 0o755)
    (root / "secret.txt").write_text("only me\n")
    os.chmod(root / "secret.txt", 0o600)
    os.symlink("docs/readme.txt", root / "link")
    cbtest.stamp_tree(root)
    return root


def flipped_copy(image, at, dest):
    """A copy of image with one bit of the byte at offset at flipped."""
    data = bytearray(Path(image).read_bytes())
    data[at] ^= 0x01
    Path(dest).write_bytes(bytes(data))
    return Path(dest)


def verify(cb, *args):
    return cb.run("verify", *args)


def verify_json(cb, *args):
    proc = cb.run("verify", "--json", *args)
    return proc, json.loads(proc.stdout)


@pytest.fixture(scope="module")
def home():
    with eo.gnupg_home() as h:
        yield h


@pytest.fixture(scope="module")
def work(binaries, tmp_path_factory):
    d = tmp_path_factory.mktemp("loop-aes")
    return d, cbtest.Cryptburn(binaries, d)


@pytest.fixture(scope="module")
def header_image(work):
    """A loop-aes image with its key block in the header, a serial and an
    md5 checksum, made in a time zone far from UTC."""
    d, cb = work
    src = make_source(d / "src", "header")
    image = d / "header.img"
    before = time.time()
    proc = cb.run("image", "--format", "loop-aes", "--passphrase-file", cb.passfile,
                  "--serial", SERIAL, "--checksum", "md5", "--json", src, "-o", image,
                  env=dict(os.environ, TZ=NON_UTC_TZ))
    after = time.time()
    assert proc.returncode == 0, cbtest.describe(proc)
    return dict(cb=cb, src=src, image=image, before=before, after=after,
                report=json.loads(proc.stdout), block=eo.key_block(image))


@pytest.fixture(scope="module")
def header_decrypted(header_image, home, work):
    """The header image's payload decrypted by aespipe, and its ISO tree
    extracted by xorriso."""
    eo.need("aespipe", "gpg")
    d, cb = work
    key = d / "header-key.gpg"
    key.write_bytes(header_image["block"])
    iso = eo.aespipe_decrypt(home, header_image["image"], key, cb.passfile, KEY_AREA_SECTORS,
                             d / "header.iso", skip=KEY_AREA)
    return dict(key=key, iso=iso, out=cb.extract(iso))


# ---- the key block in the header ----------------------------------------


def test_aespipe_gives_back_the_source_tree(header_image, header_decrypted):
    iso = header_decrypted["iso"]
    size = os.path.getsize(header_image["image"])
    assert size == KEY_AREA + os.path.getsize(iso)
    assert eo.pvd_size(iso) <= os.path.getsize(iso)
    assert eo.iso_paths(iso) == eo.source_paths(header_image["src"])
    cbtest.compare_trees(cbtest.expected_tree(header_image["src"]), header_decrypted["out"])
    # the ISO's own MD5 tags: every byte aespipe gave back is right
    cbtest.assert_md5_match(iso)


def test_payload_is_not_in_the_clear(header_image, header_decrypted):
    data = Path(header_image["image"]).read_bytes()
    iso = Path(header_decrypted["iso"]).read_bytes()
    assert iso[32769:32774] == b"CD001"
    assert b"CD001" not in data[KEY_AREA:]
    random_bin = (header_image["src"] / "random.bin").read_bytes()
    assert random_bin[:4096] in iso
    assert random_bin[:4096] not in data


def test_key_block_is_gnupg_symmetric_with_encisos_s2k(header_image, header_decrypted, home):
    cb = header_image["cb"]
    fields, out = eo.gpg_packets(home, cb.passfile, header_decrypted["key"])
    assert fields == eo.GPG_S2K, out


def test_key_block_holds_65_keys_of_120_characters(header_image, header_decrypted, home):
    cb = header_image["cb"]
    text = eo.gpg_decrypt(home, cb.passfile, header_decrypted["key"])
    lines = text.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    assert len(lines) == 65, text
    assert all(len(line) == 120 for line in lines), [len(x) for x in lines]
    assert len(set(lines)) == 65, "repeated keys"
    # and the wrong passphrase does not open it
    proc = eo.gpg(home, cb.wrongfile, "-d", header_decrypted["key"])
    assert proc.returncode != 0


def test_armor_comments(header_image):
    comments = eo.armor_comments(header_image["block"])
    keys = [k for k, _ in comments]
    assert keys == ["timestamp", "date", "version", "encryption", "checksum",
                    "checksum-size", "serial"], comments
    c = dict(comments)
    stamp = int(c["timestamp"])
    assert header_image["before"] - 1 <= stamp <= header_image["after"] + 1
    # date= is UTC although cryptburn ran with TZ far from it
    assert re.fullmatch(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d", c["date"]), c["date"]
    when = datetime.strptime(c["date"], "%Y/%m/%d %H:%M:%S").replace(tzinfo=timezone.utc)
    assert int(when.timestamp()) == stamp, (c["date"], stamp)
    assert c["version"] == "cryptburn " + header_image["cb"].version()
    assert c["encryption"] == "multi-key-v3"
    assert c["serial"] == SERIAL
    # the recorded checksum is md5 of everything after the key area
    payload = Path(header_image["image"]).read_bytes()[KEY_AREA:]
    assert c["checksum"] == "md5:" + hashlib.md5(payload).hexdigest()
    assert int(c["checksum-size"]) == len(payload)
    # and md5sum agrees with hashlib
    proc = cbtest.run(["sh", "-c", 'tail -c +%d "$1" | md5sum' % (KEY_AREA + 1), "sh",
                       str(header_image["image"])], check=True)
    assert proc.stdout.split()[0].decode() == hashlib.md5(payload).hexdigest()


def test_json_report_and_info(header_image):
    cb, image = header_image["cb"], header_image["image"]
    report = header_image["report"]
    assert report["format"] == "loop-aes"
    assert report["data_offset"] == KEY_AREA
    assert report["serial"] == SERIAL
    assert report["keyfile"] is None
    data = Path(image).read_bytes()
    assert report["sha256"] == hashlib.sha256(data).hexdigest()
    assert report["checksum"] == "md5:" + hashlib.md5(data[KEY_AREA:]).hexdigest()
    info = json.loads(cb.run("info", "--json", image, check=True).stdout)
    assert info["format"] == "loop-aes"
    assert info["data_offset"] == KEY_AREA
    assert info["serial"] == SERIAL
    stamp = int(dict(eo.armor_comments(header_image["block"]))["timestamp"])
    assert info["created"] == datetime.fromtimestamp(stamp, timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def test_noinfo_writes_no_comment(work, home):
    eo.need("aespipe", "gpg")
    d, cb = work
    src = make_source(d / "src-noinfo", "noinfo")
    image = d / "noinfo.img"
    cb.run("image", "-q", "--format", "loop-aes", "--noinfo", "--passphrase-file",
           cb.passfile, src, "-o", image, check=True)
    block = eo.key_block(image)
    assert b"Comment" not in block
    assert eo.armor_comments(block) == []
    assert b"cryptburn" not in Path(image).read_bytes()[:KEY_AREA]
    # still a key block aespipe opens
    key = d / "noinfo-key.gpg"
    key.write_bytes(block)
    iso = eo.aespipe_decrypt(home, image, key, cb.passfile, KEY_AREA_SECTORS,
                             d / "noinfo.iso", skip=KEY_AREA)
    assert eo.iso_paths(iso) == eo.source_paths(src)
    info = json.loads(cb.run("info", "--json", image, check=True).stdout)
    assert info["format"] == "loop-aes"
    assert info["created"] is None and info["version"] is None and info["serial"] is None
    # nothing recorded, nothing to verify
    assert verify(cb, "-q", image).returncode == 12


def test_kernel_path_cryptsetup_loopaes_open(header_image, header_decrypted, home):
    """gpg -d key | cryptsetup loopaesOpen, as the man page says; needs
    root and a working device-mapper, which a container rarely has."""
    eo.need("dmsetup")
    if os.geteuid() != 0:
        pytest.skip("cryptsetup loopaesOpen needs root")
    if cbtest.run(["dmsetup", "version"]).returncode != 0:
        pytest.skip("no device-mapper in this kernel or container")
    cb = header_image["cb"]
    name = "cbtest-loopaes-%d" % os.getpid()
    keys = eo.gpg_decrypt(home, cb.passfile, header_decrypted["key"])
    proc = cbtest.run(["cryptsetup", "loopaesOpen", "--readonly", "--key-file=-", "--offset",
                       str(KEY_AREA_SECTORS), "--skip", str(KEY_AREA_SECTORS),
                       str(header_image["image"]), name], input=keys)
    assert proc.returncode == 0, cbtest.describe(proc)
    try:
        with open("/dev/mapper/" + name, "rb") as f:
            mapped = f.read()
    finally:
        cbtest.run(["cryptsetup", "close", name], check=True)
    assert mapped == Path(header_decrypted["iso"]).read_bytes()


# ---- extract-key ---------------------------------------------------------


def test_extract_key_prints_the_key_block(header_image, tmp_path):
    cb, image = header_image["cb"], header_image["image"]
    proc = cb.run("extract-key", image, check=True)
    assert proc.stdout == header_image["block"]
    out = tmp_path / "key.gpg"
    cb.run("extract-key", image, "-o", out, check=True)
    assert out.read_bytes() == header_image["block"]
    # an existing file is not replaced without --force
    out.write_bytes(b"keep me\n")
    proc = cb.run("extract-key", image, "-o", out)
    assert proc.returncode == 4, cbtest.describe(proc)
    assert out.read_bytes() == b"keep me\n"
    cb.run("extract-key", "--force", image, "-o", out, check=True)
    assert out.read_bytes() == header_image["block"]


def test_extract_key_onto_a_terminal(header_image):
    """The key block is text: it may go to a terminal (a LUKS header may
    not, test_enciso_commands.py)."""
    cb, image = header_image["cb"], header_image["image"]
    term = cbtest.spawn_on_pty([str(cb.binary), "extract-key", str(image)],
                               env=dict(os.environ, LC_ALL="C.UTF-8"))
    rc = term.finish(timeout=60)
    assert rc == 0, term.output
    assert term.output.replace(b"\r\n", b"\n") == header_image["block"]


# ---- verify --------------------------------------------------------------


def test_verify_a_good_image(header_image):
    cb, image = header_image["cb"], header_image["image"]
    proc = verify(cb, image)
    assert proc.returncode == 0, cbtest.describe(proc)
    md5 = hashlib.md5(Path(image).read_bytes()[KEY_AREA:]).hexdigest()
    proc, report = verify_json(cb, image)
    assert proc.returncode == 0, cbtest.describe(proc)
    assert report["recorded"] == "md5:" + md5
    assert report["computed"] == "md5:" + md5
    assert report["match"] is True
    assert report["size"] == os.path.getsize(image) - KEY_AREA


def test_verify_a_flipped_payload_byte(header_image, tmp_path):
    cb, image = header_image["cb"], header_image["image"]
    size = os.path.getsize(image)
    for at in (KEY_AREA, KEY_AREA + (size - KEY_AREA) // 2, size - 1):
        bad = flipped_copy(image, at, tmp_path / ("flipped-%d" % at))
        proc = verify(cb, "-q", bad)
        assert proc.returncode == 11, (at, cbtest.describe(proc))
        proc, report = verify_json(cb, bad)
        assert proc.returncode == 11
        assert report["match"] is False
        assert report["computed"] == "md5:" + hashlib.md5(
            bad.read_bytes()[KEY_AREA:]).hexdigest()
        assert report["recorded"] != report["computed"]


def test_verify_reads_only_the_recorded_size(header_image, tmp_path):
    """A disc reads back longer than what was written; shorter is damage."""
    cb, image = header_image["cb"], header_image["image"]
    data = Path(image).read_bytes()
    longer = tmp_path / "longer"
    longer.write_bytes(data + bytes(300 * 1024))
    assert verify(cb, "-q", longer).returncode == 0
    shorter = tmp_path / "shorter"
    shorter.write_bytes(data[:-2048])
    proc = verify(cb, "-q", shorter)
    assert proc.returncode == 11, cbtest.describe(proc)


def test_verify_without_a_recorded_checksum(work):
    d, cb = work
    src = make_source(d / "src-nosum", "nosum")
    image = d / "nosum.img"
    cb.run("image", "-q", "--format", "loop-aes", "--passphrase-file", cb.passfile, src,
           "-o", image, check=True)
    assert "checksum" not in dict(eo.armor_comments(eo.key_block(image)))
    proc = verify(cb, image)
    assert proc.returncode == 12, cbtest.describe(proc)
    assert b"without --checksum" in proc.stderr
    proc, report = verify_json(cb, image)
    assert proc.returncode == 12
    assert report["recorded"] is None and report["match"] is False


# ---- a separate key file -------------------------------------------------


@pytest.fixture(scope="module")
def keyfile_images(work):
    """Image A with a new key file K (and an md5 checksum in K), then
    image B of another source with K reused."""
    d, cb = work
    src_a = make_source(d / "src-a", "first")
    src_b = make_source(d / "src-b", "second")
    (src_b / "only-in-b.txt").write_text("b\n")
    keyfile = d / "cdrom.gpg"
    image_a = d / "a.img"
    image_b = d / "b.img"
    cb.run("image", "-q", "--format", "loop-aes", "--keyfile", keyfile, "--checksum", "md5",
           "--passphrase-file", cb.passfile, src_a, "-o", image_a, check=True)
    first = keyfile.read_bytes()
    first_stat = keyfile.stat()
    proc = cb.run("image", "-q", "--format", "loop-aes", "--keyfile", keyfile, "--json",
                  "--passphrase-file", cb.passfile, src_b, "-o", image_b, check=True)
    return dict(cb=cb, src_a=src_a, src_b=src_b, keyfile=keyfile, image_a=image_a,
                image_b=image_b, first=first, first_stat=first_stat,
                report_b=json.loads(proc.stdout))


def test_keyfile_image_is_all_data(keyfile_images, home, tmp_path):
    eo.need("aespipe", "gpg")
    k = keyfile_images
    iso = eo.aespipe_decrypt(home, k["image_a"], k["keyfile"], k["cb"].passfile, 0,
                             tmp_path / "a.iso")
    # no header: the image is exactly the ISO, which starts at byte 0
    assert os.path.getsize(k["image_a"]) == os.path.getsize(iso)
    assert eo.pvd_size(iso) == os.path.getsize(iso)
    assert Path(k["image_a"]).read_bytes()[:27] != b"-----BEGIN PGP MESSAGE-----"
    cbtest.compare_trees(cbtest.expected_tree(k["src_a"]), k["cb"].extract(iso))
    # so there is no key block to extract, and no record to verify
    assert k["cb"].run("extract-key", k["image_a"]).returncode == 7
    assert verify(k["cb"], "-q", k["image_a"]).returncode == 7


def test_keyfile_has_the_comments(keyfile_images, home):
    eo.need("gpg")
    k = keyfile_images
    text = k["first"].decode("ascii")
    assert text.startswith("-----BEGIN PGP MESSAGE-----\n")
    assert text.endswith("-----END PGP MESSAGE-----\n")
    c = dict(eo.armor_comments(text))
    assert c["encryption"] == "multi-key-v3"
    assert c["version"] == "cryptburn " + k["cb"].version()
    assert "timestamp" in c and "date" in c
    assert c["checksum"] == "md5:" + hashlib.md5(Path(k["image_a"]).read_bytes()).hexdigest()
    fields, out = eo.gpg_packets(home, k["cb"].passfile, k["keyfile"])
    assert fields == eo.GPG_S2K, out


def test_keyfile_is_reused_unchanged(keyfile_images, home, tmp_path):
    eo.need("aespipe", "gpg")
    k = keyfile_images
    assert k["keyfile"].read_bytes() == k["first"]
    assert k["keyfile"].stat().st_mtime_ns == k["first_stat"].st_mtime_ns
    assert k["report_b"]["keyfile_reused"] is True
    assert k["report_b"]["data_offset"] == 0
    iso = eo.aespipe_decrypt(home, k["image_b"], k["keyfile"], k["cb"].passfile, 0,
                             tmp_path / "b.iso")
    cbtest.compare_trees(cbtest.expected_tree(k["src_b"]), k["cb"].extract(iso))


def test_verify_with_the_keyfile(keyfile_images, tmp_path):
    k = keyfile_images
    cb = k["cb"]
    proc = verify(cb, k["image_a"], "--keyfile", k["keyfile"])
    assert proc.returncode == 0, cbtest.describe(proc)
    proc, report = verify_json(cb, "--keyfile", k["keyfile"], k["image_a"])
    assert report["match"] is True
    assert report["recorded"] == report["computed"] == "md5:" + hashlib.md5(
        Path(k["image_a"]).read_bytes()).hexdigest()
    bad = flipped_copy(k["image_a"], 40000, tmp_path / "a-flipped")
    proc = verify(cb, "-q", bad, "--keyfile", k["keyfile"])
    assert proc.returncode == 11, cbtest.describe(proc)
    # a --keyfile that is no key file
    text = tmp_path / "notes.txt"
    text.write_text("no key here\n")
    proc = verify(cb, "-q", k["image_a"], "--keyfile", text)
    assert proc.returncode == 3, cbtest.describe(proc)


def test_info_and_verify_on_the_keyfile_itself(keyfile_images):
    """A key file says what it records (no passphrase needed) but holds no
    data: info calls it a key file, verify asks for the image instead."""
    k = keyfile_images
    cb = k["cb"]
    proc = cb.run("info", "--json", k["keyfile"])
    assert proc.returncode == 0, cbtest.describe(proc)
    info = json.loads(proc.stdout)
    assert info["format"] == "loop-aes key file"
    assert info["data_offset"] == 0 and info["image_size"] == 0
    assert info["checksum"] == "md5:" + hashlib.md5(
        Path(k["image_a"]).read_bytes()).hexdigest()
    proc = verify(cb, "-q", k["keyfile"])
    assert proc.returncode == 2, cbtest.describe(proc)
    assert b"--keyfile" in proc.stderr
    # the image alone: nothing to recognise, and the message says why
    proc = cb.run("info", k["image_a"])
    assert proc.returncode == 7
    assert b"key file of their own" in proc.stderr


def test_keyfile_reuse_with_the_wrong_passphrase(keyfile_images, tmp_path):
    k = keyfile_images
    out = tmp_path / "c.img"
    before = set(os.listdir(tmp_path))
    proc = k["cb"].run("image", "-q", "--format", "loop-aes", "--keyfile", k["keyfile"],
                       "--passphrase-file", k["cb"].wrongfile, k["src_a"], "-o", out)
    assert proc.returncode == 6, cbtest.describe(proc)
    assert b"passphrase" in proc.stderr
    assert cbtest.OTHER_PASSPHRASE.encode() not in proc.stderr
    assert not out.exists()
    assert set(os.listdir(tmp_path)) == before
    assert k["keyfile"].read_bytes() == k["first"]


@pytest.mark.parametrize("extra", [["--serial", "S-2"], ["--checksum", "md5"],
                                   ["--checksum", "sha256"]])
def test_keyfile_reuse_takes_no_new_record(keyfile_images, tmp_path, extra):
    k = keyfile_images
    out = tmp_path / "c.img"
    proc = k["cb"].run("image", "-q", "--format", "loop-aes", "--keyfile", k["keyfile"],
                       "--passphrase-file", k["cb"].passfile, *extra, k["src_a"], "-o", out)
    assert proc.returncode == 2, cbtest.describe(proc)
    assert not out.exists()
    assert k["keyfile"].read_bytes() == k["first"]


def test_keyfile_that_is_not_a_key_file_fails_before_asking(binaries, tmp_path):
    """On a terminal and without --passphrase-file: no prompt appears."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "f.txt").write_text("f\n")
    text = tmp_path / "shopping-list.txt"
    text.write_text("milk\neggs\n")
    out = tmp_path / "out.img"
    term = cbtest.spawn_on_pty([str(binaries[0]), "image", "--format", "loop-aes",
                                "--keyfile", str(text), str(src), "-o", str(out)],
                               env=dict(os.environ, LC_ALL="C.UTF-8"))
    rc = term.finish(timeout=60)
    assert rc == 3, term.output
    assert b"not a loop-AES key file" in term.output, term.output
    assert b"assphrase" not in term.output, term.output
    assert text.read_text() == "milk\neggs\n"
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["luks2", "luks1", "plain", "cryptoloop"])
def test_keyfile_is_for_loop_aes_only(work, tmp_path, fmt):
    d, cb = work
    src = tmp_path / "src"
    src.mkdir()
    (src / "f.txt").write_text("f\n")
    keyfile = tmp_path / "k.gpg"
    out = tmp_path / "out.img"
    proc = cb.run("image", "-q", "--format", fmt, "--keyfile", keyfile, "--passphrase-file",
                  cb.passfile, src, "-o", out)
    assert proc.returncode == 2, cbtest.describe(proc)
    assert b"--keyfile" in proc.stderr
    assert not out.exists() and not keyfile.exists()


def test_keyfile_must_not_be_the_image(work, tmp_path):
    d, cb = work
    src = tmp_path / "src"
    src.mkdir()
    (src / "f.txt").write_text("f\n")
    out = tmp_path / "out.img"
    proc = cb.run("image", "-q", "--format", "loop-aes", "--keyfile", out,
                  "--passphrase-file", cb.passfile, src, "-o", out)
    assert proc.returncode == 2, cbtest.describe(proc)
    assert not out.exists()


def test_keyfile_new_with_image_on_stdout(work, home, tmp_path):
    """With --keyfile the checksum goes to the key file, so -o - may take
    one; the image on standard output is the bare data."""
    eo.need("aespipe", "gpg")
    d, cb = work
    src = make_source(tmp_path / "src", "stdout")
    keyfile = tmp_path / "k.gpg"
    image = tmp_path / "stdout.img"
    with open(image, "wb") as f:
        proc = cb.run("image", "-q", "--format", "loop-aes", "--keyfile", keyfile,
                      "--checksum", "md5", "--passphrase-file", cb.passfile, src, "-o", "-",
                      stdout=f)
    assert proc.returncode == 0, cbtest.describe(proc)
    c = dict(eo.armor_comments(keyfile.read_bytes()))
    assert c["checksum"] == "md5:" + hashlib.md5(image.read_bytes()).hexdigest()
    assert verify(cb, "-q", image, "--keyfile", keyfile).returncode == 0
    iso = eo.aespipe_decrypt(home, image, keyfile, cb.passfile, 0, tmp_path / "stdout.iso")
    assert eo.iso_paths(iso) == eo.source_paths(src)


def test_verify_with_a_keyfile_that_records_no_checksum(work, tmp_path):
    d, cb = work
    src = make_source(tmp_path / "src", "bare")
    keyfile = tmp_path / "bare.gpg"
    image = tmp_path / "bare.img"
    cb.run("image", "-q", "--format", "loop-aes", "--keyfile", keyfile, "--noinfo",
           "--passphrase-file", cb.passfile, src, "-o", image, check=True)
    assert eo.armor_comments(keyfile.read_bytes()) == []
    proc = verify(cb, image, "--keyfile", keyfile)
    assert proc.returncode == 12, cbtest.describe(proc)
    assert str(keyfile).encode() in proc.stderr
    assert verify(cb, "-q", image, "--keyfile", tmp_path / "missing.gpg").returncode == 3


def test_an_empty_keyfile_is_a_place_for_a_new_one(work, home, tmp_path):
    eo.need("aespipe", "gpg")
    d, cb = work
    src = make_source(tmp_path / "src", "empty")
    keyfile = tmp_path / "made-beforehand.gpg"
    keyfile.write_bytes(b"")
    image = tmp_path / "e.img"
    cb.run("image", "-q", "--format", "loop-aes", "--keyfile", keyfile, "--passphrase-file",
           cb.passfile, src, "-o", image, check=True)
    assert keyfile.read_bytes().startswith(b"-----BEGIN PGP MESSAGE-----\n")
    iso = eo.aespipe_decrypt(home, image, keyfile, cb.passfile, 0, tmp_path / "e.iso")
    assert eo.iso_paths(iso) == eo.source_paths(src)


@pytest.mark.parametrize("why", ["missing source", "output exists"])
def test_a_failed_run_leaves_no_new_keyfile(work, tmp_path, why):
    d, cb = work
    src = make_source(tmp_path / "src", "fail")
    keyfile = tmp_path / "new.gpg"
    image = tmp_path / "out.img"
    if why == "missing source":
        src, code = tmp_path / "no-such-dir", 3
    else:
        image.write_bytes(b"an older image\n")
        code = 4
    proc = cb.run("image", "-q", "--format", "loop-aes", "--keyfile", keyfile,
                  "--passphrase-file", cb.passfile, src, "-o", image)
    assert proc.returncode == code, cbtest.describe(proc)
    assert not keyfile.exists()
    if why == "output exists":
        assert image.read_bytes() == b"an older image\n"


def test_image_on_standard_output(work, home, tmp_path):
    """No checksum: the key block is known before the data, so the image
    can go to a pipe, key area first."""
    eo.need("aespipe", "gpg")
    d, cb = work
    src = make_source(tmp_path / "src", "pipe")
    image = tmp_path / "piped.img"
    with open(image, "wb") as f:
        proc = cb.run("image", "-q", "--format", "loop-aes", "--serial", "P-1",
                      "--passphrase-file", cb.passfile, src, "-o", "-", stdout=f)
    assert proc.returncode == 0, cbtest.describe(proc)
    block = eo.key_block(image)
    assert dict(eo.armor_comments(block))["serial"] == "P-1"
    key = tmp_path / "key.gpg"
    key.write_bytes(block)
    iso = eo.aespipe_decrypt(home, image, key, cb.passfile, KEY_AREA_SECTORS,
                             tmp_path / "piped.iso", skip=KEY_AREA)
    cbtest.compare_trees(cbtest.expected_tree(src), cb.extract(iso))


def test_passphrase_hex_with_loop_aes(work, home, tmp_path):
    """Any byte but line break and NUL reaches gpg as it is; aespipe and
    gpg given the same raw bytes open the image. A line break or NUL, which
    gpg would cut the passphrase at, is refused."""
    eo.need("aespipe", "gpg")
    d, cb = work
    src = make_source(tmp_path / "src", "hex")
    raw = bytes.fromhex("fffe8041c3a95a7e3c1d2b9a0d7f")
    hexfile = cbtest.write_passphrase_file(tmp_path / "hex", raw.hex())
    rawfile = cbtest.write_passphrase_file(tmp_path / "raw", raw)
    image = tmp_path / "hex.img"
    cb.run("image", "-q", "--format", "loop-aes", "--passphrase-hex", "--allow-weak-passphrase",
           "--passphrase-file", hexfile, src, "-o", image, check=True)
    key = tmp_path / "key.gpg"
    key.write_bytes(eo.key_block(image))
    fields, out = eo.gpg_packets(home, rawfile, key)
    assert fields == eo.GPG_S2K, out
    iso = eo.aespipe_decrypt(home, image, key, rawfile, KEY_AREA_SECTORS, tmp_path / "hex.iso",
                             skip=KEY_AREA)
    assert eo.iso_paths(iso) == eo.source_paths(src)
    # the hex digits themselves are not the passphrase
    assert eo.gpg(home, hexfile, "-d", key).returncode != 0
    for bad in ("41424344454647480a494a4b4c4d4e4f", "414243444546474800494a4b4c4d4e4f"):
        cbtest.write_passphrase_file(hexfile, bad)
        out_img = tmp_path / "bad.img"
        proc = cb.run("image", "-q", "--format", "loop-aes", "--passphrase-hex",
                      "--allow-weak-passphrase", "--passphrase-file", hexfile, src, "-o",
                      out_img)
        assert proc.returncode == 6, cbtest.describe(proc)
        assert b"line break or a NUL" in proc.stderr
        assert not out_img.exists()
