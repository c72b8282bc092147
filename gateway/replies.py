"""Replies to keywords and commands, and the follow-up to reporters, in fr, en and bm.

Like receipts, nothing sent to a reporter echoes what they reported: a phone can be
seized. Texts are GSM-7 and one segment, except INFO for coordinators (two at most).
Bambara strings need review by a native speaker.
"""
from __future__ import annotations

from gateway.categories import label
from gateway.gsm7 import fit, to_gsm7

ONE_SEGMENT = 160
TWO_SEGMENTS = 306

REPORTER = {
    "stopped": {
        "fr": "Vous ne recevrez plus de SMS de notre part. Pour reprendre, envoyez START.",
        "en": "You will receive no more SMS from us. To resume, send START.",
        "bm": "An tè SMS ci i ma tugun. Ka segin a la, START ci.",
    },
    "started": {
        "fr": "C'est note: vous recevrez a nouveau nos SMS. Envoyez AIDE pour l'aide.",
        "en": "Done: you will receive our SMS again. Send HELP for help.",
        "bm": "A sèbènna: an bèna SMS ci i ma tugun. DEME ci ka dèmè sòrò.",
    },
    "help": {
        "fr": "Pour signaler, ecrivez ce qui se passe et ou. SUIVI <ref>: suivi. STOP: plus de SMS. "
              "EN, BM: langue.",
        "en": "To report, write what is happening and where. SUIVI <ref>: follow up. STOP: no more SMS. "
              "FR, BM: language.",
        "bm": "Ka kunnafoni di, min bè kèra ani a yòrò sèbèn. SUIVI <ref>: a labanko. STOP: SMS tè ci tugun. "
              "FR, EN: kan.",
    },
    "language": {"fr": "Langue: francais.", "en": "Language: English.", "bm": "Kan: bamanankan."},
    "status": {"fr": "Ref {ref}: {status}.", "en": "Ref {ref}: {status}.", "bm": "Ref {ref}: {status}."},
    "status_unknown": {
        "fr": "Ref {ref} introuvable. Verifiez le code recu apres votre message.",
        "en": "Ref {ref} not found. Check the code you received after your message.",
        "bm": "Ref {ref} ma sòrò. I ka kode lajè min sera i ma.",
    },
    "status_usage": {
        "fr": "Envoyez SUIVI puis votre reference, par exemple SUIVI 64DXNW.",
        "en": "Send SUIVI then your reference, for example SUIVI 64DXNW.",
        "bm": "SUIVI ci ani i ka ref, i n'a fo SUIVI 64DXNW.",
    },
    "follow_up": {
        "fr": "Votre message Ref {ref} a ete pris en charge. Merci.",
        "en": "Your message Ref {ref} has been taken up. Thank you.",
        "bm": "I ka cikan Ref {ref} tara ka baara kè a kan. I ni ce.",
    },
}

# What a reporter may know of their report's progress: no forum, no place, no content.
REPORTER_STATUS = {
    "fr": {"received": "recu, en cours de traitement", "acknowledged": "pris en charge",
           "closed": "traite et cloture"},
    "en": {"received": "received, being processed", "acknowledged": "taken up", "closed": "dealt with and closed"},
    "bm": {"received": "a sòròla, a bè baara la", "acknowledged": "a tara", "closed": "a banna"},
}

