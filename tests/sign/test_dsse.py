"""DSSE as the specification writes it: the PAE test vector, base64 forms, what is not an envelope."""

from __future__ import annotations

import base64
import json

import pytest

from govern.attest.dsse import EnvelopeError, pae, parse, sign, verifies


def test_pae_matches_the_specification_and_securesystemslib():
    from securesystemslib.dsse import Envelope

    # protocol.md's example
    assert pae("http://example.com/HelloWorld", b"hello world") == \
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    payload = "Grüße".encode()  # lengths are in bytes, not characters
    assert pae("application/vnd.in-toto+json", payload) == \
        b"DSSEv1 28 application/vnd.in-toto+json 7 " + payload
    assert pae("application/vnd.in-toto+json", payload) == \
        Envelope(payload, "application/vnd.in-toto+json", {}).pae()


def test_round_trip_and_url_safe_base64():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    envelope = sign("application/vnd.in-toto+json", b'{"_type":"x"}\xff\xfe', key, "SHA256:k")
    data = json.loads(envelope.to_json())
    assert list(data) == ["payloadType", "payload", "signatures"]
    again = parse(data)
    assert again == envelope and verifies(again, again.signatures[0], key.public_key())
    url_safe = {**data, "payload": base64.urlsafe_b64encode(envelope.payload).decode().rstrip("=")}
    assert parse(url_safe).payload == envelope.payload
    other = Ed25519PrivateKey.generate().public_key()
    assert not verifies(again, again.signatures[0], other)


@pytest.mark.parametrize("data, fragment", [
    ([], "JSON object"),
    ({"payload": "e30=", "signatures": [{"sig": "AA=="}]}, "payloadType"),
    ({"payloadType": "t", "payload": "not base64!", "signatures": [{"sig": "AA=="}]}, "payload` is not base64"),
    ({"payloadType": "t", "payload": "e30=", "signatures": []}, "non-empty list"),
    ({"payloadType": "t", "payload": "e30=", "signatures": [{"keyid": 3, "sig": "AA=="}]}, "keyid"),
])
def test_what_is_not_an_envelope(data, fragment):
    with pytest.raises(EnvelopeError, match=fragment.replace("`", ".")):
        parse(data)
