"""API keys in clear or as SHA-256 digests, inline or in a file: what the API accepts, and the
errors that name a bad entry."""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from timeline.api.security import has_session, open_session, scopes_of
from timeline.cli import app
from timeline.config import Settings
from timeline.keys import BadKeyEntry, from_setting, new_entry

READ = frozenset({"read"})
BOTH = frozenset({"read", "publish"})


def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def test_a_key_given_as_its_digest_opens_what_the_key_in_clear_opens():
    settings = Settings(api_keys=f"sha256={sha('s3cret')}:read+publish;plain:read")  # type: ignore[call-arg]
    assert scopes_of(settings.api_key_digests, "s3cret") == BOTH
    assert scopes_of(settings.api_key_digests, "plain") == READ
    assert scopes_of(settings.api_key_digests, f"sha256={sha('s3cret')}") is None, "the digest is not a key"
    assert scopes_of(settings.api_key_digests, "s3cre") is None
    assert "s3cret" not in repr(settings.api_key_digests) and "plain" not in repr(settings.api_key_digests)


def test_keys_come_from_a_file_with_comments_and_the_inline_setting_is_not_read(tmp_path):
    file = tmp_path / "keys"
    file.write_text(f"# readers\nanalyst-key:read  # the newsroom\n\nsha256={sha('feeder').upper()}:publish\n")
    settings = Settings(api_keys_file=file, api_keys="inline:read")  # type: ignore[call-arg]
    assert scopes_of(settings.api_key_digests, "analyst-key") == READ
    assert scopes_of(settings.api_key_digests, "feeder") == frozenset({"publish"})
    assert scopes_of(settings.api_key_digests, "inline") is None


def test_a_web_session_opens_with_a_key_configured_only_as_a_digest():
    settings = Settings(api_keys=f"sha256={sha('reader')}:read")  # type: ignore[call-arg]
    cookie = open_session(settings, "reader")
    assert cookie is not None and "reader" not in cookie
    assert has_session(settings, cookie)
    assert not has_session(Settings(api_keys="other:read"), cookie)  # type: ignore[call-arg]


@pytest.mark.parametrize("entry, says", [
    ("no-scopes", "entry 1: expected KEY:scope+scope"),
    (":read", "entry 1: expected KEY:scope+scope"),
    ("k:admin", "entry 1: unknown scope 'admin'"),
    ("k:", "entry 1: unknown scope (none given)"),
    ("sha256=abc:read", "entry 1: a sha256= digest is 64 hex digits"),
    (f"sha256={'g' * 64}:read", "a sha256= digest is 64 hex digits"),
])
def test_a_bad_entry_is_named_with_the_reason(entry, says):
    with pytest.raises(BadKeyEntry) as caught:
        from_setting(entry)
    assert says in str(caught.value) and "TIMELINE_API_KEYS" in str(caught.value)


def test_a_bad_line_of_the_key_file_is_named_by_file_and_line(tmp_path):
    file = tmp_path / "keys"
    file.write_text("good:read\nbad:root\n")
    with pytest.raises(BadKeyEntry, match=rf"{file}:2: unknown scope 'root'"):
        assert not Settings(api_keys_file=file).api_key_digests  # type: ignore[call-arg]
    with pytest.raises(BadKeyEntry, match="cannot read"):
        assert not Settings(api_keys_file=tmp_path / "missing").api_key_digests  # type: ignore[call-arg]


@given(st.text(min_size=1).filter(lambda k: k.strip() == k and ";" not in k and k.rpartition(":")[0] == k.rpartition(":")[0].strip()))
def test_any_key_configured_in_clear_or_as_digest_gives_the_same_table(key):
    clear = from_setting(f"{key}:read")
    hashed = from_setting(f"sha256={hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}:read")
    assert clear == hashed
    assert scopes_of(clear, key) == READ


def test_timeline_keys_new_prints_a_key_and_both_entries_that_open_it():
    result = CliRunner().invoke(app, ["keys", "new", "--scope", "read", "--scope", "publish"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(":", 1) for line in result.output.strip().splitlines())
    key, clear, hashed = (lines[name].strip() for name in ("key", "entry", "as a digest"))
    assert clear == f"{key}:read+publish"
    assert scopes_of(from_setting(hashed), key) == BOTH == scopes_of(from_setting(clear), key)
    assert new_entry(["read"])[0] != key


def test_serve_names_a_bad_key_file_line_and_exits(tmp_path, monkeypatch):
    file = tmp_path / "keys"
    file.write_text("k:read+admin\n")
    monkeypatch.setenv("TIMELINE_API_KEYS_FILE", str(file))
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert f"{file}:1: unknown scope 'admin'" in " ".join(result.output.split())


def test_serve_refuses_a_default_key_beyond_loopback_even_from_a_file(tmp_path, monkeypatch):
    file = tmp_path / "keys"
    file.write_text(f"sha256={sha('local-reader')}:read\nmine:read+publish\n")
    monkeypatch.setenv("TIMELINE_API_KEYS_FILE", str(file))
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "the default API keys (local-reader)" in " ".join(result.output.split())
