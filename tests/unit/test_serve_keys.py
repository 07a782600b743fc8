"""`timeline serve` will not serve the shipped API keys to other machines."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from timeline.cli import app
from timeline.cli.serve import loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "timeline.example.org"])
def test_serving_beyond_loopback_with_the_default_keys_is_refused_with_the_reason(host, monkeypatch):
    monkeypatch.delenv("TIMELINE_API_KEYS", raising=False)
    result = CliRunner().invoke(app, ["serve", "--host", host])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert f"refusing to serve on {host}" in text and "TIMELINE_API_KEYS" in text


def test_own_keys_may_be_served_beyond_loopback(monkeypatch):
    monkeypatch.setenv("TIMELINE_API_KEYS", "a-key-of-our-own:read")
    monkeypatch.setenv("TIMELINE_KAFKA_BOOTSTRAP", "127.0.0.1:1")  # refused next, by the service check
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"])
    assert "refusing to serve" not in result.output
    assert result.exit_code != 0 and "Kafka" in result.output


@pytest.mark.parametrize("host, expected", [("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("[::1]", True),
                                            ("localhost", True), ("0.0.0.0", False), ("10.0.0.1", False)])
def test_loopback_addresses(host, expected):
    assert loopback(host) is expected
