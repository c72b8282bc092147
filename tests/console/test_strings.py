"""Both languages say everything the console says."""
from __future__ import annotations

import re
from pathlib import Path

from gateway.categories import CATEGORIES
from gateway.web.console import strings
from gateway.web.params import MESSAGE_CHOICES
from gateway.store.report_queue import STATUSES

CONSOLE = Path(strings.__file__).parent


def used_keys() -> set[str]:
    keys = set()
    for path in list(CONSOLE.glob("templates/console/*.html")) + list(CONSOLE.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r"""\bt\(["']([a-z_]+)["']""", source))
        keys |= set(re.findall(r"""(?:error=|message_key=)"([a-z_]+)\"""", source))
        for call in re.findall(r"flash\(([^)]*)\)", source):      # flash("a" if ... else "b") too
            keys |= set(re.findall(r'"([a-z_]+)"', call))
    keys |= {f"cat_{code}" for code in CATEGORIES} | {f"status_{s}" for s in STATUSES}
    keys |= {f"{name}_{value}" for name, values in MESSAGE_CHOICES.items() for value in values} | set(MESSAGE_CHOICES)
    keys |= {f"role_{role}" for role in ("admin", "auditor", "coordinator")}
    keys |= {f"step_{e}" for e in ("received", "classified", "routed", "alert_sent", "delivered", "failed",
                                   "acknowledged", "closed", "corrected")}
    keys |= {f"kind_{kind}" for kind in ("forum", "working_group", "triage")}
    return {key for key in keys if not key.endswith("_")}     # t("cat_" + code): the prefixes themselves


def test_french_and_english_have_the_same_keys():
    assert set(strings.FR) == set(strings.EN)


def test_every_key_the_console_uses_exists():
    assert used_keys() - set(strings.FR) == set()
