"""Signed Twilio requests, made before the load so the load generator only replays them.

wrk's Lua has no HMAC-SHA1, so each request's X-Twilio-Signature is computed here with
the gateway's own signer (twilio's RequestValidator), one request per line:
`signature<TAB>form-body`. Every MessageSid is unique; senders come from a pool so that
the flood mixes first-time reporters with people writing again.
"""
from __future__ import annotations

import random
import urllib.parse
from pathlib import Path

from gateway.providers import twilio

SMS_PATH = "/webhooks/twilio/sms"
BODIES = (
    "Des hommes armes ont attaque le marche de Boni ce matin, plusieurs blesses",
    "Bagarre entre orpailleurs sur le site de Kenieba, des blesses",
    "Conflit entre agriculteurs et eleveurs pres de Macina pour un champ, tension forte",
    "Des militaires ont frappe des jeunes au poste de controle de Sevare",
    "Vol de betail a Nara la nuit derniere par des hommes a moto",
    "Une femme a ete battue par son mari a Segou, elle a besoin d'aide",
    "Trafic de carburant et de motos a la frontiere pres de Kadiolo",
    "Dispute sur le puits du village de Douentza entre deux familles",
    "Des hommes armes inconnus ont menace les enseignants a Tenenkou",
    "Manifestation des commercants au grand marche de Bamako, routes bloquees",
    "Enlèvement d'un chauffeur sur la route de Gao, véhicule retrouvé vide",
    "Muso dɔ bugɔra a cɛ fɛ Kati, a mago bɛ dɛmɛ na",
)


def signed_form(base_url: str, auth_token: str, sid: str, sender: str, body: str) -> tuple[str, str]:
    """(signature, urlencoded body) of one inbound SMS, as Twilio would post it."""
    form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "b" * 32, "From": sender,
            "To": "+15005550006", "Body": body, "NumMedia": "0", "NumSegments": "1",
            "ApiVersion": "2010-04-01", "SmsStatus": "received"}
    return twilio.sign(base_url + SMS_PATH, form, auth_token), urllib.parse.urlencode(form)


def sender_pool(size: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"+22376{number:06d}" for number in rng.sample(range(1_000_000), size)]


def write_corpus(path: Path, *, base_url: str, auth_token: str, count: int, prefix: str,
                 senders: int = 10_000, seed: int = 9) -> Path:
    """Write `count` signed requests with MessageSids `SM<prefix><n>` to `path`."""
    rng = random.Random(seed)
    pool = sender_pool(senders, seed)
    with path.open("w", encoding="utf-8") as handle:
        for n in range(count):
            sid = f"SM{prefix}{n:012d}"
            signature, body = signed_form(base_url, auth_token, sid, rng.choice(pool), rng.choice(BODIES))
            handle.write(f"{signature}\t{body}\n")
    return path
