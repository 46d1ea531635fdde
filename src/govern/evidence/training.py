"""Training records (`training_record` files) → who was trained on what, and when.

The MLOps template's step 7, "engage and educate", is only auditable as dated records of the
people who hold governance roles. A record is a YAML file in the bundle, one person per
record, several records per file allowed::

    person: alice                 # a person id of the pack
    date: 2026-01-15              # an unquoted ISO date: when the training was completed
    course: Responsible AI at Acme (ethical position, bias, privacy, accountability)

or ``records: [{person: …, date: …, course: …}, …]``. Errors carry the file's line and column.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from govern.errors import InputError
from govern.evidence.files import EvidenceFile
from govern.evidence.reading import read_text
from govern.load.safe_yaml import load_yaml_text

#: A bundle holding more records than this is not a training register govern should parse.
MAX_RECORDS = 10_000


@dataclass(frozen=True)
class TrainingRecord:
    person: str
    date: _dt.date
    course: str
    file: str


def load_training_records(source: EvidenceFile) -> list[TrainingRecord]:
    text, name = read_text(source, "training_record")  # parsed into memory: the structured-file cap
    doc = load_yaml_text(text, name)
    data = doc.data
    if isinstance(data, dict) and "records" in data:
        items, base = data["records"], ("records",)
        if not isinstance(items, list):
            raise InputError(doc.diagnostic("training-record", "`records` must be a list of records", base))
    elif isinstance(data, dict):
        items, base = [data], None
    else:
        raise InputError(doc.diagnostic("training-record", f"{name} is not a training record (a mapping with "
                                        "person, date and course, or `records:`)"))
    if len(items) > MAX_RECORDS:
        raise InputError(doc.diagnostic("training-record", f"{name} holds more than {MAX_RECORDS} records", base or ()))
    records, problems = [], []
    for i, item in enumerate(items):
        loc = () if base is None else base + (i,)
        if not isinstance(item, dict):
            problems.append(doc.diagnostic("training-record", "a training record is a mapping", loc))
            continue
        person, date, course = item.get("person"), item.get("date"), item.get("course")
        if not isinstance(person, str) or not person:
            problems.append(doc.diagnostic("training-record", "`person` (a person id of the pack) is required",
                                           loc + (("person",) if "person" in item else ())))
        if not isinstance(date, _dt.date) or isinstance(date, _dt.datetime):
            problems.append(doc.diagnostic("training-record", f"`date` must be an unquoted ISO date, got {date!r}",
                                           loc + (("date",) if "date" in item else ()), "e.g. date: 2026-01-15"))
        if not isinstance(course, str) or not course.strip():
            problems.append(doc.diagnostic("training-record", "`course` (what the training covered) is required",
                                           loc + (("course",) if "course" in item else ())))
        if not problems:
            records.append(TrainingRecord(person, date, course.strip(), source.path))
    if problems:
        raise InputError(problems)
    return records
