"""The ingest bench replays requests signed in advance: they must be what Twilio sends."""
from __future__ import annotations

import urllib.parse

from bench.ingestkit.corpus import SMS_PATH, write_corpus
from gateway.providers import twilio


def test_every_bench_request_passes_the_gateways_signature_check_with_a_unique_sid(tmp_path):
    base, token = "http://127.0.0.1:8080", "bench-token"
    lines = write_corpus(tmp_path / "corpus.txt", base_url=base, auth_token=token, count=50,
                         prefix="T").read_text(encoding="utf-8").splitlines()
    forms = []
    for line in lines:
        signature, body = line.split("\t")
        form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        twilio.verify(base + SMS_PATH, form, signature, token)          # raises BadSignature if not
        forms.append(form)
    assert len({form["MessageSid"] for form in forms}) == 50
    assert all(twilio.parse_inbound(form).sender.startswith("+2237") for form in forms)
