# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the cryptburn integration tests.

Every claim about an image is checked with tools that are not cryptburn:
cryptsetup for the LUKS header, the OpenSSL xts-decrypt oracle for the
payload, xorriso and isoinfo for the ISO 9660 / Rock Ridge tree.
"""

import errno
import os
import re
import select
import stat
import subprocess
import time
from pathlib import Path

# passes libpwquality's default checks; no newline anywhere, so the same
# file serves cryptburn (first line) and cryptsetup --key-file (whole file)
PASSPHRASE = "Velvet-Harbor-Quartz-Lantern-417"
OTHER_PASSPHRASE = "Copper-Meadow-Glacier-Violin-293"

FORMATS = {
    "luks2": {
        "version": 2,
        "sector_size": 2048,
        "data_offset": 1048576,
        "pbkdf": "argon2id",
        "fast": ["--pbkdf-memory", "32768", "--pbkdf-force-iterations", "4"],
    },
    "luks1": {
        "version": 1,
        "sector_size": 512,
        "data_offset": 2097152,
        "pbkdf": "pbkdf2",
        "fast": ["--pbkdf-force-iterations", "1000"],
    },
}

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

# generous: the suite also runs under ASan/UBSan
TIMEOUT = 600


def run(cmd, check=False, timeout=TIMEOUT, **kwargs):
    """Runs cmd with stdout and stderr captured as bytes unless redirected."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    if "input" not in kwargs:
        kwargs.setdefault("stdin", subprocess.DEVNULL)
    proc = subprocess.run(cmd, timeout=timeout, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(
            "%r exited %d\nstdout: %s\nstderr: %s"
            % (cmd, proc.returncode, _text(proc.stdout), _text(proc.stderr))
        )
    return proc



def poll(check, what, timeout, interval=0.1):
    """check() until it returns something true, which is returned; fails
    with what (a string, or a callable giving one) at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("after %ss: %s" % (timeout, what() if callable(what) else what))
        time.sleep(interval)


def _text(data):
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data


def describe(proc):
    return "exit %d\nstdout: %s\nstderr: %s" % (
        proc.returncode,
        _text(proc.stdout),
        _text(proc.stderr),
    )


def write_passphrase_file(path, passphrase=PASSPHRASE):
    with open(path, "wb") as f:
        f.write(passphrase.encode() if isinstance(passphrase, str) else passphrase)
    os.chmod(path, 0o644)
    return path


# ---- LUKS header and payload, through cryptsetup and the oracle ----------


def luks_dump(image):
    return run(["cryptsetup", "luksDump", str(image)], check=True).stdout.decode()


def dump_field(dump, name):
    """The value of a "Name: value" line of cryptsetup luksDump."""
    m = re.search(r"^\s*" + re.escape(name) + r":\s*(.*?)\s*$", dump, re.M)
    assert m is not None, "no %r in luksDump output:\n%s" % (name, dump)
    return m.group(1)


def unlocks(image, keyfile):
    """cryptsetup open --test-passphrase: its exit status (0 = unlocks)."""
    return run(
        ["cryptsetup", "open", "--test-passphrase", "--key-file=" + str(keyfile), str(image)]
    ).returncode


def volume_key(image, keyfile):
    proc = run(
        [
            "cryptsetup",
            "luksDump",
            "--dump-volume-key",
            "--batch-mode",
            "--key-file",
            str(keyfile),
            str(image),
        ],
        check=True,
    )
    out = proc.stdout.decode()
    m = re.search(r"MK dump:(.*)", out, re.S)
    assert m is not None, out
    hexkey = ""
    for line in m.group(1).splitlines():
        line = line.strip()
        if not re.fullmatch(r"([0-9a-fA-F]{2}\s*)+", line):
            if hexkey:
                break
            continue
        hexkey += re.sub(r"\s+", "", line)
    assert len(hexkey) == 128, "expected a 512-bit volume key, got %r" % hexkey
    return hexkey


def decrypt(xts_decrypt, image, keyfile, output, fmt, sector_size=None):
    """The decrypted data segment, made by the OpenSSL oracle."""
    desc = FORMATS[fmt]
    key = volume_key(image, keyfile)
    run(
        [
            str(xts_decrypt),
            key,
            str(sector_size or desc["sector_size"]),
            str(desc["data_offset"]),
            str(image),
            str(output),
        ],
        check=True,
    )
    return output


def extract(iso, outdir):
    """Extracts the whole Rock Ridge tree with xorriso (sparse files stay sparse)."""
    run(
        [
            "xorriso",
            "-hardlinks",
            "on",
            "-md5",
            "on",
            "-osirrox",
            "on:sparse=1m",
            "-indev",
            str(iso),
            "-extract",
            "/",
            str(outdir),
        ],
        check=True,
    )
    return outdir


def check_media(iso):
    return run(
        ["xorriso", "-md5", "on", "-indev", str(iso), "-check_media", "--"], check=True
    ).stdout.decode("utf-8", "replace")


def assert_md5_match(iso):
    out = check_media(iso)
    assert re.search(r"MD5 tag range:.*\+ md5_match", out), out
    assert "mismatch" not in out, out


def pvd_info(iso):
    """isoinfo -d: the primary volume descriptor as a dict."""
    out = run(["isoinfo", "-d", "-i", str(iso)], check=True).stdout.decode("utf-8", "replace")
    info = {}
    for line in out.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            info[k.strip()] = v.strip()
    return info


# ---- comparing a source tree with an extraction --------------------------


def _walk(root):
    """path (bytes, relative) -> lstat result, for everything below root."""
    root = os.fsencode(root)
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            found[os.path.relpath(full, root)] = os.lstat(full)
    return found


def _kind(st):
    if stat.S_ISREG(st.st_mode):
        return "file"
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    if stat.S_ISLNK(st.st_mode):
        return "symlink"
    return "special"


def expected_tree(src, prefix=b""):
    """What an image of src must hold: everything but FIFOs, sockets, devices."""
    prefix = os.fsencode(prefix)
    result = {}
    for rel, st in _walk(src).items():
        if _kind(st) == "special":
            continue
        full = os.path.join(os.fsencode(src), rel)
        result[os.path.join(prefix, rel) if prefix else rel] = (full, st)
    return result


def compare_trees(expected, extracted_root, also_present=()):
    """Asserts that the extraction holds exactly expected (from expected_tree)
    with the same bytes, modes, mtimes, symlink targets and hard links;
    also_present names entries the caller checks itself."""
    got = _walk(extracted_root)
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected) - set(also_present))
    assert not missing and not extra, "missing %r, unexpected %r" % (missing, extra)

    links = {}
    for rel, (src_path, sst) in sorted(expected.items()):
        dst_path = os.path.join(os.fsencode(extracted_root), rel)
        dst = got[rel]
        assert _kind(dst) == _kind(sst), "%r: %s became %s" % (rel, _kind(sst), _kind(dst))
        if _kind(sst) == "symlink":
            assert os.readlink(dst_path) == os.readlink(src_path), rel
            continue
        assert stat.S_IMODE(dst.st_mode) == stat.S_IMODE(sst.st_mode), "%r: mode %o != %o" % (
            rel,
            stat.S_IMODE(dst.st_mode),
            stat.S_IMODE(sst.st_mode),
        )
        assert int(dst.st_mtime) == int(sst.st_mtime), "%r: mtime %d != %d" % (
            rel,
            dst.st_mtime,
            sst.st_mtime,
        )
        if _kind(sst) == "file":
            assert dst.st_size == sst.st_size, rel
            with open(src_path, "rb") as a, open(dst_path, "rb") as b:
                while True:
                    x = a.read(1 << 20)
                    y = b.read(1 << 20)
                    assert x == y, "%r: content differs" % rel
                    if not x:
                        break
            if sst.st_nlink > 1:
                links.setdefault((sst.st_dev, sst.st_ino), []).append(rel)
    for group in links.values():
        if len(group) < 2:
            continue
        inodes = {got[rel].st_ino for rel in group}
        assert len(inodes) == 1, "hard links %r were extracted as separate files" % group


# ---- answering the passphrase prompt on a pseudo-terminal ----------------


class Terminal:
    """A pty master with everything the child wrote to it."""

    def __init__(self, master, proc):
        self.master = master
        self.proc = proc
        self.output = b""

    def _read(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 4096)
        except OSError as e:
            if e.errno == errno.EIO:  # the child closed the terminal
                return None
            raise
        if not data:
            return None
        self.output += data
        return True

    def expect(self, text, timeout=60):
        """Waits until the terminal output (from offset 0) contains text."""
        if isinstance(text, str):
            text = text.encode()
        deadline = time.monotonic() + timeout
        while text not in self.output:
            left = deadline - time.monotonic()
            if left <= 0 or self._read(min(left, 0.2)) is None:
                if text in self.output:
                    break
                raise AssertionError(
                    "no %r on the terminal; got %r (exit %r)" % (text, self.output, self.proc.poll())
                )

    def wait_echo_off(self, timeout=30):
        """A line typed before the program turned echo off would be echoed
        by the kernel and then flushed: type only once echo is off."""
        import termios

        deadline = time.monotonic() + timeout
        while termios.tcgetattr(self.master)[3] & termios.ECHO:
            assert time.monotonic() < deadline, "echo never turned off"
            self._read(0.01)

    def type(self, text):
        if isinstance(text, str):
            text = text.encode()
        os.write(self.master, text)

    def finish(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            assert time.monotonic() < deadline, "the child did not finish"
            if self._read(0.1) is None:
                break
        rc = self.proc.wait(timeout=max(1, deadline - time.monotonic()))
        while self._read(0.05):
            pass
        os.close(self.master)
        return rc


def spawn_on_pty(cmd, cwd=None, env=None):
    """Starts cmd in a new session whose controlling terminal is a new pty."""
    import fcntl
    import termios

    master, slave = os.openpty()

    def become_controlling():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        cmd,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        env=env,
        start_new_session=True,
        preexec_fn=become_controlling,
    )
    os.close(slave)
    return Terminal(master, proc)


# ---- running cryptburn ---------------------------------------------------


class Cryptburn:
    """cryptburn and the oracles, working in one directory."""

    def __init__(self, binaries, workdir):
        self.binary, self.xts_decrypt = binaries
        self.workdir = Path(workdir)
        self.passfile = write_passphrase_file(self.workdir / "passphrase")
        self.wrongfile = write_passphrase_file(
            self.workdir / "wrong-passphrase", OTHER_PASSPHRASE
        )
        self._n = 0

    def path(self, name):
        self._n += 1
        return self.workdir / ("%s-%d" % (name, self._n))

    def cmd(self, *args, nobody=False):
        cmd = [str(self.binary)] + [a if isinstance(a, bytes) else str(a) for a in args]
        return NOBODY + cmd if nobody else cmd

    def run(self, *args, nobody=False, **kwargs):
        return run(self.cmd(*args, nobody=nobody), **kwargs)

    def image(self, sources, output=None, fmt="luks2", extra=(), passfile=None, expect=0, **kw):
        """cryptburn image with fast key stretching; returns (output, process)."""
        if isinstance(sources, (str, bytes, os.PathLike)):
            sources = [sources]
        output = output or self.path("image.luks")
        args = ["image", "--format", fmt] + FORMATS[fmt]["fast"]
        args += ["--passphrase-file", passfile or self.passfile]
        args += list(extra) + list(sources) + ["-o", output]
        proc = self.run(*args, **kw)
        if expect is not None:
            assert proc.returncode == expect, describe(proc)
        return Path(output), proc

    def decrypt(self, image, fmt="luks2", output=None, sector_size=None):
        output = output or self.path("decrypted.iso")
        return Path(
            decrypt(
                self.xts_decrypt, image, self.passfile, output, fmt, sector_size=sector_size
            )
        )

    def extract(self, iso):
        out = self.path("extracted")
        return Path(extract(iso, out))

    def roundtrip(self, sources, fmt="luks2", extra=()):
        """image, decrypted ISO and extracted tree of sources."""
        image, proc = self.image(sources, fmt=fmt, extra=extra)
        iso = self.decrypt(image, fmt)
        out = self.extract(iso)
        return image, iso, out, proc

    def version(self):
        proc = self.run("--version", check=True)
        return proc.stdout.decode().split()[-1]


def stamp_tree(root, base=1_000_000_000):
    """Gives every file and directory below root a distinct mtime in the
    past, deepest first, so that an extraction cannot match by accident."""
    root = os.fsencode(root)
    n = 0
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames + dirnames:
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                continue
            n += 1
            os.utime(full, (base + 7 * n, base + 7 * n), follow_symlinks=False)
