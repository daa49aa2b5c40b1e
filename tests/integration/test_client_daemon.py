# SPDX-License-Identifier: GPL-3.0-or-later
"""The cryptburn command against the real cryptburnd (daemon_fixtures):
burns into stdio test drives, checked with cryptsetup, the OpenSSL oracle
and xorriso; the agent answered on a pseudo-terminal."""

import json
import os
import signal
import subprocess
import time

import cbtest
from daemon_fixtures import FAST_KDF

PROMPT = "Passphrase for the new"
REPEAT = "Repeat the passphrase: "
KDF = ["--pbkdf-force-iterations", str(FAST_KDF["pbkdf-force-iterations"][1]),
       "--pbkdf-memory", str(FAST_KDF["pbkdf-memory"][1])]


def make_tree(root):
    root.mkdir(parents=True)
    (root / "notes.txt").write_text("tax 2025\n")
    (root / "sub").mkdir()
    (root / "sub" / "data.bin").write_bytes(os.urandom(200 * 1024))
    os.chmod(root, 0o755)
    return root


def device(daemon, name):
    return "stdio:%s" % daemon.drive_files[name]


def cryptburn(cb, daemon, *args, **kwargs):
    return cbtest.run(cb.cmd(*args), env=daemon.bus.env(), **kwargs)


def assert_disc_holds(cb, disc, tree, passfile):
    assert cbtest.unlocks(disc, passfile) == 0
    assert cbtest.unlocks(disc, cb.wrongfile) != 0
    iso = cb.decrypt(disc)
    cbtest.compare_trees(cbtest.expected_tree(tree), cb.extract(iso))


def test_drives_lists_the_test_drives(cryptburnd, cb):
    proc = cryptburn(cb, cryptburnd, "drives", "--json")
    assert proc.returncode == 0, cbtest.describe(proc)
    drives = {d["device"]: d for d in json.loads(proc.stdout)}
    small = drives[device(cryptburnd, "small")]
    assert small["media"] == "file" and small["capacity"] == 2 * 1024 * 1024
    assert small["object"] == cryptburnd.drive_paths["small"]
    proc = cryptburn(cb, cryptburnd, "drives")
    assert device(cryptburnd, "disc0") in proc.stdout.decode()


