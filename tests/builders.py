"""Events of the corrections scenarios, shared by the core's unit tests and the integration tests:
border decisions of Jordan and corrections of them, on one source, at three instants."""
from __future__ import annotations

from datetime import UTC, datetime

from timeline.events import BY_NAME

SOURCE = "urn:test:corrections"
T1 = datetime(2018, 6, 26, 12, tzinfo=UTC)
T2 = datetime(2018, 6, 27, 12, tzinfo=UTC)
T3 = datetime(2018, 6, 28, 12, tzinfo=UTC)


def fact(id_: str, start: str, end: str | None = None, precision: str = "day", recorded=T1, summary=None):
    return BY_NAME["border_decision"].envelope.model_validate({
        "id": id_, "source": SOURCE, "type": "org.timeline.border_decision.v1",
        "time": f"{start}T00:00:00Z", "recordedtime": recorded,
        "data": {
            "summary": summary or f"Border decision {id_}", "occurred_start": start, "occurred_end": end or start,
            "date_precision": precision, "location": {"country_iso3": "JOR", "geo_precision": 3},
            "actors": [{"actor_id": "jordan", "name": "Jordan", "role": "decider"}],
            "sources": [{"publisher": "EA WorldView", "original_claimant": "Jordanian Government"}],
            "border": "JOR-SYR", "decision": "close", "plover_type": "REJECT",
        },
    })


def correction(id_: str, target: str, action: str, recorded, changes=None):
    return BY_NAME["correction"].envelope.model_validate({
        "id": id_, "source": SOURCE, "type": "org.timeline.correction.v1",
        "time": recorded, "recordedtime": recorded,
        "data": {"corrects_id": target, "corrects_type": "border_decision", "action": action,
                 "changes": changes or {}, "reason": f"{action} by {id_}"},
    })
