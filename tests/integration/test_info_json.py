# SPDX-License-Identifier: GPL-3.0-or-later
"""The --json report of cryptburn image, -o -, and cryptburn info."""

import hashlib
import json
import os
from datetime import datetime, timedelta, timezone

import pytest

import cbtest
from cbtest import FORMATS

IMAGE_KEYS = {
    "output",
    "format",
    "size",
    "data_offset",
    "iso_size",
    "volume_id",
    "serial",
    "created",
    "keyfile",
    "keyfile_reused",
    "checksum",
    "sha256",
}
INFO_KEYS = {
    "image",
    "format",
    "cipher",
    "key_bits",
    "sector_size",
    "data_offset",
    "image_size",
    "pbkdf",
    "uuid",
    "volume_id",
    "serial",
    "created",
    "version",
    "checksum",
    "checksum_size",
}


@pytest.fixture
def src(tmp_path):
    d = tmp_path / "Holiday Photos"
    (d / "day1").mkdir(parents=True)
    (d / "day1" / "beach.jpg").write_bytes(os.urandom(40000))
    (d / "notes.txt").write_text("sunny\n")
    return d


def _parse_created(text):
    assert text.endswith("Z"), text
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_image_json_report(cb, tmp_path, src, fmt):
    out = tmp_path / "report.luks"
    extra = ["--json", "--volume-id", "HOLIDAY_2024"]
    if fmt == "luks2":
        extra += ["--serial", "DISC-0007"]
    before = datetime.now(timezone.utc).replace(microsecond=0)
    _, proc = cb.image(src, output=out, fmt=fmt, extra=extra)
    after = datetime.now(timezone.utc)
    report = json.loads(proc.stdout)
    assert set(report) == IMAGE_KEYS
    assert report["output"] == str(out)
    assert report["format"] == fmt
    assert report["size"] == os.path.getsize(out)
    assert report["sha256"] == _sha256(out)
    assert report["data_offset"] == FORMATS[fmt]["data_offset"]
    assert report["iso_size"] == report["size"] - report["data_offset"]
    assert report["iso_size"] % 2048 == 0
    assert report["volume_id"] == "HOLIDAY_2024"
    assert report["serial"] == ("DISC-0007" if fmt == "luks2" else None)
    created = _parse_created(report["created"])
    assert before - timedelta(seconds=1) <= created <= after + timedelta(seconds=1)
    # the decrypted payload is exactly iso_size long and a complete ISO
    iso = cb.decrypt(out, fmt)
    assert os.path.getsize(iso) == report["iso_size"]
    cbtest.assert_md5_match(iso)


def test_json_report_of_a_replaced_image(cb, tmp_path, src):
    out = tmp_path / "again.luks"
    out.write_bytes(b"old\n")
    _, proc = cb.image(src, output=out, extra=["--json", "--force"])
    report = json.loads(proc.stdout)
    assert report["sha256"] == _sha256(out)
    assert report["size"] == os.path.getsize(out)


def test_image_to_stdout(cb, tmp_path, src):
    """-o - streams the image into a pipe: the same image as a file."""
    proc = cb.run(
        "image",
        *FORMATS["luks2"]["fast"],
        "--passphrase-file",
        cb.passfile,
        src,
        "-o",
        "-",
    )
    assert proc.returncode == 0, cbtest.describe(proc)
    captured = tmp_path / "from-stdout.luks"
    captured.write_bytes(proc.stdout)
    assert proc.stdout[:6] == b"LUKS\xba\xbe"
    dump = cbtest.luks_dump(captured)
    assert cbtest.dump_field(dump, "Version") == "2"
    assert "aes-xts-plain64" in dump
    assert cbtest.unlocks(captured, cb.passfile) == 0
    assert cbtest.unlocks(captured, cb.wrongfile) != 0
    iso = cb.decrypt(captured)
    cbtest.assert_md5_match(iso)
    cbtest.compare_trees(cbtest.expected_tree(src), cb.extract(iso))
    # as long as the same tree written to a file
    as_file, _ = cb.image(src)
    assert os.path.getsize(as_file) == len(proc.stdout)


