# SPDX-License-Identifier: GPL-3.0-or-later
"""The promised LUKS formats, checked with cryptsetup and the OpenSSL oracle."""

import json
import os
import re
from datetime import datetime, timedelta, timezone

import pytest

import cbtest
from cbtest import FORMATS

MARKER = b"CRYPTBURN-PLAINTEXT-MARKER-6f1d9a2c"
# where the marker sits in its file: past the first 512 bytes of a
# 2048-byte sector, so decrypting with the wrong sector size garbles it
MARKER_AT = 1000
VOLUME_ID = "FORMAT_TEST"
SERIAL = "SN-2024-0042"


def make_source(root):
    root.mkdir()
    (root / "docs").mkdir()
    (root / "docs" / "readme.txt").write_text("read me\n")
    with open(root / "marker.bin", "wb") as f:
        f.write(b"\0" * MARKER_AT + MARKER + b"\0" * 500)
    (root / "random.bin").write_bytes(os.urandom(300_000))
    (root / "script.sh").write_text("#!/bin/sh\necho hi\n")
    os.chmod(root / "script.sh", 0o755)
    (root / "secret.txt").write_text("only me\n")
    os.chmod(root / "secret.txt", 0o600)
    os.symlink("docs/readme.txt", root / "link")
    os.link(root / "docs" / "readme.txt", root / "docs" / "readme-again.txt")
    cbtest.stamp_tree(root)


@pytest.fixture(scope="module", params=sorted(FORMATS))
def built(request, binaries, tmp_path_factory):
    """One image per format, with its decryption and extraction."""
    fmt = request.param
    work = tmp_path_factory.mktemp("format-" + fmt)
    cb = cbtest.Cryptburn(binaries, work)
    src = work / "source"
    make_source(src)
    before = datetime.now(timezone.utc).replace(microsecond=0)
    extra = ["--volume-id", VOLUME_ID]
    if fmt == "luks2":
        extra += ["--serial", SERIAL]
    image, proc = cb.image(src, fmt=fmt, extra=extra)
    after = datetime.now(timezone.utc)
    iso = cb.decrypt(image, fmt)
    out = cb.extract(iso)
    return dict(
        fmt=fmt,
        cb=cb,
        src=src,
        image=image,
        iso=iso,
        out=out,
        proc=proc,
        dump=cbtest.luks_dump(image),
        before=before,
        after=after,
    )


def _section(dump, title):
    """The lines of a luksDump section ("Data segments:", "Keyslots:" ...)."""
    m = re.search(r"^" + re.escape(title) + r"\n((?:[ \t].*\n?)*)", dump, re.M)
    assert m is not None, "no %r section in:\n%s" % (title, dump)
    return m.group(1)


def test_luks_header_is_as_promised(built):
    fmt, dump = built["fmt"], built["dump"]
    desc = FORMATS[fmt]
    assert cbtest.dump_field(dump, "Version") == str(desc["version"])
    if fmt == "luks2":
        segment = _section(dump, "Data segments:")
        assert cbtest.dump_field(segment, "cipher") == "aes-xts-plain64"
        assert cbtest.dump_field(segment, "sector") == "2048 [bytes]"
        assert cbtest.dump_field(segment, "offset") == "1048576 [bytes]"
        keyslots = _section(dump, "Keyslots:")
        assert cbtest.dump_field(keyslots, "Key") == "512 bits"
        assert cbtest.dump_field(keyslots, "PBKDF") == "argon2id"
        # the forced parameters reached libcryptsetup
        assert cbtest.dump_field(keyslots, "Time cost") == "4"
        assert cbtest.dump_field(keyslots, "Memory") == "32768"
    else:
        assert cbtest.dump_field(dump, "Cipher name") == "aes"
        assert cbtest.dump_field(dump, "Cipher mode") == "xts-plain64"
        assert cbtest.dump_field(dump, "MK bits") == "512"
        # 512-byte sectors: 4096 of them are 2 MiB
        assert cbtest.dump_field(dump, "Payload offset") == "4096"
        assert "Key Slot 0: ENABLED" in dump
        assert cbtest.dump_field(dump, "Iterations") == "1000"


@pytest.mark.parametrize("built", ["luks1"], indirect=True)
def test_luks1_kdf_and_sector_size_seen_by_cryptsetup(built, tmp_path):
    """LUKS1 has no PBKDF or sector field; cryptsetup's conversion to
    LUKS2 of a copy spells out what the LUKS1 header means."""
    copy = tmp_path / "converted"
    with open(built["image"], "rb") as f, open(copy, "wb") as g:
        g.write(f.read(FORMATS["luks1"]["data_offset"] + 4096))
    cbtest.run(["cryptsetup", "convert", "--type", "luks2", "--batch-mode", str(copy)], check=True)
    dump = cbtest.luks_dump(copy)
    segment = _section(dump, "Data segments:")
    assert cbtest.dump_field(segment, "cipher") == "aes-xts-plain64"
    assert cbtest.dump_field(segment, "sector") == "512 [bytes]"
    assert cbtest.dump_field(segment, "offset") == "2097152 [bytes]"
    keyslots = _section(dump, "Keyslots:")
    assert cbtest.dump_field(keyslots, "PBKDF") == "pbkdf2"
    assert cbtest.dump_field(keyslots, "Key") == "512 bits"


