# SPDX-License-Identifier: GPL-3.0-or-later
"""What goes into the image: trees, names, links, modes, grafts, ids.

Each image is decrypted with the OpenSSL oracle and extracted with xorriso;
the extraction is compared with the source byte for byte."""

import hashlib
import os
import shutil
import stat
import threading

import pytest

import cbtest


def roundtrip_and_compare(cb, src, extra=()):
    image, iso, out, proc = cb.roundtrip([src], extra=extra)
    cbtest.compare_trees(cbtest.expected_tree(src), out)
    cbtest.assert_md5_match(iso)
    return image, iso, out, proc


def test_empty_tree(cb, tmp_path):
    src = tmp_path / "empty"
    src.mkdir()
    image, iso, out, proc = roundtrip_and_compare(cb, src)
    assert os.listdir(out) == []
    assert cbtest.unlocks(image, cb.passfile) == 0


def test_empty_files_and_directories(cb, tmp_path, stamp):
    src = tmp_path / "src"
    (src / "empty-dir").mkdir(parents=True)
    (src / "sub").mkdir()
    for name in ("zero", "sub/zero-too", ".hidden-zero"):
        (src / name).write_bytes(b"")
    (src / "one").write_bytes(b"1")
    stamp(src)
    _, _, out, _ = roundtrip_and_compare(cb, src)
    assert os.path.getsize(out / "zero") == 0
    assert os.path.getsize(out / ".hidden-zero") == 0
    assert os.listdir(out / "empty-dir") == []


def test_long_names(cb, tmp_path, stamp):
    src = tmp_path / "src"
    src.mkdir()
    ascii_name = "L" * 251 + ".txt"
    utf8_name = "é" * 127 + "x"  # 255 bytes, 128 characters
    dir_name = "D" * 255
    for name in (ascii_name, utf8_name, dir_name):
        assert len(os.fsencode(name)) == 255
    (src / ascii_name).write_text("ascii\n")
    (src / utf8_name).write_text("utf-8\n")
    (src / dir_name).mkdir()
    (src / dir_name / ascii_name).write_text("inside\n")
    stamp(src)
    _, _, out, _ = roundtrip_and_compare(cb, src)
    assert (out / dir_name / ascii_name).read_text() == "inside\n"
    assert set(os.listdir(out)) == {ascii_name, utf8_name, dir_name}


def test_unicode_names(cb, tmp_path, stamp):
    src = tmp_path / "src"
    src.mkdir()
    names = ["Grüße 日本語 ✓.txt", "Ωμέγα", "emoji 🎉.txt", "ЖЖЖ"]
    for name in names:
        (src / name).write_text(name + "\n")
    (src / "Ünïcødé dir").mkdir()
    (src / "Ünïcødé dir" / "naïve café.txt").write_text("inside\n")
    stamp(src)
    _, _, out, _ = roundtrip_and_compare(cb, src)
    for name in names:
        assert (out / name).read_text() == name + "\n"


def test_non_utf8_name_survives_in_rock_ridge(cb, tmp_path, stamp):
    src = os.fsencode(tmp_path / "src")
    os.mkdir(src)
    latin1 = b"caf\xe9.txt"
    with pytest.raises(UnicodeDecodeError):
        latin1.decode("utf-8")
    with open(os.path.join(src, latin1), "wb") as f:
        f.write(b"latin-1 name\n")
    os.mkdir(os.path.join(src, b"dir-\xff\xfe"))
    with open(os.path.join(src, b"dir-\xff\xfe", b"\xe0-inside"), "wb") as f:
        f.write(b"nested\n")
    stamp(src)
    image, iso, out, proc = roundtrip_and_compare(cb, os.fsdecode(src))
    assert latin1 in os.listdir(os.fsencode(out))
    with open(os.path.join(os.fsencode(out), latin1), "rb") as f:
        assert f.read() == b"latin-1 name\n"
    # the Rock Ridge name itself, as xorriso lists the image
    listing = cbtest.run(["xorriso", "-indev", str(iso), "-lsl", "/"], check=True).stdout
    assert b"'" + latin1 + b"'" in listing, listing
    assert b"'dir-\xff\xfe'" in listing, listing


