"""Signed sign-offs and waivers: Ed25519 keys, canonical payloads, verification against the policy's people."""
