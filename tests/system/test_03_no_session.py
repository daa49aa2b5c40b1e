# SPDX-License-Identifier: GPL-3.0-or-later
"""A user without a logind session (logged in elsewhere, a cron job) is
refused by real polkitd, until an administrator's rule allows them."""
import pytest

from conftest import TEST_DEVICE
from test_02_burn_as_user import FAST_KDF, cryptburn

RULE = "/etc/polkit-1/rules.d/50-cryptburn-bob.rules"


@pytest.fixture(scope="module")
def bob_data(vm):
    vm.ok(["mkdir", "-p", "/home/bob/backup"], user="bob")
    vm.write("/home/bob/backup/notes.txt", "bob's notes\n" * 100, mode=0o600, owner="bob")
    vm.write("/home/bob/pass", "bob's own good passphrase 91", mode=0o600, owner="bob")
    yield "/home/bob/backup"
    vm.ok(["rm", "-f", RULE])


def test_bob_has_no_session(vm):
    r = vm.ok(["loginctl", "list-sessions", "--no-legend"])
    assert "bob" not in r.out, r


def test_refused_without_a_session(vm, bob_data):
    r = cryptburn(vm, "burn", "--drive=" + TEST_DEVICE, "--passphrase-file=/home/bob/pass", *FAST_KDF, bob_data, user="bob")
    assert r.rc == 8, r
    # polkit's own words reach the user, not a generic failure
    assert "not authorized" in r.err.lower() or "authentication" in r.err.lower(), r
    assert "org.cryptburn.burn" in r.err or "polkit" in r.err.lower(), r


def test_allowed_by_an_administrators_rule(vm, bob_data):
    vm.write(RULE, """// tests/system: bob may burn without a session
polkit.addRule(function(action, subject) {
    if (action.id == "org.cryptburn.burn" && subject.user == "bob")
        return polkit.Result.YES;
});
""")
    # polkitd rereads its rules when the directory changes
    r = vm.ok(["sh", "-c", "for i in $(seq 50); do pkcheck --action-id org.cryptburn.burn "
               "--process $$ && exit 0; sleep 0.2; done; exit 1"], user="bob")
    r = cryptburn(vm, "burn", "--drive=" + TEST_DEVICE, "--passphrase-file=/home/bob/pass", *FAST_KDF, bob_data,
                  user="bob", timeout=1200)
    assert r.rc == 0, r
