# SPDX-License-Identifier: GPL-3.0-or-later
"""Refusals: each with its exit status, a message naming the problem, and
no output file (nor a hidden temporary one) left behind."""

import json
import os
import shutil

import pytest

import cbtest


def assert_refused(proc, code, *words):
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == code, cbtest.describe(proc)
    assert stderr.startswith("cryptburn"), stderr
    for word in words:
        assert str(word) in stderr, "%r not in the message: %s" % (str(word), stderr)
    return stderr


def assert_nothing_left(directory, before):
    after = set(os.listdir(directory))
    assert after == set(before), "left behind: %r" % (after - set(before))


@pytest.fixture
def src(tmp_path):
    d = tmp_path / "src"
    d.mkdir()
    (d / "file.txt").write_text("content\n")
    return d


def test_missing_source(cb, tmp_path, src):
    before = os.listdir(tmp_path)
    missing = tmp_path / "no-such-dir"
    out = tmp_path / "out.luks"
    _, proc = cb.image([src, missing], output=out, expect=None)
    assert_refused(proc, 3, missing, "No such file")
    assert not os.path.lexists(out)
    assert_nothing_left(tmp_path, before)


@pytest.mark.parametrize("what", ["file", "directory"])
def test_unreadable_source(cb, nobody_dir, what):
    """Run as nobody: root reads everything."""
    src = nobody_dir / "src"
    src.mkdir()
    (src / "readable.txt").write_text("fine\n")
    if what == "file":
        bad = src / "secret-payroll.ods"
        bad.write_text("root only\n")
        os.chmod(bad, 0o600)
    else:
        bad = src / "private-folder"
        bad.mkdir()
        (bad / "inside.txt").write_text("x\n")
        os.chmod(bad, 0o700)
    passfile = cbtest.write_passphrase_file(nobody_dir / "pass")
    before = os.listdir(nobody_dir)
    out = nobody_dir / "out.luks"
    _, proc = cb.image(src, output=out, passfile=passfile, nobody=True, cwd=nobody_dir, expect=None)
    assert_refused(proc, 3, bad.name, "Permission denied")
    assert not os.path.lexists(out)
    assert_nothing_left(nobody_dir, before)


def test_output_exists_without_force(cb, tmp_path, src):
    out = tmp_path / "precious.luks"
    out.write_bytes(b"precious data, not an image\n")
    os.utime(out, (1_000_000_000, 1_000_000_000))
    before = os.listdir(tmp_path)
    ino = os.stat(out).st_ino
    _, proc = cb.image(src, output=out, expect=None)
    assert_refused(proc, 4, out, "exists", "--force")
    assert out.read_bytes() == b"precious data, not an image\n"
    assert os.stat(out).st_ino == ino and os.stat(out).st_mtime == 1_000_000_000
    assert_nothing_left(tmp_path, before)


def test_output_exists_with_force_is_replaced(cb, tmp_path, src):
    out = tmp_path / "old.luks"
    out.write_bytes(b"old contents\n")
    before = os.listdir(tmp_path)
    cb.image(src, output=out, extra=["--force"])
    assert cbtest.dump_field(cbtest.luks_dump(out), "Version") == "2"
    assert cbtest.unlocks(out, cb.passfile) == 0
    assert_nothing_left(tmp_path, before)
    out2 = cb.extract(cb.decrypt(out))
    assert (out2 / "file.txt").read_text() == "content\n"


def test_output_is_a_directory(cb, tmp_path, src):
    out = tmp_path / "a-directory"
    out.mkdir()
    _, proc = cb.image(src, output=out, expect=None, extra=["--force"])
    assert_refused(proc, 4, out, "directory")
    assert os.listdir(out) == []


def test_output_directory_missing(cb, tmp_path, src):
    out = tmp_path / "no-such-dir" / "out.luks"
    _, proc = cb.image(src, output=out, expect=None)
    assert_refused(proc, 4, out.parent)
    assert not os.path.lexists(out.parent)


