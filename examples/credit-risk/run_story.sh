#!/usr/bin/env bash
# The credit-risk governance story end to end, in a temporary copy of the evidence:
#
#   1. the complete release-candidate bundle is BLOCKED from production: only human decisions
#      are missing (pending sign-offs) - plus one real finding, an out-of-time applicant whose
#      credit amount lies above the training range (validation.data_quality);
#   2. every person generates a signing key; their public keys go into a COPY of the
#      eu-ai-act pack (policies/ is never edited);
#   3. the model's author cannot approve her own model; two distinct validators, the human
#      oversight lead, the security officer, the DPO, provider management and the compliance
#      officer sign with `govern sign --into-evidence --no-store`;
#   4. the compliance officer grants a signed waiver with an expiry for the data-quality finding;
#   5. the same check is now ALLOWED (with waivers in force); after the waiver expires it is
#      blocked again.
#
# Usage:  examples/credit-risk/run_story.sh [--keep]     (from the repository root or anywhere)
# Needs:  the govern CLI with `keys`, `sign` and `waive` (GOVERN env: .venv/bin/govern by default).
# Writes only to a temporary folder (printed; removed at the end unless --keep).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
GOVERN="${GOVERN:-$ROOT/.venv/bin/govern}"
USE_CASE="$ROOT/examples/credit-risk/use_case.yaml"
AS_OF="2026-06-01"          # evaluation date of every check (fixed: reproducible decisions)
SIGNED_AT="2026-05-20T09:00:00Z"
WAIVER_EXPIRES="2026-09-30"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/credit-risk-story.XXXXXX")"
if [[ "${1:-}" != "--keep" ]]; then trap 'rm -rf "$WORK"' EXIT; fi
export GOVERN_KEY_DIR="$WORK/keys"            # keys of this demo only, never ~/.govern/keys
export GOVERN_DATABASE_URL="sqlite:///$WORK/govern.db"
unset GOVERN_KEY_PASSPHRASE                   # demo keys are not encrypted
EVIDENCE="$WORK/evidence"
PACK="$WORK/eu-ai-act"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# run EXPECTED_EXIT govern-args... : show the command, run it, fail the story on a surprise exit code
run() {
  local expect="$1"; shift
  printf '$ govern %s\n' "$*" | sed "s#$WORK#\$WORK#g; s#$ROOT/##g"
  set +e; "$GOVERN" "$@"; local code=$?; set -e
  if [[ "$code" != "$expect" ]]; then
    echo "run_story: expected exit $expect, got $code" >&2; exit 1
  fi
}

for verb in keys sign waive; do
  "$GOVERN" "$verb" --help >/dev/null 2>&1 || { echo "run_story: this govern has no \`$verb\` command yet" >&2; exit 3; }
done

cp -r "$ROOT/examples/credit-risk/evidence" "$EVIDENCE"
cp -r "$ROOT/policies/eu-ai-act" "$PACK"
echo "working copy: $WORK"

step "1. Complete evidence, no approvals yet: production is blocked (exit 1)"
run 1 check "$USE_CASE" -p "$PACK" -e "$EVIDENCE" --target production --as-of "$AS_OF" --no-record

step "2. Each signer generates an Ed25519 key; the public keys go into the pack copy's people:"
SIGNERS=(alice victor vera hugo sam dora paula rita)
declare -A PUBLIC
for person in "${SIGNERS[@]}"; do
  PUBLIC[$person]="$("$GOVERN" keys generate --name "$person" -f json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key_base64"])')"
  echo "  $person: ${PUBLIC[$person]}"
done
# Add `public_key` to each person's flow mapping in the COPY. The eu-ai-act pack lists no
# `waiver_roles`, so no waiver could ever count under it: the copy also names the compliance
# officer as the waiver role (reported upstream as a pack gap).
KEYS_JSON="$(for p in "${SIGNERS[@]}"; do printf '%s=%s\n' "$p" "${PUBLIC[$p]}"; done)"
KEYS_JSON="$KEYS_JSON" python3 - "$PACK/policy.yaml" <<'PY'
import os, re, sys
path = sys.argv[1]
keys = dict(line.split("=", 1) for line in os.environ["KEYS_JSON"].splitlines() if line)
text = open(path, encoding="utf-8").read()
for person, key in keys.items():
    pattern = re.compile(r"^(\s*- \{id: %s,.*?)\}\s*$" % re.escape(person), re.M)
    text, count = pattern.subn(lambda m: f'{m.group(1)}, public_key: "{key}"}}', text)
    assert count == 1, f"person {person} not found once in {path}"
if not re.search(r"^waiver_roles:", text, re.M):
    text += "\n# added by run_story.sh (demo copy): who may grant waivers\nwaiver_roles: [compliance_officer]\n"
open(path, "w", encoding="utf-8").write(text)
PY
grep -n "public_key\|waiver_roles" "$PACK/policy.yaml" | sed "s#$WORK#\$WORK#g"

step "3a. The model's author (alice) may not approve her own model: refused before signing (exit 2)"
run 2 sign "$USE_CASE" -p "$PACK" -e "$EVIDENCE" --gate pre_production --role independent_validator \
  --decision approve --key alice --signer alice --into-evidence --no-store --at "$SIGNED_AT"

step "3b. The people the plan names sign their gates (records go into the evidence copy)"
sign() {  # gate role signer comment
  run 0 sign "$USE_CASE" -p "$PACK" -e "$EVIDENCE" --gate "$1" --role "$2" --decision approve \
    --comment "$4" --key "$3" --signer "$3" --into-evidence --no-store --at "$SIGNED_AT"
}
sign development    compliance_officer    rita  "classification Annex III 5(b) confirmed; development documents complete"
sign pre_production independent_validator victor "suites re-run, outcomes analysis and benchmark reviewed; see validation report findings"
sign pre_production independent_validator vera   "fairness and segment findings reviewed; overlays adequate"
sign pre_production human_oversight       hugo  "oversight plan staffed; officers trained"
sign pre_production security_officer      sam   "skops allow-list and digests verified"
sign pre_production dpo                   dora  "DPIA accepted; sex/marital status used for bias detection only"
sign production     provider_management   paula "residual risks accepted; declaration of conformity signed"
sign production     compliance_officer    rita  "conformity file complete; registration prepared"
ls "$EVIDENCE/signoffs"

step "4. Every sign-off counts: production is allowed, with one warning (AUC gap by purpose) (exit 0)"
run 0 check "$USE_CASE" -p "$PACK" -e "$EVIDENCE" --target production --as-of "$AS_OF" --no-record

step "5. The compliance officer accepts that known weakness with a signed waiver that expires"
run 0 waive "$USE_CASE" -p "$PACK" -e "$EVIDENCE" --check pre_production.accuracy_gap_by_group \
  --reason "AUC for furniture/equipment loans (63 applicants) is 0.66 vs 0.80 overall; these applications go to manual underwriting (overlay) until the re-development sample covers them" \
  --expires "$WAIVER_EXPIRES" --key rita --approver rita --into-evidence --no-store --at "$SIGNED_AT"

step "6. Production allowed with the waiver in force: the record shows the risk was accepted (exit 0)"
run 0 check "$USE_CASE" -p "$PACK" -e "$EVIDENCE" --target production --as-of "$AS_OF" --no-record

step "7. A year on, the validators' approvals (valid 365 days) have lapsed: production closes (exit 1)"
run 1 check "$USE_CASE" -p "$PACK" -e "$EVIDENCE" --target production --as-of 2027-06-01 --no-record

step "Story complete: blocked -> signed -> allowed -> risk accepted by waiver -> approvals lapse -> blocked"