COORDINATOR = {
    "help": {
        "fr": "Commandes: OK <ref> pris en charge, FIN <ref> [note] cloture, INFO <ref> details, AIDE.",
        "en": "Commands: OK <ref> acknowledge, FIN <ref> [note] close, INFO <ref> details, HELP.",
        "bm": "Cikanw: OK <ref> a tara, FIN <ref> [note] a banna, INFO <ref> kunnafoni, DEME.",
    },
    "usage": {
        "fr": "Il manque la reference: {verb} <ref>, par exemple {verb} 64DXNW.",
        "en": "The reference is missing: {verb} <ref>, for example {verb} 64DXNW.",
        "bm": "Ref tè yen: {verb} <ref>, i n'a fo {verb} 64DXNW.",
    },
    "unknown": {
        "fr": "Ref {ref} introuvable pour votre forum. Envoyez AIDE pour les commandes.",
        "en": "Ref {ref} not found for your forum. Send HELP for the commands.",
        "bm": "Ref {ref} ma sòrò i ka foroba la. DEME ci ka cikanw dòn.",
    },
    "acknowledged": {
        "fr": "{ref} pris en charge, merci. Pour cloturer: FIN {ref} [note].",
        "en": "{ref} acknowledged, thank you. To close: FIN {ref} [note].",
        "bm": "{ref} tara, i ni ce. Ka a ban: FIN {ref} [note].",
    },
    "already_acknowledged": {
        "fr": "{ref} etait deja pris en charge. Pour cloturer: FIN {ref} [note].",
        "en": "{ref} was already acknowledged. To close: FIN {ref} [note].",
        "bm": "{ref} tun tara ka kòrò. Ka a ban: FIN {ref} [note].",
    },
    "closed": {"fr": "{ref} cloture, merci.", "en": "{ref} closed, thank you.", "bm": "{ref} banna, i ni ce."},
    "already_closed": {"fr": "{ref} etait deja cloture.", "en": "{ref} was already closed.",
                       "bm": "{ref} tun banna ka kòrò."},
    "info": {
        "fr": "{ref} {urgent}{category} - {place}, recu le {date}. {status}. Signalements: {count}. \"{excerpt}\"",
        "en": "{ref} {urgent}{category} - {place}, received {date}. {status}. Reports: {count}. \"{excerpt}\"",
        "bm": "{ref} {urgent}{category} - {place}, a sera {date}. {status}. Kunnafoniw: {count}. \"{excerpt}\"",
    },
}

COORDINATOR_STATUS = {
    "fr": {"received": "En analyse", "routed": "En attente", "triage": "Au triage",
           "acknowledged": "Pris en charge", "closed": "Cloture"},
    "en": {"received": "Being analysed", "routed": "Waiting", "triage": "At triage",
           "acknowledged": "Acknowledged", "closed": "Closed"},
    "bm": {"received": "A bè sègèsègèli la", "routed": "A makònòna", "triage": "A bè triage la",
           "acknowledged": "A tara", "closed": "A banna"},
}
URGENT = {"fr": "URGENT ", "en": "URGENT ", "bm": "JOONA "}
UNKNOWN_PLACE = {"fr": "lieu inconnu", "en": "place unknown", "bm": "yòrò ma dòn"}


def _render(table: dict, key: str, language: str, limit: int, **values) -> str:
    templates = table[key]
    text = templates.get(language, templates["fr"]).format(**values)
    return fit(to_gsm7(text), limit)


def reporter_text(key: str, language: str, **values) -> str:
    return _render(REPORTER, key, language, ONE_SEGMENT, **values)


def reporter_status(status: str, language: str) -> str:
    """received, routed and triage all read 'being processed': the reporter learns no routing."""
    table = REPORTER_STATUS.get(language, REPORTER_STATUS["fr"])
    return table.get(status, table["received"])


def coordinator_text(key: str, language: str, **values) -> str:
    return _render(COORDINATOR, key, language, ONE_SEGMENT, **values)


def place_or_unknown(name: str | None, language: str) -> str:
    return name or UNKNOWN_PLACE.get(language, UNKNOWN_PLACE["fr"])


def info_text(*, reference: str, category: str | None, place_name: str | None, received: str,
              status: str, urgent: bool, count: int, excerpt: str, language: str) -> str:
    """INFO <ref>: what a coordinator needs to act, in two segments at most."""
    statuses = COORDINATOR_STATUS.get(language, COORDINATOR_STATUS["fr"])
    return _render(COORDINATOR, "info", language, TWO_SEGMENTS, ref=reference,
                   urgent=URGENT.get(language, "URGENT ") if urgent else "",
                   category=label(category, language), place=place_or_unknown(place_name, language),
                   date=received, status=statuses.get(status, status), count=count, excerpt=excerpt)