def test_deep_nesting(cb, tmp_path, stamp):
    src = tmp_path / "src"
    deep = src
    for level in range(20):
        deep = deep / ("level-%02d" % level)
    deep.mkdir(parents=True)
    (deep / "bottom.txt").write_text("twenty levels down\n")
    (src / "level-00" / "level-01" / "shallow.txt").write_text("two levels\n")
    stamp(src)
    _, _, out, _ = roundtrip_and_compare(cb, src)
    rel = deep.relative_to(src)
    assert (out / rel / "bottom.txt").read_text() == "twenty levels down\n"
    # Rock Ridge relocation is invisible to a Rock Ridge reader
    assert "rr_moved" not in os.listdir(out)


def test_symlinks(cb, tmp_path, stamp):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "target.txt").write_text("target\n")
    os.symlink("sub/target.txt", src / "relative")
    os.symlink("../target.txt", src / "sub" / "up")
    os.symlink("does/not/exist", src / "dangling")
    os.symlink("/etc/nonexistent-cryptburn-target", src / "absolute")
    os.symlink("sub", src / "dir-link")
    stamp(src)
    _, _, out, _ = roundtrip_and_compare(cb, src)
    assert os.readlink(out / "relative") == "sub/target.txt"
    assert (out / "relative").read_text() == "target\n"
    assert os.readlink(out / "dangling") == "does/not/exist"
    assert not os.path.exists(out / "dangling")
    assert os.readlink(out / "absolute") == "/etc/nonexistent-cryptburn-target"
    assert os.path.islink(out / "dir-link")


def test_hard_links(cb, tmp_path, stamp):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "h1").write_text("three names\n")
    os.link(src / "h1", src / "h2")
    os.link(src / "h1", src / "sub" / "h3")
    (src / "p1").write_bytes(os.urandom(5000))
    os.link(src / "p1", src / "sub" / "p2")
    (src / "alone").write_text("three names\n")  # same bytes, not a link
    stamp(src)
    _, _, out, _ = roundtrip_and_compare(cb, src)
    st = {n: os.lstat(out / n) for n in ("h1", "h2", "sub/h3", "p1", "sub/p2", "alone")}
    assert st["h1"].st_ino == st["h2"].st_ino == st["sub/h3"].st_ino
    assert st["h1"].st_nlink == 3
    assert st["p1"].st_ino == st["sub/p2"].st_ino
    assert st["p1"].st_ino != st["h1"].st_ino
    assert st["alone"].st_ino != st["h1"].st_ino


def test_file_modes(cb, tmp_path, stamp):
    src = tmp_path / "src"
    src.mkdir()
    modes = {"private": 0o600, "program": 0o755, "read-only": 0o444, "group": 0o640}
    for name, mode in modes.items():
        (src / name).write_text(name)
        os.chmod(src / name, mode)
    (src / "private-dir").mkdir()
    (src / "private-dir" / "f").write_text("f")
    (src / "shared-dir").mkdir()
    os.chmod(src / "shared-dir", 0o750)
    stamp(src)
    os.chmod(src / "private-dir", 0o700)
    _, _, out, _ = roundtrip_and_compare(cb, src)
    for name, mode in modes.items():
        assert stat.S_IMODE(os.lstat(out / name).st_mode) == mode, name
    assert stat.S_IMODE(os.lstat(out / "private-dir").st_mode) == 0o700
    assert stat.S_IMODE(os.lstat(out / "shared-dir").st_mode) == 0o750