def test_burn_with_passphrase_file(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    proc = cryptburn(cb, cryptburnd, "burn", "--drive", device(cryptburnd, "disc0"),
                     "--passphrase-file", cb.passfile, *KDF, "--json", "tree", cwd=tmp_path)
    assert proc.returncode == 0, cbtest.describe(proc)
    final = json.loads(proc.stdout.decode().splitlines()[-1])
    assert final["success"] is True and final["error"] is None
    disc = cryptburnd.drive_files["disc0"]
    digest = subprocess.run(["sha256sum", str(disc)], stdout=subprocess.PIPE,
                            check=True).stdout.split()[0].decode()
    assert final["checksum"] == digest
    assert final["bytes"] == disc.stat().st_size
    assert_disc_holds(cb, disc, tree, cb.passfile)


def complete_polkitd_mock(daemon):
    """The dbusmock template lacks the call that ends an agent's
    registration, which the client makes on a terminal; polkitd has it."""
    added = daemon.bus.call(
        "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
        "org.freedesktop.DBus.Mock", "AddMethod",
        "('org.freedesktop.PolicyKit1.Authority', 'UnregisterAuthenticationAgent', "
        "'(sa{sv})o', '', '')")
    assert "error" not in added, added


def test_burn_with_the_terminal_agent(cryptburnd, cb, tmp_path):
    complete_polkitd_mock(cryptburnd)
    tree = make_tree(tmp_path / "tree")
    term = cbtest.spawn_on_pty(cb.cmd("burn", "--drive", "test1", *KDF, tree),
                               env=cryptburnd.bus.env())
    for prompt in (PROMPT, REPEAT):
        term.expect(prompt)
        term.wait_echo_off()
        term.type(cbtest.PASSPHRASE + "\n")
    assert term.finish() == 0, term.output
    assert cbtest.PASSPHRASE.encode() not in term.output
    assert_disc_holds(cb, cryptburnd.drive_files["disc1"], tree, cb.passfile)


def test_burn_as_another_user(cryptburnd, cb, nobody_dir):
    tree = make_tree(nobody_dir / "tree")
    passfile = cbtest.write_passphrase_file(nobody_dir / "pass")
    proc = cbtest.run(cb.cmd("burn", "--drive", "test0", "--passphrase-file", passfile,
                             *KDF, "tree", nobody=True), cwd=nobody_dir, env=cryptburnd.bus.env())
    assert proc.returncode == 0, cbtest.describe(proc)
    assert_disc_holds(cb, cryptburnd.drive_files["disc0"], tree, passfile)


def test_disc_too_small(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    (tree / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    proc = cryptburn(cb, cryptburnd, "burn", "--drive", "test2", "--passphrase-file",
                     cb.passfile, *KDF, tree)
    assert proc.returncode == 5, cbtest.describe(proc)
    assert "MB" in proc.stderr.decode()


def test_not_authorized(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    cryptburnd.allow([])
    proc = cryptburn(cb, cryptburnd, "burn", "--drive", "test0", "--passphrase-file",
                     cb.passfile, tree)
    assert proc.returncode == 8, cbtest.describe(proc)


def test_source_unreadable(cryptburnd, cb, tmp_path):
    proc = cryptburn(cb, cryptburnd, "burn", "--drive", "test0", "--passphrase-file",
                     cb.passfile, tmp_path / "missing")
    assert proc.returncode == 3, cbtest.describe(proc)
    assert "missing" in proc.stderr.decode()


def test_burn_image_from_a_pipe(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    plain = tmp_path / "plain.iso"
    subprocess.run(["genisoimage", "-quiet", "-R", "-J", "-o", str(plain), str(tree)],
                   check=True)
    with open(plain, "rb") as f:
        proc = cryptburn(cb, cryptburnd, "burn-image", "--drive", "test1",
                         "--passphrase-file", cb.passfile, *KDF, "-", stdin=f)
    assert proc.returncode == 0, cbtest.describe(proc)
    iso = cb.decrypt(cryptburnd.drive_files["disc1"])
    with open(iso, "rb") as a, open(plain, "rb") as b:
        assert a.read(os.path.getsize(plain)) == b.read()


def test_ctrl_c_cancels_and_watch_reports_it(cryptburnd, cb, big_tree):
    burn = subprocess.Popen(cb.cmd("burn", "--drive", "test0", "--passphrase-file", cb.passfile,
                                   *KDF, "--speed", "6000", "--json", big_tree),
                            env=cryptburnd.bus.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while True:
        line = json.loads(burn.stdout.readline())
        if line.get("phase") == "writing" and line.get("state") == "running":
            break
        assert time.monotonic() < deadline and line["event"] == "progress", line
    jobs = json.loads(cryptburn(cb, cryptburnd, "jobs", "--json").stdout)
    assert [j["state"] for j in jobs] == ["running"]
    job = jobs[0]["job"]
    watch = subprocess.Popen(cb.cmd("watch", "--json", job), env=cryptburnd.bus.env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    burn.send_signal(signal.SIGINT)
    out, err = burn.communicate(timeout=120)
    assert burn.returncode == 130, (out, err)
    wout, werr = watch.communicate(timeout=120)
    assert watch.returncode == 130, (wout, werr)
    final = json.loads(wout.decode().splitlines()[-1])
    assert final["error"] == "org.cryptburn.CryptBurn1.Error.Cancelled"
    assert cryptburnd.alive()


def test_prompt_closed_when_the_daemon_gives_up(cryptburnd, cb, tmp_path):
    import termios

    complete_polkitd_mock(cryptburnd)
    tree = make_tree(tmp_path / "tree")
    term = cbtest.spawn_on_pty(cb.cmd("burn", "--drive", "test0", tree),
                               env=cryptburnd.bus.env())
    term.expect(PROMPT)
    term.wait_echo_off()
    # the fixture's daemon waits 3 s for an answer
    term.expect("did not answer", timeout=30)
    assert termios.tcgetattr(term.master)[3] & termios.ECHO
    assert term.finish() == 6, term.output
    # the abandoned prompt ends its line before the error is told
    assert b": \r\ncryptburn: " in term.output.replace(b"\r\x1b[K", b""), term.output
    disc = cryptburnd.drive_files["disc0"]
    assert not disc.exists() or disc.stat().st_size == 0


def test_cancel_needs_the_owner_or_polkit(cryptburnd, cb, big_tree):
    cryptburnd.allow(["org.cryptburn.burn"])
    burn = subprocess.Popen(cb.cmd("burn", "--drive", "test1", "--passphrase-file", cb.passfile,
                                   *KDF, "--speed", "6000", "--json", big_tree),
                            env=cryptburnd.bus.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    job = json.loads(burn.stdout.readline())["job"]
    number = job.rsplit("/", 1)[1]
    proc = cbtest.run(cb.cmd("cancel", number, nobody=True), cwd="/tmp",
                      env=cryptburnd.bus.env())
    assert proc.returncode == 8, cbtest.describe(proc)
    proc = cryptburn(cb, cryptburnd, "cancel", job)
    assert proc.returncode == 0, cbtest.describe(proc)
    out, err = burn.communicate(timeout=120)
    assert burn.returncode == 130, (out, err)
    assert json.loads(out.decode().splitlines()[-1])["error"].endswith(".Cancelled")