def test_output_directory_not_writable(cb, nobody_dir, src):
    locked = nobody_dir / "locked"
    locked.mkdir()
    os.chmod(locked, 0o755)  # root's: nobody may not write in it
    shutil.copytree(src, nobody_dir / "src")
    passfile = cbtest.write_passphrase_file(nobody_dir / "pass")
    out = locked / "out.luks"
    _, proc = cb.image(
        nobody_dir / "src", output=out, passfile=passfile, nobody=True, cwd=nobody_dir, expect=None
    )
    assert_refused(proc, 4, locked, "Permission denied")
    assert os.listdir(locked) == []


@pytest.fixture
def small_tmpfs(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    d = tmp_path / "small"
    d.mkdir()
    proc = cbtest.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(d)])
    if proc.returncode != 0:
        pytest.skip("cannot mount a tmpfs: %s" % proc.stderr.decode())
    try:
        yield d
    finally:
        cbtest.run(["umount", str(d)], check=True)


def test_out_of_space(cb, tmp_path, small_tmpfs):
    src = tmp_path / "src"
    src.mkdir()
    (src / "big.bin").write_bytes(os.urandom(5 * 1024 * 1024))
    out = small_tmpfs / "out.luks"
    _, proc = cb.image(src, output=out, expect=None)
    assert_refused(proc, 5, "space")
    assert os.listdir(small_tmpfs) == []


def test_unknown_format(cb, tmp_path, src):
    out = tmp_path / "out.luks"
    proc = cb.run("image", "--format", "rot13", "--passphrase-file", cb.passfile, src, "-o", out)
    assert_refused(proc, 2, "rot13")
    assert not os.path.lexists(out)


@pytest.mark.parametrize("content", [b"", b"\n", b"\nsecond line is not read\n"])
def test_empty_passphrase(cb, tmp_path, src, content):
    passfile = tmp_path / "empty-pass"
    passfile.write_bytes(content)
    out = tmp_path / "out.luks"
    before = os.listdir(tmp_path)
    _, proc = cb.image(src, output=out, passfile=passfile, expect=None, extra=["--allow-weak-passphrase"])
    assert_refused(proc, 6, "empty")
    assert_nothing_left(tmp_path, before)


def test_weak_passphrase_is_refused(cb, tmp_path, src):
    passfile = cbtest.write_passphrase_file(tmp_path / "weak", "password")
    out = tmp_path / "out.luks"
    before = os.listdir(tmp_path)
    _, proc = cb.image(src, output=out, passfile=passfile, expect=None)
    assert_refused(proc, 6, "weak", "--allow-weak-passphrase")
    assert_nothing_left(tmp_path, before)


def test_weak_passphrase_allowed_on_request(cb, tmp_path, src):
    passfile = cbtest.write_passphrase_file(tmp_path / "weak", "password")
    out, proc = cb.image(src, passfile=passfile, extra=["--allow-weak-passphrase"])
    assert cbtest.unlocks(out, passfile) == 0
    assert cbtest.unlocks(out, cb.passfile) != 0


def test_passphrase_file_and_fd_together(cb, tmp_path, src):
    out = tmp_path / "out.luks"
    before = os.listdir(tmp_path)
    proc = cb.run(
        "image", "--passphrase-file", cb.passfile, "--passphrase-fd", "0", src, "-o", out,
        input=cbtest.PASSPHRASE.encode() + b"\n",
    )
    assert_refused(proc, 2, "--passphrase-file", "--passphrase-fd")
    assert_nothing_left(tmp_path, before)


def test_missing_passphrase_file(cb, tmp_path, src):
    out = tmp_path / "out.luks"
    missing = tmp_path / "no-pass-here"
    _, proc = cb.image(src, output=out, passfile=missing, expect=None)
    assert_refused(proc, 6, missing)
    assert not os.path.lexists(out)


def test_no_output_option(cb, tmp_path, src):
    before = os.listdir(tmp_path)
    proc = cb.run("image", "--passphrase-file", cb.passfile, src)
    assert_refused(proc, 2, "-o")
    assert_nothing_left(tmp_path, before)


def test_no_source(cb, tmp_path):
    out = tmp_path / "out.luks"
    proc = cb.run("image", "--passphrase-file", cb.passfile, "-o", out)
    assert_refused(proc, 2, "SOURCE")
    assert not os.path.lexists(out)


def test_unknown_option(cb, tmp_path, src):
    out = tmp_path / "out.luks"
    proc = cb.run("image", "--no-such-option", src, "-o", out)
    assert_refused(proc, 2, "--no-such-option")
    assert not os.path.lexists(out)