def test_fifos_sockets_and_devices_are_skipped_with_a_warning(cb, tmp_path, stamp):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "regular.txt").write_text("kept\n")
    os.mkfifo(src / "fifo")
    os.mknod(src / "sub" / "socket", stat.S_IFSOCK | 0o600)
    specials = {"fifo": "FIFO", "sub/socket": "socket"}
    if os.geteuid() == 0:
        os.mknod(src / "null-device", stat.S_IFCHR | 0o600, os.makedev(1, 3))
        specials["null-device"] = "character device"
    stamp(src)
    image, iso, out, proc = roundtrip_and_compare(cb, src)
    assert proc.returncode == 0
    stderr = proc.stderr.decode()
    for rel, kind in specials.items():
        line = [l for l in stderr.splitlines() if str(src / rel) in l]
        assert line, "no warning naming %s in:\n%s" % (src / rel, stderr)
        assert "warning" in line[0] and kind in line[0], line[0]
        assert not os.path.lexists(out / rel)
    assert (out / "regular.txt").read_text() == "kept\n"
    # -q: no warnings, same result
    _, quiet = cb.image(src, extra=["-q"])
    assert quiet.stderr == b""


def test_graft_places_files_and_directories(cb, tmp_path, stamp):
    src = tmp_path / "src"
    src.mkdir()
    (src / "root.txt").write_text("root\n")
    local_file = tmp_path / "notes-local.txt"
    local_file.write_text("grafted file\n")
    os.chmod(local_file, 0o640)
    local_dir = tmp_path / "photos-local"
    (local_dir / "2024").mkdir(parents=True)
    (local_dir / "2024" / "a.jpg").write_bytes(os.urandom(3000))
    (local_dir / "b.jpg").write_bytes(os.urandom(2000))
    for p in (src, local_file, local_dir):
        stamp(p) if p.is_dir() else os.utime(p, (1_100_000_000, 1_100_000_000))
    os.utime(local_dir, (1_200_000_000, 1_200_000_000))

    image, iso, out, _ = cb.roundtrip(
        [src],
        extra=[
            "--graft",
            "docs/sub/notes.txt=%s" % local_file,
            "--graft",
            "/photos=%s" % local_dir,
        ],
    )
    expected = cbtest.expected_tree(src)
    expected[b"docs/sub/notes.txt"] = (os.fsencode(local_file), os.lstat(local_file))
    expected[b"photos"] = (os.fsencode(local_dir), os.lstat(local_dir))
    expected.update(cbtest.expected_tree(local_dir, prefix=b"photos"))
    # directories the graft made: compared by kind and mode, below
    made = {b"docs", b"docs/sub"}
    got = set(cbtest._walk(out))
    assert got == set(expected) | made, got ^ (set(expected) | made)
    for rel in made:
        st = os.lstat(os.path.join(os.fsencode(out), rel))
        assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o755
    cbtest.compare_trees(expected, out, also_present=made)
    assert (out / "docs" / "sub" / "notes.txt").read_text() == "grafted file\n"
    cbtest.assert_md5_match(iso)


def test_two_sources_are_merged(cb, tmp_path, stamp):
    one = tmp_path / "one"
    two = tmp_path / "two"
    (one / "common").mkdir(parents=True)
    (two / "common" / "deeper").mkdir(parents=True)
    (one / "common" / "from-one.txt").write_text("1\n")
    (one / "only-one.txt").write_text("only 1\n")
    (two / "common" / "from-two.txt").write_text("2\n")
    (two / "common" / "deeper" / "x").write_text("x\n")
    (two / "only-two").mkdir()
    single = tmp_path / "single-file.txt"
    single.write_text("a file SOURCE goes to the root\n")
    stamp(one)
    stamp(two, base=1_300_000_000)
    os.utime(single, (1_400_000_000, 1_400_000_000))

    image, iso, out, _ = cb.roundtrip([one, two, single])
    expected = cbtest.expected_tree(two)
    expected.update(cbtest.expected_tree(one))  # "common" is one's, seen first
    expected[b"single-file.txt"] = (os.fsencode(single), os.lstat(single))
    cbtest.compare_trees(expected, out)
    assert sorted(os.listdir(out / "common")) == ["deeper", "from-one.txt", "from-two.txt"]


