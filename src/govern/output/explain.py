"""Decision → for each gate that stops the target: tier → rule → template → gate → check →
measured value vs condition → evidence file. A filter over the decision, not a second evaluation."""

from __future__ import annotations

from govern.canonical import short


def explain_lines(decision) -> list[str]:
    data = decision.to_dict()
    if not data["determining"]:
        return ["explain: nothing blocks the target stage."]
    fired = [r for r in data["classification"]["rules"] if r["effect"] == "fired" and r["tier"] == data["tier"]]
    why_tier = "; ".join(f"rule {r['id']} ({r['citation']}, {r['location']})" for r in fired) or "default tier"
    lines = ["explain:"]
    wanted = set(data["determining"])
    for gate in data["gates"]:
        for check in gate["checks"]:
            if f"{gate['id']}.{check['id']}" not in wanted:
                continue
            lines.append(f"  {gate['id']}.{check['id']} {check['status']}")
            lines.append(f"    tier      {data['tier']} ← {why_tier}")
            lines.append(f"    template  {check['location']}")
            lines.append(f"    gate      {gate['id']} ({gate['title']})")
            lines.append(f"    check     {check['kind']}, {check['enforcement']}"
                         + (f", {check['citation']}" if check.get("citation") else ""))
            if check.get("expected"):
                lines.append(f"    condition {check['expected']}")
            measured = {k: v for k, v in check["measured"].items() if not isinstance(v, (dict, list))}
            if measured:
                lines.append("    measured  " + ", ".join(f"{k} = {v}" for k, v in measured.items()))
            lines.append(f"    result    {check['message']}")
            for ref in check["evidence"]:
                lines.append(f"    evidence  {ref['path']} (sha256:{short(ref['sha256'])})")
        for signoff in gate["signoffs"]:
            qid = f"{gate['id']}.signoff:{signoff.get('id') or signoff['role']}"  # as `determining` spells it
            if qid not in wanted:
                continue
            lines.append(f"  {qid} {signoff['status']}")
            lines.append(f"    tier      {data['tier']} ← {why_tier}")
            lines.append(f"    template  {signoff['location']}")
            lines.append(f"    needs     {signoff['required']} × {signoff['role']}: {signoff['message']}")
            for record in signoff["rejected"]:
                lines.append(f"    rejected  {record.get('signer', '?')}: {record['problem']}")
    return lines
