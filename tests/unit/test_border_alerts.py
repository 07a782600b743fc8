"""The alert rule of the border-alerts service."""
from __future__ import annotations

import pytest

from border_alerts import alert_for
from timeline.bus.relay import ChangeMessage


def change(**kw) -> ChangeMessage:
    base = dict(seq=7, kind="created", source="s", id="e", version=1, type="border_decision",
                known_at="2018-06-26T12:00:00Z", occurred_start="2018-06-25", occurred_end="2018-06-25",
                summary="Jordan refuses entry", country_iso3="JOR", actor_ids=["jordan"], border="JOR-SYR",
                decision="refuse_entry")
    return ChangeMessage(**{**base, **kw})


@pytest.mark.parametrize("kw, alerts", [
    ({}, True), ({"decision": "close", "kind": "amended"}, True), ({"decision": "reopen"}, False),
    ({"kind": "retracted"}, False), ({"type": "statement", "decision": None, "border": None}, False),
])
def test_alert_rule(kw, alerts):
    alert = alert_for(change(**kw))
    assert (alert is not None) == alerts
    if alert:
        assert alert.change_seq == 7 and alert.border == "JOR-SYR"
