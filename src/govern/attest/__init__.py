"""A decision as a signed in-toto attestation, and its verification: the verdict that travels with the model.

``govern check … --attest FILE --key NAME`` writes the decision as an in-toto Statement v1 about
the model artifact, in a DSSE envelope signed with an Ed25519 key of the pack's people
(:mod:`.statement`, :mod:`.dsse`); ``govern verify-attestation`` checks one against a pack and
a model file (:mod:`.verify`), so a deployment pipeline or an admission controller can refuse a
model no gate allowed. A feature over a decision and :mod:`govern.sign`, beside ``report``.
"""