@pytest.mark.parametrize("how", ["source", "graft"])
def test_symlink_named_on_the_command_line_is_followed(cb, tmp_path, how):
    """A SOURCE (or --graft LOCAL) that is a symlink to a file puts the file
    in the image, not a link that dangles there (cb_iso_builder_add_source:
    "a source named on the command line is followed if it is a symlink")."""
    real = tmp_path / "real.txt"
    real.write_text("the real content\n")
    link = tmp_path / "link.txt"
    os.symlink(real, link)
    src = tmp_path / "dir"
    src.mkdir()
    (src / "a").write_text("a\n")
    if how == "source":
        image, iso, out, _ = cb.roundtrip([src, link])
        placed = out / "link.txt"
    else:
        image, iso, out, _ = cb.roundtrip([src], extra=["--graft", "docs/placed.txt=%s" % link])
        placed = out / "docs" / "placed.txt"
    assert os.path.lexists(placed)
    assert not os.path.islink(placed), "stored as a symlink to %r" % os.readlink(placed)
    assert placed.read_text() == "the real content\n"


def test_iso_identifiers(cb, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("f\n")
    ids = {
        "--volume-id": ("Volume id", "BACKUP_2024_05"),
        "--application-id": ("Application id", "CRYPTBURN TEST APP"),
        "--publisher": ("Publisher id", "EXAMPLE PUBLISHER"),
        "--preparer": ("Data preparer id", "INTEGRATION SUITE"),
        "--system-id": ("System id", "TESTSYS"),
    }
    extra = []
    for option, (_, value) in ids.items():
        extra += [option, value]
    image, iso, out, _ = cb.roundtrip([src], extra=extra)
    pvd = cbtest.pvd_info(iso)
    for option, (field, value) in ids.items():
        assert pvd.get(field) == value, "%s: isoinfo says %r" % (option, pvd.get(field))
    # xorriso agrees on the volume id; the LUKS2 label carries it too
    pvd_x = cbtest.run(["xorriso", "-indev", str(iso), "-pvd_info"], check=True).stdout.decode()
    assert "Volume Id    : BACKUP_2024_05" in pvd_x, pvd_x
    assert "App Id       : CRYPTBURN TEST APP" in pvd_x, pvd_x
    assert cbtest.dump_field(cbtest.luks_dump(image), "Label") == "BACKUP_2024_05"


def _sha256(path, result=None, key=None):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            chunk = f.read(16 << 20)
            if not chunk:
                break
            h.update(chunk)
    if result is not None:
        result[key] = h.hexdigest()
    return h.hexdigest()


@pytest.mark.slow
def test_file_over_4_gib(cb, tmp_path):
    """A 4.5 GiB sparse file: ISO level 3 multi-extent, and 64-bit sizes all
    the way through. The image and the decryption are ~4.5 GB each on disk."""
    src = tmp_path / "src"
    src.mkdir()
    huge = src / "huge.bin"
    size = 4608 * 1024 * 1024
    marks = {
        0: b"START-OF-HUGE-FILE",
        size // 2 + 12345: b"MIDDLE-OF-HUGE-FILE",
        (4 << 30) + 777: b"PAST-4-GIB",
        size - 4096 - 3: b"NEAR-THE-END",
    }
    with open(huge, "wb") as f:
        f.truncate(size)
        for offset, mark in marks.items():
            f.seek(offset)
            f.write(mark)
    assert os.path.getsize(huge) == size
    (src / "small.txt").write_text("small\n")

    hashes = {}
    hasher = threading.Thread(target=_sha256, args=(huge, hashes, "source"))
    hasher.start()
    image = iso = out = None
    try:
        image, proc = cb.image(src, extra=["-q"])
        assert os.path.getsize(image) > size
        iso = cb.decrypt(image, "luks2")
        os.unlink(image)
        out = cb.extract(iso)
        os.unlink(iso)
        extracted = out / "huge.bin"
        assert os.path.getsize(extracted) == size
        with open(extracted, "rb") as f:
            for offset, mark in marks.items():
                f.seek(offset)
                assert f.read(len(mark)) == mark, offset
        got = _sha256(extracted)
        hasher.join()
        assert got == hashes["source"]
        assert (out / "small.txt").read_text() == "small\n"
    finally:
        hasher.join()
        for p in (image, iso):
            if p is not None and os.path.exists(p):
                os.unlink(p)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
        os.unlink(huge)