def test_json_cannot_go_with_stdout(cb, tmp_path, src):
    proc = cb.run("image", "--json", "--passphrase-file", cb.passfile, src, "-o", "-")
    assert proc.returncode == 2, cbtest.describe(proc)
    assert "--json" in proc.stderr.decode()
    assert proc.stdout == b""


def test_info_json_luks2(cb, tmp_path, src):
    out = tmp_path / "info.luks"
    _, made = cb.image(src, output=out, extra=["--json", "--serial", "SER-123"])
    report = json.loads(made.stdout)
    info = json.loads(cb.run("info", "--json", out, check=True).stdout)
    dump = cbtest.luks_dump(out)
    assert set(info) == INFO_KEYS
    assert info["image"] == str(out)
    assert info["format"] == "luks2"
    assert info["cipher"] == "aes-xts-plain64"
    assert info["key_bits"] == 512
    assert info["sector_size"] == 2048
    assert info["data_offset"] == 1048576
    assert info["image_size"] == report["iso_size"]
    assert info["pbkdf"] == "argon2id"
    assert info["uuid"] == cbtest.dump_field(dump, "UUID")
    # without --volume-id: the first source's name, also the LUKS2 label
    assert info["volume_id"] == "Holiday Photos" == report["volume_id"]
    assert cbtest.dump_field(dump, "Label") == "Holiday Photos"
    assert cbtest.pvd_info(cb.decrypt(out))["Volume id"] == "Holiday Photos"
    assert info["serial"] == "SER-123"
    assert info["created"] == report["created"]
    _parse_created(info["created"])
    assert info["version"] == cb.version()


def test_info_json_luks1(cb, tmp_path, src):
    out, _ = cb.image(src, fmt="luks1")
    info = json.loads(cb.run("info", "--json", out, check=True).stdout)
    assert set(info) == INFO_KEYS
    assert info["format"] == "luks1"
    assert info["cipher"] == "aes-xts-plain64"
    assert info["key_bits"] == 512
    assert info["sector_size"] == 512
    assert info["data_offset"] == 2097152
    assert info["image_size"] == os.path.getsize(out) - 2097152
    assert info["pbkdf"] == "pbkdf2"
    assert info["uuid"] == cbtest.dump_field(cbtest.luks_dump(out), "UUID")


def test_info_text(cb, tmp_path, src):
    out, _ = cb.image(src, extra=["--serial", "TXT-9", "--volume-id", "TEXTVOL"])
    text = cb.run("info", out, check=True).stdout.decode()
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    assert fields["Format"] == "luks2"
    assert fields["Cipher"] == "aes-xts-plain64"
    assert fields["Key size"] == "512 bits"
    assert fields["Sector size"] == "2048 bytes"
    assert fields["Data offset"].startswith("1048576 bytes")
    assert fields["Key derivation"] == "argon2id"
    assert fields["Volume id"] == "TEXTVOL"
    assert fields["Serial"] == "TXT-9"
    assert fields["Created"].endswith("Z")
    assert fields["Written by"] in (cb.version(), "cryptburn " + cb.version())
    assert fields["UUID"] == cbtest.dump_field(cbtest.luks_dump(out), "UUID")


def test_default_volume_id_fits_iso_9660(cb, tmp_path):
    """The first source's name, cut to 32 bytes on a character boundary."""
    src = tmp_path / "Überweisungen und Steuerunterlagen 2025 ✓"
    src.mkdir()
    (src / "a.txt").write_text("a\n")
    out, proc = cb.image([src], extra=["--json"])
    report = json.loads(proc.stdout)
    volume_id = report["volume_id"]
    # "Ü" takes two bytes: 32 bytes end after "Steuerunterla"
    assert volume_id == "Überweisungen und Steuerunterla"
    assert len(volume_id.encode()) == 32
    assert cbtest.dump_field(cbtest.luks_dump(out), "Label") == volume_id
