# SPDX-License-Identifier: GPL-3.0-or-later
"""The system bus policy, dbus/org.cryptburn.CryptBurn1.conf, on a real
dbus-daemon with Debian's deny-by-default system bus rules.

cryptburnd is played by a stub (dbus_fixtures.py serve) that exports the
interfaces of the real XML and answers every call with STUB_ERROR: a call
answered with STUB_ERROR reached the service, AccessDenied was stopped by
the bus. Other users are played by nobody (uid 65534) through setpriv.
"""

import pytest

from dbus_fixtures import (
    ACCESS_DENIED,
    AGENT_PATH,
    BUS_NAME,
    DRIVE_PATH,
    JOB_PATH,
    MANAGER_PATH,
    ROOT_PATH,
    STUB_ERROR,
)

OWNED = {"reply": "(uint32 1,)"}  # DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER


@pytest.fixture
def service(system_bus):
    """The stub cryptburnd, owning the name as root."""
    answer = system_bus.spawn("serve")
    assert "name" in answer, answer
    return system_bus


def call_service(bus, path, iface, method, params="()", user="nobody"):
    return bus.call(BUS_NAME, path, iface, method, params, user=user)


def test_root_owns_the_name(system_bus):
    assert system_bus.run("own", BUS_NAME) == OWNED


def test_other_users_cannot_own_the_name(system_bus):
    answer = system_bus.run("own", BUS_NAME, user="nobody")
    assert answer["error"] == ACCESS_DENIED, answer


@pytest.mark.parametrize(
    "path, iface, method, params",
    [
        (MANAGER_PATH, BUS_NAME + ".Manager", "BurnFiles", "(@o '/', @as [], @a{sv} {})"),
        (DRIVE_PATH, BUS_NAME + ".Drive", "Eject", "(@a{sv} {},)"),
        (DRIVE_PATH, BUS_NAME + ".Drive", "Blank", "(@a{sv} {},)"),
        (JOB_PATH, BUS_NAME + ".Job", "Cancel", "(@a{sv} {},)"),
    ],
)
def test_everyone_reaches_the_service_methods(service, path, iface, method, params):
    answer = call_service(service, path, iface, method, params)
    assert answer["error"] == STUB_ERROR, answer
    assert answer["message"] == "stub reached: %s.%s" % (iface, method)


def test_everyone_reads_properties(service):
    answer = call_service(
        service,
        MANAGER_PATH,
        "org.freedesktop.DBus.Properties",
        "GetAll",
        "('%s.Manager',)" % BUS_NAME,
    )
    assert "'Version'" in answer.get("reply", ""), answer


def test_everyone_uses_the_standard_interfaces(service):
    introspection = call_service(
        service, MANAGER_PATH, "org.freedesktop.DBus.Introspectable", "Introspect"
    )
    assert BUS_NAME + ".Manager" in introspection.get("reply", ""), introspection
    assert call_service(service, MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping") == {
        "reply": "()"
    }
    objects = call_service(
        service, ROOT_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"
    )
    assert "reply" in objects, objects


@pytest.mark.parametrize(
    "iface, method, params",
    [
        # an interface of the service that the policy does not name
        (BUS_NAME + ".Unlisted", "Poke", "()"),
        # the agent interface belongs to clients, not to the service
        (BUS_NAME + ".PassphraseAgent", "Cancel", "(@o '/',)"),
        # no interface field: an allow rule naming an interface never matches it
        ("-", "BurnFiles", "(@o '/', @as [], @a{sv} {})"),
    ],
)
def test_the_bus_refuses_everything_else(service, iface, method, params):
    answer = call_service(service, MANAGER_PATH, iface, method, params)
    assert answer["error"] == ACCESS_DENIED, answer


def test_the_service_calls_a_clients_passphrase_agent(system_bus):
    agent = system_bus.spawn("agent", user="nobody")["name"]
    answer = system_bus.call(
        agent,
        AGENT_PATH,
        BUS_NAME + ".PassphraseAgent",
        "RequestPassphrase",
        "(@o '%s', 'Passphrase for the disc', @a{sv} {})" % JOB_PATH,
    )
    # GVariant text form: the type annotation on the first element only
    stub = ", ".join("0x%02x" % c for c in b"stub passphrase")
    assert answer.get("reply") == "([byte %s],)" % stub, answer
    assert system_bus.call(
        agent, AGENT_PATH, BUS_NAME + ".PassphraseAgent", "Cancel", "(@o '%s',)" % JOB_PATH
    ) == {"reply": "()"}


def test_only_the_agent_interface_of_a_client(system_bus):
    agent = system_bus.spawn("agent", user="nobody")["name"]
    answer = system_bus.call(
        agent, AGENT_PATH, "org.freedesktop.DBus.Introspectable", "Introspect", "()"
    )
    assert answer["error"] == ACCESS_DENIED, answer


def test_other_users_cannot_call_a_clients_agent(system_bus):
    agent = system_bus.spawn("agent", user="nobody")["name"]
    answer = system_bus.call(
        agent,
        AGENT_PATH,
        BUS_NAME + ".PassphraseAgent",
        "RequestPassphrase",
        "(@o '%s', 'Give me your passphrase', @a{sv} {})" % JOB_PATH,
        user="nobody",
    )
    assert answer["error"] == ACCESS_DENIED, answer


# ---- the test bus's own holes for the mocks ---------------------------------


def test_polkit_mock_serves_root_and_users(polkitd_mock, system_bus):
    subject = (
        "(('system-bus-name', {'name': <':1.0'>}), 'org.cryptburn.burn', @a{ss} {}, uint32 0, '')"
    )
    for user in ("root", "nobody"):
        answer = system_bus.call(
            "org.freedesktop.PolicyKit1",
            "/org/freedesktop/PolicyKit1/Authority",
            "org.freedesktop.PolicyKit1.Authority",
            "CheckAuthorization",
            subject,
            user=user,
        )
        # the mock says no until told otherwise
        assert answer.get("reply", "").startswith("((false,"), (user, answer)


def test_only_root_controls_the_polkit_mock(polkitd_mock, system_bus):
    args = (
        "org.freedesktop.PolicyKit1",
        "/org/freedesktop/PolicyKit1/Authority",
        "org.freedesktop.DBus.Mock",
        "SetAllowed",
        "(['org.cryptburn.burn'],)",
    )
    assert system_bus.call(*args, user="nobody")["error"] == ACCESS_DENIED
    assert system_bus.call(*args) == {"reply": "()"}


def test_logind_mock_hands_out_inhibitors(logind_mock, system_bus):
    answer = system_bus.call(
        "org.freedesktop.login1",
        "/org/freedesktop/login1",
        "org.freedesktop.login1.Manager",
        "Inhibit",
        "('shutdown:sleep', 'cryptburn', 'Writing a disc', 'block')",
    )
    assert "reply" in answer, answer


@pytest.mark.parametrize("name", ["org.freedesktop.PolicyKit1", "org.freedesktop.login1"])
def test_only_root_owns_the_mocked_names(system_bus, name):
    assert system_bus.run("own", name, user="nobody")["error"] == ACCESS_DENIED
    assert system_bus.run("own", name) == OWNED
