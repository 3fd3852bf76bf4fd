"""Proof that the records are as the audit log says: the chain, the records, the files.

`verify()` checks, in order:
1. the chain: entries numbered 1, 2, 3... with no gap, each entry's `prev_hash` equal to the
   previous entry's hash and its own hash equal to the SHA-256 of its content (so an entry
   altered, deleted, reordered or inserted shows as the first entry where this fails);
2. the records: every row of an audited table equals the values of its newest entry (a row
   changed, deleted or inserted while the triggers were off shows here);
3. evidence files: each stored file still has the SHA-256 recorded when it was received.
It stops at the first broken entry of the chain (later ones cannot be trusted either) and
reports every record and file that disagrees.
"""

import hashlib
import json
from dataclasses import dataclass

from django.db import connection as default_connection

from . import triggers


@dataclass(frozen=True)
class Problem:
    kind: str  # chain, record, evidence
    message: str


def _check_chain(connection):
    from ..models import AuditEntry

    expected_seq = 1
    previous_hash = ""
    entries = AuditEntry.objects.order_by("seq", "id").iterator(chunk_size=2000)
    for entry in entries:
        subject = f" {entry.table_name} #{entry.object_pk}" if entry.table_name else ""
        label = f"Audit entry #{entry.seq} (row id {entry.pk}: {entry.action}{subject})"
        if entry.seq is None or entry.hash is None:
            return Problem("chain", f"{label} is not sealed: it was written around the triggers.")
        if entry.seq != expected_seq:
            what = "missing" if entry.seq > expected_seq else "repeated or out of order"
            return Problem(
                "chain",
                f"{label}: expected entry #{expected_seq} here; entries are {what} "
                "(deleted, reordered or inserted).",
            )
        if (entry.prev_hash or "") != previous_hash:
            return Problem(
                "chain",
                f"{label} does not follow the entry before it (previous hash differs): an entry "
                "was deleted, reordered or inserted.",
            )
        if hashlib.sha256(entry.content().encode()).hexdigest() != entry.hash:
            return Problem("chain", f"{label} was altered: its content no longer matches its hash.")
        previous_hash = entry.hash
        expected_seq += 1
    return None


def _latest_states(connection, table):
    """{pk: (seq, new_values or None if deleted)} from the newest entry of each row."""
    from ..models import AuditEntry

    states = {}
    rows = (
        AuditEntry.objects.filter(table_name=table)
        .order_by("seq")
        .values_list("object_pk", "seq", "new_values")
        .iterator(chunk_size=5000)
    )
    for pk, seq, values in rows:
        states[pk] = (seq, values)
    return states


def _differences(stored, current):
    try:
        before, after = json.loads(stored), json.loads(current)
    except (TypeError, ValueError):
        return ""
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return ", ".join(f"{k}: {before.get(k)!r} → {after.get(k)!r}" for k in changed[:5])


def _check_records(connection):
    problems = []
    for table, excluded in triggers.audited_tables(connection).items():
        states = _latest_states(connection, table)
        row_json = triggers.row_json_sql(connection, table, excluded, "t")
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT CAST(t.id AS TEXT), {row_json} FROM "{table}" t')
            current = dict(cursor.fetchall())
        for pk, values in current.items():
            state = states.get(pk)
            if state is None or state[1] is None:
                problems.append(
                    Problem(
                        "record",
                        f"{table} #{pk} exists but the audit log has no record of "
                        "its creation: it was inserted around the audit triggers.",
                    )
                )
            elif state[1] != values:
                detail = _differences(state[1], values)
                problems.append(
                    Problem(
                        "record",
                        f"{table} #{pk} differs from its last audited state (entry "
                        f"#{state[0]}): {detail or 'values changed'}.",
                    )
                )
        for pk, (seq, values) in states.items():
            if values is not None and pk not in current:
                problems.append(
                    Problem(
                        "record",
                        f"{table} #{pk} is missing but the audit log (entry #{seq}) "
                        "has no record of its deletion: it was deleted around the triggers.",
                    )
                )
    return problems


def _check_evidence():
    from ..models import Evidence

    problems = []
    for evidence in Evidence.objects.order_by("pk").iterator(chunk_size=500):
        digest = hashlib.sha256()
        try:
            with evidence.file.open("rb") as handle:
                for chunk in iter(lambda h=handle: h.read(1024 * 1024), b""):
                    digest.update(chunk)
        except (FileNotFoundError, ValueError):
            problems.append(
                Problem(
                    "evidence",
                    f"Evidence #{evidence.pk} ({evidence.original_name}) is "
                    f"missing from storage ({evidence.file.name}).",
                )
            )
            continue
        if digest.hexdigest() != evidence.sha256:
            problems.append(
                Problem(
                    "evidence",
                    f"Evidence #{evidence.pk} ({evidence.original_name}) no longer "
                    f"has its recorded SHA-256 {evidence.sha256[:16]}…: the file was changed.",
                )
            )
    return problems


def verify(connection=default_connection):
    """Every problem found, the chain's first break first; an empty list when intact."""
    problems = []
    broken = _check_chain(connection)
    if broken:
        problems.append(broken)
    problems += _check_records(connection)
    problems += _check_evidence()
    return problems
