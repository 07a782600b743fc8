"""CAMEO event codes (GDELT's ``EventCode``) read as PLOVER event types and as our event types.

CAMEO's twenty root codes map to PLOVER's sixteen types as the PLOVER codebook's crosswalk
does: 02 APPEAL and 10 DEMAND → REQUEST, 03 EXPRESS INTENT TO COOPERATE → AGREE (a promise),
04 CONSULT → CONSULT, 05 DIPLOMATIC COOPERATION → SUPPORT (055 apologise, 056 forgive →
CONCEDE), 06 → COOPERATE, 07 → AID, 08 YIELD → CONCEDE (087 de-escalate → RETREAT),
09 INVESTIGATE → ACCUSE with mode investigate, 11 DISAPPROVE → ACCUSE, 12 → REJECT,
13 → THREATEN, 14 → PROTEST, 15 EXHIBIT FORCE POSTURE → MOBILIZE, 16 REDUCE RELATIONS →
SANCTION, 17 → COERCE, 18 ASSAULT, 19 FIGHT and 20 MASS VIOLENCE → ASSAULT.

Our types:

- 18, 19 and 20 are ``offensive_escalation``, with the ACLED event and sub-event type the code
  names: bombings (183x) are "Explosions/Remote violence / Remote explosive/landmine/IED"
  (suicide bombings, 1831, "Suicide bomb"), artillery and tanks (194) "Shelling/artillery/
  missile attack", aerial weapons (195) "Air/drone strike", chemical, biological or
  radiological weapons (2041) "Chemical weapon", other fighting (19x) "Battles / Armed clash",
  and assaults on people (18x, 20x) "Violence against civilians / Attack" (abductions, 181,
  "Abduction/forced disappearance"; sexual assault, 1821, "Sexual violence"; mass expulsion,
  201, "Other"); weapons of mass destruction are also named in ``weapons``.
- 057 "Sign formal agreement" is an ``agreement`` (kind other, status announced) and 0871
  "Declare truce, ceasefire" an ``agreement`` of kind ceasefire: the code says an agreement
  was made. Other yielding codes (0874 retreat or surrender, say) do not say one was signed.
- Every other code is a ``statement``: PLOVER's type, the act the code names (appeals are
  requests, demands demands, accusations accusations, threats warnings, expressed intent a
  promise about the future, a meeting planned ``announce_talks``) or ``inform`` for a reported
  action, and PLOVER's mode where the code gives one (CONSULT: phone, visit, third-party,
  mediate, negotiate).
- Root 01 MAKE PUBLIC STATEMENT has no PLOVER type: PLOVER drops CAMEO's contentless
  statements, so these rows are not imported (``mapping`` returns None and the importer reports
  the row). So is a code CAMEO does not define.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OurType = Literal["statement", "agreement", "offensive_escalation"]

_CODES = """
02 Appeal|020 Appeal, not specified below|021 Appeal for material cooperation|0211 Appeal for economic cooperation
0212 Appeal for military cooperation|0213 Appeal for judicial cooperation|0214 Appeal for intelligence
022 Appeal for diplomatic cooperation, such as policy support|023 Appeal for aid|0231 Appeal for economic aid
0232 Appeal for military aid|0233 Appeal for humanitarian aid|0234 Appeal for military protection or peacekeeping
024 Appeal for political reform|0241 Appeal for change in leadership|0242 Appeal for policy change
0243 Appeal for rights|0244 Appeal for change in institutions, regime|025 Appeal to yield
0251 Appeal for easing of administrative sanctions|0252 Appeal for easing of popular dissent
0253 Appeal for release of persons or property|0254 Appeal for easing of economic sanctions, boycott, or embargo
0255 Appeal for target to allow international involvement|0256 Appeal for de-escalation of military engagement
026 Appeal to others to meet or negotiate|027 Appeal to others to settle dispute
028 Appeal to others to engage in or accept mediation
03 Express intent to cooperate|030 Express intent to cooperate, not specified below
031 Express intent to engage in material cooperation|0311 Express intent to cooperate economically
0312 Express intent to cooperate militarily|0313 Express intent to cooperate on judicial matters
0314 Express intent to cooperate on intelligence|032 Express intent to provide diplomatic cooperation
033 Express intent to provide material aid|0331 Express intent to provide economic aid
0332 Express intent to provide military aid|0333 Express intent to provide humanitarian aid
0334 Express intent to provide military protection or peacekeeping|034 Express intent to institute political reform
0341 Express intent to change leadership|0342 Express intent to change policy|0343 Express intent to provide rights
0344 Express intent to change institutions, regime|035 Express intent to yield
0351 Express intent to ease administrative sanctions|0352 Express intent to ease popular dissent
0353 Express intent to release persons or property|0354 Express intent to ease economic sanctions, boycott, or embargo
0355 Express intent to allow international involvement|0356 Express intent to de-escalate military engagement
036 Express intent to meet or negotiate|037 Express intent to settle dispute|038 Express intent to accept mediation
039 Express intent to mediate
04 Consult|040 Consult, not specified below|041 Discuss by telephone|042 Make a visit|043 Host a visit
044 Meet at a third location|045 Mediate|046 Engage in negotiation
05 Engage in diplomatic cooperation|050 Engage in diplomatic cooperation, not specified below|051 Praise or endorse
052 Defend verbally|053 Rally support on behalf of|054 Grant diplomatic recognition|055 Apologize|056 Forgive
057 Sign formal agreement
06 Engage in material cooperation|060 Engage in material cooperation, not specified below|061 Cooperate economically
062 Cooperate militarily|063 Engage in judicial cooperation|064 Share intelligence or information
07 Provide aid|070 Provide aid, not specified below|071 Provide economic aid|072 Provide military aid
073 Provide humanitarian aid|074 Provide military protection or peacekeeping|075 Grant asylum
08 Yield|080 Yield, not specified below|081 Ease administrative sanctions|0811 Ease restrictions on political freedoms
0812 Ease ban on political parties or politicians|0813 Ease curfew|0814 Ease state of emergency or martial law
082 Ease political dissent|083 Accede to requests or demands for political reform
0831 Accede to demands for change in leadership|0832 Accede to demands for change in policy
0833 Accede to demands for rights|0834 Accede to demands for change in institutions, regime
084 Return, release|0841 Return, release person(s)|0842 Return, release property
085 Ease economic sanctions, boycott, embargo|086 Allow international involvement
0861 Receive deployment of peacekeepers|0862 Receive inspectors|0863 Allow delivery of humanitarian aid
087 De-escalate military engagement|0871 Declare truce, ceasefire|0872 Ease military blockade
0873 Demobilize armed forces|0874 Retreat or surrender militarily
09 Investigate|090 Investigate, not specified below|091 Investigate crime, corruption
092 Investigate human rights abuses|093 Investigate military action|094 Investigate war crimes
10 Demand|100 Demand, not specified below|101 Demand information, investigation|1011 Demand economic cooperation
1012 Demand military cooperation|1013 Demand judicial cooperation|1014 Demand intelligence cooperation
102 Demand policy support|103 Demand aid, protection, or peacekeeping|1031 Demand economic aid
1032 Demand military aid|1033 Demand humanitarian aid|1034 Demand military protection or peacekeeping
104 Demand political reform|1041 Demand change in leadership|1042 Demand policy change|1043 Demand rights
1044 Demand change in institutions, regime|105 Demand mediation|1051 Demand easing of administrative sanctions
1052 Demand easing of political dissent|1053 Demand release of persons or property
1054 Demand easing of economic sanctions, boycott, or embargo
1055 Demand that target allows international involvement|1056 Demand de-escalation of military engagement
106 Demand withdrawal|107 Demand ceasefire|108 Demand meeting, negotiation
11 Disapprove|110 Disapprove, not specified below|111 Criticize or denounce|112 Accuse, not specified below
1121 Accuse of crime, corruption|1122 Accuse of human rights abuses|1123 Accuse of aggression
1124 Accuse of war crimes|1125 Accuse of espionage, treason|113 Rally opposition against|114 Complain officially
115 Bring lawsuit against|116 Find guilty or liable (legally)
12 Reject|120 Reject, not specified below|121 Reject material cooperation|1211 Reject economic cooperation
1212 Reject military cooperation|122 Reject request or demand for material aid|1221 Reject request for economic aid
1222 Reject request for military aid|1223 Reject request for humanitarian aid
1224 Reject request for military protection or peacekeeping|123 Reject request or demand for political reform
1231 Reject request for change in leadership|1232 Reject request for policy change|1233 Reject request for rights
1234 Reject request for change in institutions, regime|124 Refuse to yield
1241 Refuse to ease administrative sanctions|1242 Refuse to ease popular dissent
1243 Refuse to release persons or property|1244 Refuse to ease economic sanctions, boycott, or embargo
1245 Refuse to allow international involvement|1246 Refuse to de-escalate military engagement
125 Reject proposal to meet, discuss, or negotiate|126 Reject mediation|127 Reject plan, agreement to settle dispute
128 Defy norms, law|129 Veto
13 Threaten|130 Threaten, not specified below|131 Threaten non-force|1311 Threaten to reduce or stop aid
1312 Threaten to boycott, embargo, or sanction|1313 Threaten to reduce or break relations
132 Threaten with administrative sanctions|1321 Threaten to impose restrictions on political freedoms
1322 Threaten to ban political parties or politicians|1323 Threaten to impose curfew
1324 Threaten to impose state of emergency or martial law|133 Threaten political dissent, protest
134 Threaten to halt negotiations|135 Threaten to halt mediation|136 Threaten to halt international involvement
137 Threaten with violent repression|138 Threaten to use military force|1381 Threaten blockade
1382 Threaten occupation|1383 Threaten unconventional violence|1384 Threaten conventional attack
1385 Threaten attack with WMD|139 Give ultimatum
14 Protest|140 Engage in political dissent, not specified below|141 Demonstrate or rally
1411 Demonstrate for leadership change|1412 Demonstrate for policy change|1413 Demonstrate for rights
1414 Demonstrate for change in institutions, regime|142 Conduct hunger strike
1421 Conduct hunger strike for leadership change|1422 Conduct hunger strike for policy change
1423 Conduct hunger strike for rights|1424 Conduct hunger strike for change in institutions, regime
143 Conduct strike or boycott|1431 Conduct strike or boycott for leadership change
1432 Conduct strike or boycott for policy change|1433 Conduct strike or boycott for rights
1434 Conduct strike or boycott for change in institutions, regime|144 Obstruct passage, block
1441 Obstruct passage to demand leadership change|1442 Obstruct passage to demand policy change
1443 Obstruct passage to demand rights|1444 Obstruct passage to demand change in institutions, regime
145 Protest violently, riot|1451 Engage in violent protest for leadership change
1452 Engage in violent protest for policy change|1453 Engage in violent protest for rights
1454 Engage in violent protest for change in institutions, regime
15 Exhibit force posture|150 Demonstrate military or police power|151 Increase police alert status
152 Increase military alert status|153 Mobilize or increase police power|154 Mobilize or increase armed forces
16 Reduce relations|160 Reduce relations, not specified below|161 Reduce or break diplomatic relations
162 Reduce or stop aid|1621 Reduce or stop economic assistance|1622 Reduce or stop military assistance
1623 Reduce or stop humanitarian assistance|163 Impose embargo, boycott, or sanctions|164 Halt negotiations
165 Halt mediation|166 Expel or withdraw|1661 Expel or withdraw peacekeepers|1662 Expel or withdraw inspectors, observers
1663 Expel or withdraw aid agencies
17 Coerce|170 Coerce, not specified below|171 Seize or damage property|1711 Confiscate property|1712 Destroy property
172 Impose administrative sanctions|1721 Impose restrictions on political freedoms|1722 Ban political parties or politicians
1723 Impose curfew|1724 Impose state of emergency or martial law|173 Arrest, detain, or charge with legal action
174 Expel or deport individuals|175 Use tactics of violent repression
18 Assault|180 Use unconventional violence|181 Abduct, hijack, or take hostage|182 Physically assault
1821 Sexually assault|1822 Torture|1823 Kill by physical assault|183 Conduct suicide, car, or other non-military bombing
1831 Carry out suicide bombing|1832 Carry out car bombing|1833 Carry out roadside bombing|184 Use as human shield
185 Attempt to assassinate|186 Assassinate
19 Fight|190 Use conventional military force|191 Impose blockade, restrict movement|192 Occupy territory
193 Fight with small arms and light weapons|194 Fight with artillery and tanks|195 Employ aerial weapons
196 Violate ceasefire
20 Use unconventional mass violence|200 Use unconventional mass violence, not specified below
201 Engage in mass expulsion|202 Engage in mass killings|203 Engage in ethnic cleansing
204 Use weapons of mass destruction|2041 Use chemical, biological, or radiological weapons|2042 Detonate nuclear weapons
"""

DESCRIPTIONS: dict[str, str] = dict(
    item.strip().split(" ", 1) for line in _CODES.strip().splitlines() for item in line.split("|")
)
"""CAMEO code → its description (CAMEO 1.1b3, as GDELT's lookup gives it), root 01 left out."""


@dataclass(frozen=True)
class Mapping:
    """What one CAMEO code becomes: our type, PLOVER's type and mode, and the type's own fields."""

    type: OurType
    plover_type: str
    act: str = "inform"  # statement
    plover_mode: str | None = None  # statement
    auxiliary: tuple[str, ...] = ()  # statement
    kind: str = "other"  # agreement
    acled_event_type: str = ""  # offensive_escalation
    acled_sub_event_type: str = ""
    attack_kinds: tuple[str, ...] = ()
    weapons: tuple[str, ...] = ()


def _said(plover: str, act: str = "inform", **extra) -> Mapping:
    return Mapping("statement", plover, act=act, **extra)


def _violence(event_type: str, sub_type: str, **extra) -> Mapping:
    return Mapping("offensive_escalation", "ASSAULT", acled_event_type=event_type, acled_sub_event_type=sub_type, **extra)


_VAC = _violence("Violence against civilians", "Attack")
_CLASH = _violence("Battles", "Armed clash")
_FUTURE = ("future",)

ROOTS: dict[str, Mapping] = {
    "02": _said("REQUEST", "request"),
    "03": _said("AGREE", "promise", auxiliary=_FUTURE),
    "04": _said("CONSULT"),
    "05": _said("SUPPORT"),
    "06": _said("COOPERATE"),
    "07": _said("AID"),
    "08": _said("CONCEDE"),
    "09": _said("ACCUSE", plover_mode="investigate"),
    "10": _said("REQUEST", "demand"),
    "11": _said("ACCUSE", "accuse"),
    "12": _said("REJECT", "reject"),
    "13": _said("THREATEN", "warn", auxiliary=_FUTURE),
    "14": _said("PROTEST"),
    "15": _said("MOBILIZE"),
    "16": _said("SANCTION"),
    "17": _said("COERCE"),
    "18": _VAC,
    "19": _CLASH,
    "20": _VAC,
}
"""Per root code, the mapping of every code under it that ``CODES`` does not name."""

CODES: dict[str, Mapping] = {
    "036": _said("CONSULT", "announce_talks", auxiliary=_FUTURE),
    "041": _said("CONSULT", plover_mode="phone"),
    "042": _said("CONSULT", plover_mode="visit"),
    "043": _said("CONSULT", plover_mode="visit"),
    "044": _said("CONSULT", plover_mode="third-party"),
    "045": _said("CONSULT", plover_mode="mediate"),
    "046": _said("CONSULT", plover_mode="negotiate"),
    "055": _said("CONCEDE"),
    "056": _said("CONCEDE"),
    "057": Mapping("agreement", "AGREE", kind="other"),
    "087": _said("RETREAT"),
    "0871": Mapping("agreement", "AGREE", kind="ceasefire"),
    "0872": _said("RETREAT"),
    "0873": _said("RETREAT"),
    "0874": _said("RETREAT"),
    "181": _violence("Violence against civilians", "Abduction/forced disappearance"),
    "1821": _violence("Violence against civilians", "Sexual violence"),
    "183": _violence("Explosions/Remote violence", "Remote explosive/landmine/IED", attack_kinds=("bombing",)),
    "1831": _violence("Explosions/Remote violence", "Suicide bomb", attack_kinds=("bombing",)),
    "194": _violence("Explosions/Remote violence", "Shelling/artillery/missile attack", attack_kinds=("shelling",)),
    "195": _violence("Explosions/Remote violence", "Air/drone strike", attack_kinds=("air_strike",)),
    "201": _violence("Violence against civilians", "Other"),
    "2041": _violence("Explosions/Remote violence", "Chemical weapon", weapons=("chemical, biological or radiological weapons",)),
    "2042": _violence("Explosions/Remote violence", "Other", weapons=("nuclear weapons",)),
}
"""Codes (and the codes under them) that their root's mapping does not fit."""


def mapping(code: str) -> Mapping | None:
    """The mapping of CAMEO ``code`` (its most specific entry), or None when it has none: an
    unknown code, or root 01, which PLOVER drops."""
    code = code.strip()
    if code not in DESCRIPTIONS or len(code) < 3:
        return None
    for prefix in (code, code[:3]):
        if prefix in CODES:
            return CODES[prefix]
    return ROOTS.get(code[:2])


def description(code: str) -> str | None:
    """CAMEO's description of ``code``, without its "not specified below"."""
    text = DESCRIPTIONS.get(code.strip())
    return text.replace(", not specified below", "") if text else None
