# SPDX-License-Identifier: GPL-3.0-or-later
"""The loop-aes format, key files, checksums and the other options that
came with it, through cryptburnd (daemon_fixtures) and through cryptburn
burn against it. The oracles are GnuPG (the key block), aespipe (the data,
loop-AES multi-key-v3), cryptsetup (the LUKS2 token) and xorriso.

Each loop-aes job encrypts its keys with GnuPG's s2k count of 65011712,
about a second; so does each gpg or aespipe -K that decrypts them: the
tests share what they can."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import cbtest
import pytest
from daemon_fixtures import ACTIONS, ERROR, FAST_KDF, JOB_IFACE, Daemon

KEY_AREA = 16384
LUKS2_DATA_OFFSET = 1024 * 1024


@pytest.fixture
def gnupg_home():
    """A HOME of its own for the gpg the oracles run: aespipe -K runs gpg
    with an environment of nothing but HOME, so GNUPGHOME would not reach
    it. Its gpg-agent is stopped afterwards."""
    home = Path(tempfile.mkdtemp(prefix="cb-gnupg-", dir="/tmp"))
    os.chmod(home, 0o700)
    try:
        yield home
    finally:
        for gnupg in (home, home / ".gnupg"):
            if gnupg.is_dir():
                subprocess.run(["gpgconf", "--homedir", str(gnupg), "--kill", "gpg-agent"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(home, ignore_errors=True)


def make_tree(root):
    root.mkdir(parents=True)
    (root / "notes.txt").write_text("tax 2025\n")
    (root / "sub").mkdir()
    (root / "sub" / "data.bin").write_bytes(os.urandom(200 * 1024))
    return root


def gpg_decrypt(home, armored, passfile):
    """The key text, by gpg itself."""
    proc = subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback",
         "--passphrase-fd", "0", "-d", str(armored)],
        stdin=open(passfile, "rb"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


def aespipe_decrypt(home, data, key_file, offset, output, passfile):
    """aespipe -d with the GnuPG key file, the passphrase on fd 3: aespipe
    reads it there and hands it to its own gpg --passphrase-fd."""
    with open(data, "rb") as src, open(output, "wb") as dst:
        proc = subprocess.run(
            ["sh", "-c", 'exec aespipe -d -e aes256 -O "$1" -K "$2" -p 3 3<"$3"', "sh",
             str(offset), str(key_file), str(passfile)],
            stdin=src, stdout=dst, stderr=subprocess.PIPE,
            env={"HOME": str(home), "PATH": os.environ["PATH"]}, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    return output


def iso_files(iso):
    out = cbtest.run(["xorriso", "-indev", str(iso), "-find", "/"], check=True)
    return set(re.findall(r"'([^']*)'", out.stdout.decode()))


def armor_comments(text):
    return dict(line[len("Comment: "):].split("=", 1)
                for line in text.splitlines() if line.startswith("Comment: "))


def digest(path, name, start=0, size=None):
    h = hashlib.new(name)
    with open(path, "rb") as f:
        f.seek(start)
        left = size
        while left is None or left > 0:
            chunk = f.read(1 << 20 if left is None else min(1 << 20, left))
            if not chunk:
                break
            h.update(chunk)
            if left is not None:
                left -= len(chunk)
    return h.hexdigest()


def tail(path, start, output):
    with open(path, "rb") as f, open(output, "wb") as out:
        f.seek(start)
        out.write(f.read())
    return output


def write_image(daemon, tree, out, passfile=None, options=None, fds=None, agent=None):
    spec = {"sources": [str(tree)], "options": {"format": ["s", "loop-aes"]},
            "fds": {"output": "rdwr:" + str(out)}}
    if passfile is not None:
        spec["fds"]["passphrase-fd"] = str(passfile)
    if agent is not None:
        spec["agent"] = agent
        spec["passphrase"] = cbtest.PASSPHRASE
    spec["options"].update(options or {})
    spec["fds"].update(fds or {})
    return daemon.submit("WriteImage", spec)


def test_write_image_key_in_header_with_checksum(cryptburnd, cb, tmp_path, gnupg_home):
    """enciso's layout: the armored keys in the first 16 KiB, the data
    after them from sector 32; the checksum, known only at the end, is in
    the header, which was written again."""
    tree = make_tree(tmp_path / "tree")
    out = tmp_path / "image.la"
    job, done = write_image(cryptburnd, tree, out, passfile=cb.passfile,
                            options={"checksum": ["s", "md5"], "serial": ["s", "A-17"]})
    assert done["completed"] == [True, "", ""], (job, done)

    raw = out.read_bytes()
    block = raw[:KEY_AREA].rstrip(b"\0")
    assert block.startswith(b"-----BEGIN PGP MESSAGE-----\n")
    assert block.endswith(b"-----END PGP MESSAGE-----\n")
    assert raw[len(block):KEY_AREA] == bytes(KEY_AREA - len(block))
    key = tmp_path / "key.gpg"
    key.write_bytes(block)
    lines = gpg_decrypt(gnupg_home, key, cb.passfile).splitlines()
    assert len(lines) == 65

    comments = armor_comments(block.decode())
    assert comments["serial"] == "A-17"
    assert comments["encryption"] == "multi-key-v3"
    assert comments["checksum"] == "md5:" + digest(out, "md5", KEY_AREA)
    assert int(comments["checksum-size"]) == len(raw) - KEY_AREA

    iso = aespipe_decrypt(gnupg_home, tail(out, KEY_AREA, tmp_path / "data"), key, 32,
                          tmp_path / "image.iso", cb.passfile)
    assert {"/notes.txt", "/sub", "/sub/data.bin"} <= iso_files(iso)
    # the job's Checksum is of the image as it ended up, new header and all
    assert digest(out, "sha256") in cryptburnd.get(job["job"], JOB_IFACE, "Checksum")


def test_write_image_with_key_file_and_reuse(cryptburnd, cb, tmp_path, gnupg_home):
    tree = make_tree(tmp_path / "tree")
    key = tmp_path / "keys.gpg"
    first = tmp_path / "first.la"
    job, done = write_image(cryptburnd, tree, first, passfile=cb.passfile,
                            fds={"keyfile-fd": "rdwr:" + str(key)})
    assert done["completed"] == [True, "", ""], (job, done)
    # all data: aespipe -O 0, and the comments went with the keys
    text = key.read_text()
    assert text.startswith("-----BEGIN PGP MESSAGE-----\n")
    assert armor_comments(text)["encryption"] == "multi-key-v3"
    assert "timestamp" in armor_comments(text)
    assert not first.read_bytes().startswith(b"-----BEGIN")
    assert first.stat().st_size % 2048 == 0
    iso = aespipe_decrypt(gnupg_home, first, key, 0, tmp_path / "first.iso", cb.passfile)
    assert "/notes.txt" in iso_files(iso)

    # reused: left as it was, and its passphrase asked once, as an
    # existing one (no "new", no "confirm")
    (tree / "second.txt").write_text("second\n")
    second = tmp_path / "second.la"
    job, done = write_image(cryptburnd, tree, second, agent="good",
                            fds={"keyfile-fd": "rdwr:" + str(key)})
    assert done["completed"] == [True, "", ""], (job, done)
    assert key.read_text() == text
    calls = done["agent_calls"]
    assert len(calls) == 1, calls
    assert not calls[0]["hints"].get("new") and not calls[0]["hints"].get("confirm")
    iso = aespipe_decrypt(gnupg_home, second, key, 0, tmp_path / "second.iso", cb.passfile)
    assert {"/notes.txt", "/second.txt"} <= iso_files(iso)

    # the wrong passphrase for the existing key file: gpg says so
    third = tmp_path / "third.la"
    _, done = write_image(cryptburnd, tree, third, passfile=cb.wrongfile,
                          fds={"keyfile-fd": "rdwr:" + str(key)})
    assert done["completed"][:2] == [False, ERROR + "Passphrase"], done
    assert key.read_text() == text
    assert third.stat().st_size == 0

    # a reused key file cannot take this image's serial or checksum
    reply, done = write_image(cryptburnd, tree, third, passfile=cb.passfile,
                              options={"serial": ["s", "B-2"]},
                              fds={"keyfile-fd": "rdwr:" + str(key)})
    assert done["completed"][:2] == [False, ERROR + "InvalidOption"], done
    assert "reused" in done["completed"][2]
    assert key.read_text() == text


def test_gpg_home_in_runtime_directory(system_bus, polkitd_mock, cb, tmp_path, monkeypatch):
    """As systemd runs the daemon: ProtectSystem=strict leaves gpg nothing
    writable but $RUNTIME_DIRECTORY (here TMPDIR points nowhere, to prove
    that is where its home went), which is empty again afterwards."""
    runtime = Path(tempfile.mkdtemp(prefix="cb-run-", dir="/tmp"))
    workdir = Path(tempfile.mkdtemp(prefix="cryptburnd-test-", dir="/tmp"))
    os.chmod(workdir, 0o755)
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(runtime))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "missing"))
    daemon = Daemon(system_bus, workdir)
    daemon.allow(ACTIONS)
    daemon.start()
    try:
        tree = make_tree(tmp_path / "tree")
        job, done = write_image(daemon, tree, tmp_path / "image.la", passfile=cb.passfile)
        assert done["completed"] == [True, "", ""], (job, done)
        assert list(runtime.iterdir()) == []
        daemon.stop()
    finally:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait()
        shutil.rmtree(runtime, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)


def test_burn_checksum_goes_into_the_disc_header(cryptburnd, cb, tmp_path):
    """A disc with no key file keeps its checksum in its own header, for
    cryptburn verify years later without a passphrase: the image is
    encrypted once to hash it, then again for the disc."""
    tree = make_tree(tmp_path / "tree")
    for fmt, kind in (("loop-aes", "md5"), ("luks2", "sha256")):
        options = {"format": ["s", fmt], "checksum": ["s", kind]}
        if fmt == "luks2":
            options.update(FAST_KDF)
        spec = {"drive": cryptburnd.drive_paths["disc0"], "sources": [str(tree)],
                "options": options, "fds": {"passphrase-fd": str(cb.passfile)}}
        job, done = cryptburnd.submit("BurnFiles", spec)
        assert "job" in job, job
        assert done["completed"] == [True, "", ""], done
        disc = cryptburnd.drive_files["disc0"]
        proc = cb.run("verify", "--json", str(disc))
        assert proc.returncode == 0, cbtest.describe(proc)
        result = json.loads(proc.stdout)
        assert result["recorded"].startswith(kind + ":") and result["match"] is True, result
        # a flipped payload byte is caught from the header's record alone
        data = bytearray(disc.read_bytes())
        data[-4096] ^= 0x01
        disc.write_bytes(bytes(data))
        proc = cb.run("verify", str(disc))
        assert proc.returncode == 11, cbtest.describe(proc)


def test_burn_image_checksum_in_header_needs_a_file(cryptburnd, cb, tmp_path):
    spec = {"drive": cryptburnd.drive_paths["disc0"],
            "options": {"format": ["s", "loop-aes"], "checksum": ["s", "md5"]},
            "fds": {"passphrase-fd": str(cb.passfile), "image_stream": "pipe:" + "x" * 4096}}
    reply, done = cryptburnd.submit("BurnImage", spec)
    assert reply["error"] == ERROR + "InvalidOption", reply
    assert "pipe" in reply["message"] and done is None


def test_burn_with_key_file_records_checksum(cryptburnd, cb, tmp_path, gnupg_home):
    tree = make_tree(tmp_path / "tree")
    key = tmp_path / "disc.key"
    spec = {"drive": cryptburnd.drive_paths["disc0"], "sources": [str(tree)],
            "options": {"format": ["s", "loop-aes"], "checksum": ["s", "md5"]},
            "fds": {"passphrase-fd": str(cb.passfile), "keyfile-fd": "rdwr:" + str(key)}}
    job, done = cryptburnd.submit("BurnFiles", spec)
    assert done["completed"] == [True, "", ""], (job, done)
    disc = cryptburnd.drive_files["disc0"]
    comments = armor_comments(key.read_text())
    size = int(comments["checksum-size"])
    # the drive's file may be longer than what was written
    assert 0 < size <= disc.stat().st_size and size % 2048 == 0
    assert comments["checksum"] == "md5:" + digest(disc, "md5", 0, size)
    iso = aespipe_decrypt(gnupg_home, disc, key, 0, tmp_path / "disc.iso", cb.passfile)
    assert "/sub/data.bin" in iso_files(iso)


def test_luks2_token_records_checksum(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    out = tmp_path / "image.luks"
    spec = {"sources": [str(tree)], "options": dict(FAST_KDF, checksum=["s", "sha256"]),
            "fds": {"output": "write:" + str(out), "passphrase-fd": str(cb.passfile)}}
    job, done = cryptburnd.submit("WriteImage", spec)
    assert done["completed"] == [True, "", ""], (job, done)
    dump = cbtest.run(["cryptsetup", "luksDump", "--dump-json-metadata", str(out)],
                      check=True).stdout.decode()
    tokens = [t for t in json.loads(dump)["tokens"].values() if t["type"] == "cryptburn"]
    assert len(tokens) == 1, dump
    assert tokens[0]["checksum"] == "sha256:" + digest(out, "sha256", LUKS2_DATA_OFFSET)
    assert int(tokens[0]["checksum_size"]) == out.stat().st_size - LUKS2_DATA_OFFSET
    assert cbtest.unlocks(out, cb.passfile) == 0
    # opened write-only, the output could not be read back for Checksum
    assert "''" in cryptburnd.get(job["job"], JOB_IFACE, "Checksum")


def test_hex_passphrase_and_compress(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    (tree / "zeros.bin").write_bytes(bytes(4 * 1024 * 1024))
    hexfile = tmp_path / "hex"
    hexfile.write_text(cbtest.PASSPHRASE.encode().hex())
    out = tmp_path / "image.luks"
    spec = {"sources": [str(tree)],
            # hex digits are too systematic for libpwquality
            "options": dict(FAST_KDF, compress=["b", True],
                            **{"passphrase-hex": ["b", True],
                               "allow-weak-passphrase": ["b", True]}),
            "fds": {"output": "write:" + str(out), "passphrase-fd": str(hexfile)}}
    job, done = cryptburnd.submit("WriteImage", spec)
    assert done["completed"] == [True, "", ""], (job, done)
    # the digits stood for the bytes of the passphrase cryptsetup takes
    assert cbtest.unlocks(out, cb.passfile) == 0
    # 4 MiB of zeros, compressed away
    assert out.stat().st_size < LUKS2_DATA_OFFSET + 2 * 1024 * 1024
    iso = cb.decrypt(out)
    streams = cbtest.run(["xorriso", "-indev", str(iso), "-find", "/zeros.bin", "-exec",
                          "show_stream"], check=True).stdout.decode()
    assert "zisofs" in streams, streams
    cbtest.compare_trees(cbtest.expected_tree(tree), cb.extract(iso))


@pytest.mark.parametrize("method, options, fds, words", [
    ("WriteImage", {"format": ["s", "luks2"]}, {"keyfile-fd": "rdwr:KEY"}, "loop-aes"),
    ("WriteImage", {"noinfo": ["b", True], "serial": ["s", "X"]}, {}, "noinfo"),
    ("WriteImage", {"checksum": ["s", "crc"]}, {}, "crc"),
    ("WriteImage", {"format": ["s", "luks1"], "checksum": ["s", "md5"]}, {}, "luks1"),
    # the header must go back to the start of the output: not a pipe
    ("WriteImage", {"checksum": ["s", "md5"]}, {"output": "pipe:"}, "seekable"),
    ("BurnImage", {"compress": ["b", True]}, {"image_stream": "pipe:x"}, "compress"),
    ("WriteImage", {"format": ["s", "loop-aes"]}, {"keyfile-fd": "KEY"}, "reading and writing"),
])
def test_bad_combinations_refused_before_a_job(cryptburnd, cb, tmp_path, method, options, fds,
                                               words):
    tree = make_tree(tmp_path / "tree")
    key = tmp_path / "key"
    key.write_text("")
    spec = {"drive": cryptburnd.drive_paths["disc0"], "sources": [str(tree)],
            "options": dict(FAST_KDF, **options),
            "fds": {"output": "write:" + str(tmp_path / "out"),
                    "passphrase-fd": str(cb.passfile)}}
    spec["fds"].update({k: v.replace("KEY", str(key)) for k, v in fds.items()})
    reply, done = cryptburnd.submit(method, spec)
    assert reply.get("error") == ERROR + "InvalidOption", reply
    assert words in reply["message"], reply
    assert done is None
    assert cryptburnd.alive()


def test_key_file_that_is_no_key_file(cryptburnd, tmp_path):
    """Refused when the job reads it, before a passphrase is asked: the
    agent is never called, and nothing is written anywhere."""
    tree = make_tree(tmp_path / "tree")
    key = tmp_path / "notes.txt"
    key.write_text("shopping: bread, milk\n")
    out = tmp_path / "out.la"
    _, done = write_image(cryptburnd, tree, out, agent="good",
                          fds={"keyfile-fd": "rdwr:" + str(key)})
    assert done["completed"][:2] == [False, ERROR + "Source"], done
    assert "not a loop-AES key file" in done["completed"][2]
    assert done["agent_calls"] == []
    assert key.read_text() == "shopping: bread, milk\n"
    assert out.stat().st_size == 0


def test_key_file_that_is_the_output(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    out = tmp_path / "out.la"
    _, done = write_image(cryptburnd, tree, out, passfile=cb.passfile,
                          fds={"keyfile-fd": "rdwr:" + str(out)})
    assert done["completed"][:2] == [False, ERROR + "InvalidOption"], done
    assert "same file" in done["completed"][2]
    assert out.stat().st_size == 0


def test_cli_burn_with_key_file(cryptburnd, cb, tmp_path, gnupg_home):
    tree = make_tree(tmp_path / "tree")
    key = tmp_path / "disc.key"
    base = ["burn", "--format", "loop-aes", "--passphrase-file", cb.passfile, "-q"]
    proc = cbtest.run(cb.cmd(*base, "--drive", "test0", "--keyfile", key, "--checksum",
                             "sha256", tree), env=cryptburnd.bus.env())
    assert proc.returncode == 0, cbtest.describe(proc)
    assert key.stat().st_mode & 0o777 == 0o600
    comments = armor_comments(key.read_text())
    disc = cryptburnd.drive_files["disc0"]
    size = int(comments["checksum-size"])
    assert comments["checksum"] == "sha256:" + digest(disc, "sha256", 0, size)
    iso = aespipe_decrypt(gnupg_home, disc, key, 0, tmp_path / "disc.iso", cb.passfile)
    assert "/notes.txt" in iso_files(iso)

    # a key file the command made for a burn that failed is gone again:
    # refused by the service (luks2 has no key file) ...
    gone = tmp_path / "gone.key"
    proc = cbtest.run(cb.cmd(*base, "--drive", "test1", "--keyfile", gone, "--format", "luks2",
                             tree), env=cryptburnd.bus.env())
    assert proc.returncode != 0 and b"loop-aes" in proc.stderr, cbtest.describe(proc)
    assert not gone.exists()
    # ... or failed as a job (the disc is too small)
    (tree / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    proc = cbtest.run(cb.cmd(*base, "--drive", "test2", "--keyfile", gone, tree),
                      env=cryptburnd.bus.env())
    assert proc.returncode == 5, cbtest.describe(proc)
    assert not gone.exists()
    # while an existing file is never removed
    empty = tmp_path / "empty.key"
    empty.write_text("")
    proc = cbtest.run(cb.cmd(*base, "--drive", "test2", "--keyfile", empty, tree),
                      env=cryptburnd.bus.env())
    assert proc.returncode == 5, cbtest.describe(proc)
    assert empty.exists()