def test_serial_needs_luks2(cb, tmp_path, src):
    out = tmp_path / "out.luks"
    _, proc = cb.image(src, output=out, fmt="luks1", extra=["--serial", "S1"], expect=None)
    assert_refused(proc, 2, "serial")
    assert not os.path.lexists(out)


def test_volume_id_too_long(cb, tmp_path, src):
    out = tmp_path / "out.luks"
    _, proc = cb.image(src, output=out, extra=["--volume-id", "V" * 33], expect=None)
    assert_refused(proc, 2, "volume id")
    assert not os.path.lexists(out)


def test_two_sources_want_the_same_name(cb, tmp_path, src):
    other = tmp_path / "other"
    other.mkdir()
    (other / "file.txt").write_text("a different file\n")
    out = tmp_path / "out.luks"
    _, proc = cb.image([src, other], output=out, expect=None)
    assert_refused(proc, 3, other / "file.txt")
    assert not os.path.lexists(out)


@pytest.mark.parametrize("kind", ["text", "zeros", "plain-iso"])
def test_info_on_a_non_image(cb, tmp_path, src, kind):
    path = tmp_path / ("not-an-image-" + kind)
    if kind == "text":
        path.write_text("just some text\n")
    elif kind == "zeros":
        path.write_bytes(b"\0" * (2 << 20))
    else:
        image, _ = cb.image(src)
        cb.decrypt(image, output=path)
    proc = cb.run("info", path)
    assert_refused(proc, 7, path)
    proc = cb.run("info", "--json", path)
    assert_refused(proc, 7, path)
    assert proc.stdout == b""


def test_info_on_a_missing_file(cb, tmp_path):
    missing = tmp_path / "nothing-here"
    proc = cb.run("info", missing)
    # missing or unreadable input: 3, as for image sources
    assert_refused(proc, 3, missing, "No such file")


@pytest.mark.parametrize("target", ["directory", "/dev/null"])
def test_info_on_something_that_is_no_image_at_all(cb, tmp_path, target):
    path = tmp_path if target == "directory" else target
    proc = cb.run("info", path)
    assert_refused(proc, 7, path, "not an image file or a disc")


def test_empty_source_name(cb, tmp_path, src):
    """An empty name would mean the current directory to every path call."""
    out = tmp_path / "out.luks"
    _, proc = cb.image(["", src], output=out, expect=None)
    assert_refused(proc, 2, "empty")
    assert not os.path.lexists(out)


def test_empty_output_name(cb, tmp_path, src):
    proc = cb.run("image", "--passphrase-file", cb.passfile, src, "-o", "")
    assert_refused(proc, 2, "-o IMAGE")


def test_graft_only_image(cb, tmp_path, src):
    """No SOURCE, only grafts: the image holds just the grafted tree."""
    out = tmp_path / "out.luks"
    out, proc = cb.image([], output=out, extra=["--graft", "docs/2025=%s" % src, "--json"])
    assert json.loads(proc.stdout)["volume_id"] == "CRYPTBURN"
    cbtest.compare_trees(
        cbtest.expected_tree(src, b"docs/2025"),
        cb.extract(cb.decrypt(out)),
        also_present=[b"docs", b"docs/2025"],
    )


@pytest.mark.parametrize(
    "graft, words",
    [
        ("no-equals-sign", ["no-equals-sign", "DISC/PATH=LOCAL"]),
        ("=/etc/hostname", ["DISC/PATH=LOCAL"]),
        ("docs/../../escape={src}", [".."]),
    ],
    ids=["no-equals", "empty-disc-path", "dot-dot"],
)
def test_bad_graft(cb, tmp_path, src, graft, words):
    out = tmp_path / "out.luks"
    _, proc = cb.image(src, output=out, extra=["--graft", graft.format(src=src)], expect=None)
    assert_refused(proc, 2, *words)
    assert not os.path.lexists(out)


def test_graft_of_a_missing_file(cb, tmp_path, src):
    out = tmp_path / "out.luks"
    missing = tmp_path / "not-there.txt"
    _, proc = cb.image(src, output=out, extra=["--graft", "docs/x.txt=%s" % missing], expect=None)
    assert_refused(proc, 3, missing)
    assert not os.path.lexists(out)
