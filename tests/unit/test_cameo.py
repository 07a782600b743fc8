"""The CAMEO → PLOVER → our types table: every CAMEO code becomes a valid event of the type the
table documents, through the GDELT importer's own reading of a file."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from timeline.events import Envelope
from timeline.importers import cameo, gdelt
from timeline.importers.base import ActorResolver, ImportContext, RowError

# PLOVER's type for each CAMEO root, as the PLOVER codebook's crosswalk gives it (restated here)
PLOVER = {"02": "REQUEST", "03": "AGREE", "04": "CONSULT", "05": "SUPPORT", "06": "COOPERATE", "07": "AID",
          "08": "CONCEDE", "09": "ACCUSE", "10": "REQUEST", "11": "ACCUSE", "12": "REJECT", "13": "THREATEN",
          "14": "PROTEST", "15": "MOBILIZE", "16": "SANCTION", "17": "COERCE", "18": "ASSAULT", "19": "ASSAULT",
          "20": "ASSAULT"}
EXCEPTIONS = {"036": "CONSULT", "041": "CONSULT", "042": "CONSULT", "043": "CONSULT", "044": "CONSULT",
              "045": "CONSULT", "046": "CONSULT", "055": "CONCEDE", "056": "CONCEDE", "057": "AGREE",
              "087": "RETREAT", "0871": "AGREE", "0872": "RETREAT", "0873": "RETREAT", "0874": "RETREAT"}
LEAVES = [code for code in cameo.DESCRIPTIONS if len(code) >= 3]


def _events(tmp_path: Path, codes: list[str]) -> dict[str, Envelope | RowError]:
    """Each code in a GDELT line of its own, read by the importer."""
    lines = []
    for i, code in enumerate(codes):
        cells = dict.fromkeys(gdelt.COLUMNS, "")
        cells.update({"GlobalEventID": str(i + 1), "Day": "20180626", "Actor1Name": "RUSSIA", "Actor2Name": "JORDAN",
                      "EventCode": code, "NumSources": "2", "ActionGeo_Type": "4", "ActionGeo_FullName": "Daraa, Dar'a, Syria",
                      "ActionGeo_CountryCode": "SY", "DATEADDED": "20180626120000", "SOURCEURL": "https://example.org/a"})
        lines.append("\t".join(cells[c] for c in gdelt.COLUMNS))
    path = tmp_path / "codes.export.CSV"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    context = ImportContext(file=path.name, actors=ActorResolver([]))
    return dict(zip(codes, gdelt.read(path, context), strict=True))


def test_every_code_becomes_an_event_of_its_documented_type(tmp_path):
    for code, item in _events(tmp_path, LEAVES).items():
        assert isinstance(item, Envelope), (code, item)
        root = code[:2]
        if root in ("18", "19", "20"):
            assert item.type_name == "offensive_escalation", code
        elif code in ("057", "0871"):
            assert item.type_name == "agreement", code
            assert item.data.parties == ["russia", "jordan"]
        else:
            assert item.type_name == "statement", code
        assert cameo.mapping(code).plover_type == EXCEPTIONS.get(code, EXCEPTIONS.get(code[:3], PLOVER[root])), code
        assert cameo.description(code) in item.data.summary


def test_weapons_and_attack_kinds_follow_the_code(tmp_path):
    events = _events(tmp_path, ["1832", "1831", "181", "186", "194", "195", "193", "2041", "0871", "1381"])
    assert events["1832"].data.acled_sub_event_type == "Remote explosive/landmine/IED"
    assert (events["1831"].data.acled_sub_event_type, events["1831"].data.attack_kinds) == ("Suicide bomb", ["bombing"])
    assert events["181"].data.acled_sub_event_type == "Abduction/forced disappearance"
    assert (events["186"].data.acled_event_type, events["186"].data.acled_sub_event_type) == ("Violence against civilians", "Attack")
    assert events["194"].data.attack_kinds == ["shelling"]
    assert events["195"].data.acled_sub_event_type == "Air/drone strike"
    assert (events["193"].data.acled_event_type, events["193"].data.acled_sub_event_type) == ("Battles", "Armed clash")
    assert (events["2041"].data.acled_sub_event_type, events["2041"].data.weapons) == (
        "Chemical weapon", ["chemical, biological or radiological weapons"])
    assert events["0871"].data.kind == "ceasefire"
    assert (events["1381"].data.act, events["1381"].data.plover_type, events["1381"].data.auxiliary) == ("warn", "THREATEN", ["future"])


def test_make_statement_and_unknown_codes_are_reported_rows(tmp_path):
    events = _events(tmp_path, ["010", "019", "999", "19"])
    assert all(isinstance(item, RowError) and item.column == "EventCode" for item in events.values())
    assert "has no PLOVER type" in events["010"].reason and "not a CAMEO code" in events["999"].reason


@given(st.text(max_size=6))
def test_mapping_is_total_on_any_text(code):
    result = cameo.mapping(code)
    if code.strip() in LEAVES and not code.strip().startswith("01"):
        assert result is not None
    else:
        assert result is None
