"""The Zotero key: read without argv (prompt, stdin, KB_ZOTERO_API_KEY), refused when it cannot be
a key, kept in the OS keyring when one is usable (else the 0600 file), never printed."""

from __future__ import annotations

import json
import stat

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from kb.errors import BadInput
from kb.zotero import credentials


class MemoryKeyring(KeyringBackend):
    """An OS keyring that lives in this test only."""

    priority = 10

    def __init__(self):
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring(monkeypatch):
    monkeypatch.delenv("KB_KEYRING", raising=False)
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.mark.parametrize("key,why", [("abc\ndef", "line break"), ('"abc123"', "quotes"), ("abc'123", "quotes"),
                                     ("abc 123", "spaces"), ("abc\x00123", "characters"), ("ключ123", "characters"),
                                     ("", "empty"), ("x" * 300, "characters")])
def test_keys_that_cannot_be_zotero_keys_are_refused_without_echoing_them(key, why):
    with pytest.raises(BadInput) as err:
        credentials.check_key(key)
    assert why in str(err.value)
    if key.strip():
        assert key.strip() not in str(err.value)


def test_a_pasted_key_keeps_working_without_its_trailing_newline():
    assert credentials.check_key("  P9NiFoyLeZu2bZNvvuQPDWsd\n") == "P9NiFoyLeZu2bZNvvuQPDWsd"


def test_the_key_goes_to_the_os_keyring_when_one_is_usable(cli, home, memory_keyring):
    code, out, err = cli("zotero", "setup", "--library-id", "1", "--api-key-stdin", input="P9NiFoyLeZu2bZNvvuQPDWsd\n")
    assert code == 0, err
    assert "OS keyring" in out and "P9Ni" not in out + err
    assert list(memory_keyring.store.values()) == ["P9NiFoyLeZu2bZNvvuQPDWsd"]
    assert "P9Ni" not in (home / "credentials.toml").read_text()  # only where the key is
    assert credentials.load_api_key(home) == "P9NiFoyLeZu2bZNvvuQPDWsd"
    code, out, _ = cli("zotero", "status", "--json")
    info = json.loads(out)
    assert info["api_key_stored"] is True and "OS keyring" in info["api_key_storage"] and "P9Ni" not in out


def test_without_a_usable_keyring_the_key_goes_to_a_0600_file(cli, home, monkeypatch):
    monkeypatch.delenv("KB_KEYRING", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        code, out, err = cli("zotero", "setup", "--library-id", "1", "--api-key-stdin", input="abcDEF123\n")
    finally:
        keyring.set_keyring(previous)
    assert code == 0, err
    cred = home / "credentials.toml"
    assert stat.S_IMODE(cred.stat().st_mode) == 0o600 and "abcDEF123" in cred.read_text()
    code, out, _ = cli("zotero", "status")
    assert "credentials.toml (mode 0600)" in out


def test_the_key_is_read_from_the_environment_at_setup(cli, home, monkeypatch):
    monkeypatch.setenv(credentials.ENV_VAR, "envKEY42")
    code, out, err = cli("zotero", "setup", "--library-id", "1")
    assert code == 0, err
    assert "from KB_ZOTERO_API_KEY" in out and "envKEY42" not in out + err
    monkeypatch.delenv(credentials.ENV_VAR)
    assert credentials.load_api_key(home) == "envKEY42"


def test_api_key_in_argv_warns_and_still_works(cli, home):
    code, out, err = cli("zotero", "setup", "--library-id", "1", "--api-key", "argvKEY7")
    assert code == 0 and "process list" in err and "argvKEY7" not in out + err
    assert credentials.load_api_key(home) == "argvKEY7"


def test_a_key_with_a_newline_on_stdin_is_refused_and_nothing_is_stored(cli, home):
    code, out, err = cli("zotero", "setup", "--library-id", "1", "--api-key-stdin", input="abc\ndef\n")
    assert code == 2 and "line break" in err
    assert not (home / "credentials.toml").exists()


def test_backups_leave_the_key_out(cli, home, tmp_path):
    import tarfile

    cli("zotero", "setup", "--library-id", "1", "--api-key", "secretKEY99")
    cli("papers")  # creates the database
    code, _, err = cli("backup", "-o", str(tmp_path / "b.tar.gz"))
    assert code == 0, err
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        assert "credentials.toml" not in tar.getnames()
        for member in tar.getmembers():
            assert b"secretKEY99" not in tar.extractfile(member).read()
    code, out, err = cli("--home", str(tmp_path / "elsewhere"), "restore", str(tmp_path / "b.tar.gz"))
    assert code == 0 and "no Zotero key on this machine" in out
