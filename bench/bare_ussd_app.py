"""The baseline for bench_ussd.py: a bare Flask USSD endpoint that only parses the form and
returns a fixed CON text. Served by gunicorn exactly like gateway.wsgi:app."""
from flask import Flask, Response, request

app = Flask(__name__)
SCREEN = "CON Que s'est-il passe?\n1. Attaque, groupe arme\n2. Conflit communautaire\n99. Suite"


@app.post("/webhooks/africastalking/ussd")
def ussd():
    request.form.get("text")        # parse the form, as the real handler must
    return Response(SCREEN, mimetype="text/plain")
