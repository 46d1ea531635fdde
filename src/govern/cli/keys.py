"""`govern keys generate|show`: Ed25519 signing keys for sign-offs and waivers."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.common import format_option


@click.group()
def keys() -> None:
    """Generate and inspect the Ed25519 keys that sign sign-offs and waivers.

    \b
    Each person who approves gates or grants waivers has one key pair:
      - the PRIVATE key stays on their machine (~/.govern/keys/NAME.key, mode 0600;
        encrypted when GOVERN_KEY_PASSPHRASE is set). Only `govern sign` and
        `govern waive` read it.
      - the PUBLIC key goes into the policy pack, in their `people:` entry, through
        the pack's normal review. `govern check` counts a record only if it verifies
        with the key the pack lists for the person it names.

    \b
    Typical first steps:
      govern keys generate --name victor
      # paste the printed `public_key:` line into victor's entry in policy.yaml
      govern keys show victor
    """


@keys.command()
@click.option("--name", "-n", required=True, help="Key name: the files are NAME.key and NAME.pub.")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=None,
              help="Key folder (default: $GOVERN_KEY_DIR or ~/.govern/keys).")
@click.option("--force", is_flag=True, help="Replace an existing key of that name (its old sign-offs will no "
              "longer verify once the pack holds the new public key).")
@format_option("text", "json")
def generate(name: str, directory: Path | None, force: bool, fmt: str) -> None:
    """Make a new Ed25519 key pair and print what to put in the policy pack.

    \b
    Writes DIR/NAME.key (PKCS#8 PEM, mode 0600; encrypted with the passphrase in
    GOVERN_KEY_PASSPHRASE if set) and DIR/NAME.pub (PEM). Never overwrites an
    existing key without --force.

    \b
    Prints the public key (base64 of its 32 raw bytes, and PEM), its fingerprint
    (SHA256:…, as OpenSSH prints them) and the YAML to paste into the pack:
      people:
        - {id: victor, name: Victor Osei, roles: [validator], public_key: "<base64>"}

    \b
    Example:
      GOVERN_KEY_PASSPHRASE=... govern keys generate --name victor
    """
    from govern.cli.main import emit_json
    from govern.sign.keys import generate as make

    made = make(name, directory, force=force)
    info = made.describe()
    if fmt == "json":
        emit_json(info)
        return
    click.echo(f"private key: {made.private_path} ({'encrypted' if made.encrypted else 'NOT encrypted'}, mode 0600)"
               " -- keep it on this machine; never commit or share it")
    click.echo(f"public key:  {made.public_path}")
    click.echo(f"fingerprint: {info['fingerprint']}")
    click.echo(f"public key (base64): {info['public_key_base64']}")
    click.echo(info["public_key_pem"].rstrip("\n"))
    click.echo("\nAdd to the key owner's entry under `people:` in the pack's policy.yaml:\n")
    click.echo(f"    public_key: \"{info['public_key_base64']}\"   # {info['fingerprint']}")
    if not made.encrypted:
        click.echo("\nhint: set GOVERN_KEY_PASSPHRASE before generating to encrypt the private key at rest",
                   err=True)


@keys.command()
@click.argument("key")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=None,
              help="Key folder to look NAME up in (default: $GOVERN_KEY_DIR or ~/.govern/keys).")
@format_option("text", "json")
def show(key: str, directory: Path | None, fmt: str) -> None:
    """Print a key's public half and fingerprint.

    \b
    KEY is a key name (looked up as DIR/NAME.pub, then DIR/NAME.key), a path to a
    .pub or .key file, or a base64 / PEM public key as written in a pack. Compare the
    fingerprint with the `key_fingerprint` of a record to see who signed it.

    \b
    Examples:
      govern keys show victor
      govern keys show ./keys/victor.pub -f json
    """
    from govern.cli.main import emit_json
    from govern.sign.keys import SigningError, describe_public, load_public_key_file, parse_public_key, \
        resolve_key_path

    try:
        public_key = load_public_key_file(resolve_key_path(key, directory, public=True))
    except SigningError as not_a_file:
        try:
            public_key = parse_public_key(key)
        except ValueError:
            raise not_a_file from None
    info = describe_public(public_key)
    if fmt == "json":
        emit_json(info)
        return
    click.echo(f"fingerprint: {info['fingerprint']}")
    click.echo(f"public key (base64): {info['public_key_base64']}")
    click.echo(info["public_key_pem"].rstrip("\n"))