def test_cryptsetup_accepts_only_the_right_passphrase(built):
    cb = built["cb"]
    assert cbtest.unlocks(built["image"], cb.passfile) == 0
    assert cbtest.unlocks(built["image"], cb.wrongfile) != 0


def test_decrypted_tree_equals_the_source(built):
    cbtest.compare_trees(cbtest.expected_tree(built["src"]), built["out"])


def test_decrypted_iso_md5_tags_match(built):
    cbtest.assert_md5_match(built["iso"])


def test_image_size_is_header_plus_iso(built):
    size = os.path.getsize(built["image"])
    assert size == FORMATS[built["fmt"]]["data_offset"] + os.path.getsize(built["iso"])
    assert os.path.getsize(built["iso"]) % 2048 == 0


def test_payload_is_encrypted(built):
    with open(built["image"], "rb") as f:
        data = f.read()
    assert MARKER not in data, "the plaintext marker is readable in the image"
    # the marker is findable where it is in the clear: the check can fail
    with open(built["iso"], "rb") as f:
        assert MARKER in f.read()
    # and the ISO's own "CD001" descriptor is not in the clear either
    assert data[FORMATS[built["fmt"]]["data_offset"] + 32768 + 1 :][:5] != b"CD001"


def test_oracle_needs_the_promised_sector_size(built):
    """Decrypting with the other sector size garbles everything past the
    first 512 bytes of each 2048-byte block: the promised size is the real one."""
    fmt, cb = built["fmt"], built["cb"]
    other = 512 if FORMATS[fmt]["sector_size"] == 2048 else 2048
    wrong = cb.decrypt(built["image"], fmt, sector_size=other)
    with open(wrong, "rb") as f:
        data = f.read()
    assert MARKER not in data
    with open(built["iso"], "rb") as f:
        assert f.read() != data


@pytest.mark.parametrize("built", ["luks2"], indirect=True)
def test_luks2_token_label_and_info(built):
    cb, dump, image = built["cb"], built["dump"], built["image"]
    assert cbtest.dump_field(dump, "Label") == VOLUME_ID
    tokens = _section(dump, "Tokens:")
    assert re.search(r"^\s*0: cryptburn\s*$", tokens, re.M), tokens

    # the token itself, as cryptsetup exports it
    exported = cbtest.run(
        ["cryptsetup", "token", "export", "--token-id", "0", str(image)], check=True
    )
    token = json.loads(exported.stdout)
    version = cb.version()
    assert token["type"] == "cryptburn"
    assert token["keyslots"] == []
    assert token["serial"] == SERIAL
    assert token["volume_id"] == VOLUME_ID
    assert token["version"] == version
    created = token["created"]
    assert created.endswith("Z")
    when = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert built["before"] - timedelta(seconds=1) <= when <= built["after"] + timedelta(seconds=1)

    # and what cryptburn info reads from it, without a passphrase
    info = json.loads(cb.run("info", "--json", image, check=True).stdout)
    assert info["serial"] == SERIAL
    assert info["created"] == created
    assert info["version"] == version
    assert info["volume_id"] == VOLUME_ID
    assert info["uuid"] == cbtest.dump_field(dump, "UUID")


def test_iter_time_benchmark(cb, tmp_path):
    """The one image made with libcryptsetup's own benchmark (no forced
    iterations): it still must be argon2id and unlock."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "file.txt").write_text("benchmarked\n")
    image = tmp_path / "bench.luks"
    proc = cb.run(
        "image", "-q", "--iter-time", "300", "--passphrase-file", cb.passfile, src, "-o", image
    )
    assert proc.returncode == 0, cbtest.describe(proc)
    dump = cbtest.luks_dump(image)
    keyslots = _section(dump, "Keyslots:")
    assert cbtest.dump_field(keyslots, "PBKDF") == "argon2id"
    # argon2's floor is 4 passes; a benchmark picks at least that
    assert int(cbtest.dump_field(keyslots, "Time cost")) >= 4
    assert cbtest.unlocks(image, cb.passfile) == 0
    assert cbtest.unlocks(image, cb.wrongfile) != 0
    iso = cb.decrypt(image, "luks2")
    cbtest.compare_trees(cbtest.expected_tree(src), cb.extract(iso))
