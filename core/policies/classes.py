"""The supervision class of an enterprise record and its published credit tier (DOMAIN rules 7, 8).

The class is the one the supervision_class policy decided and stored on the enterprise
(``doc["decisions"]``). Without a stored decision the registry and event facts decide it the
same way the default pack does: penalised in the last year, a supervised case, a yellow or red
published rating, a "major" risk or 3+ verified complaints make it special; a key discharger or
a "larger" risk makes it key; everyone else is general. Pure: policy facts (``facts.py``) and the
plans' populations (``core/inspections/classes.py``) read it, so it lives here, below inspections.
"""

from __future__ import annotations

from typing import Any

from core.policies.models import SupervisionClass


def published_tier(doc: dict[str, Any]) -> str:
    credit = doc.get("credit") or {}
    if credit.get("tier") and credit.get("published", True):
        return str(credit["tier"])
    return "unrated"  # a draft rating under public notice is ignored (rule 8)


def supervision_class(doc: dict[str, Any]) -> SupervisionClass:
    decided = (doc.get("decisions") or {}).get("supervision_class")
    if decided:
        return SupervisionClass(decided["outputs"]["class"])
    history = doc.get("history") or {}
    if (published_tier(doc) in ("yellow", "red") or doc.get("emergency_risk") == "major"
            or history.get("penalties_12m", 0) >= 1 or history.get("supervised_case")
            or history.get("verified_complaints_12m", 0) >= 3):
        return SupervisionClass.SPECIAL
    if doc.get("key_discharger") or doc.get("emergency_risk") == "larger":
        return SupervisionClass.KEY
    return SupervisionClass.GENERAL
