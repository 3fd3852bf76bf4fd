"""The tamper-evident audit log: what it records, and that verify_audit catches tampering."""

import contextlib
import hashlib
import json

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection

from incidents import audit, services
from incidents.audit import triggers
from incidents.audit.verify import verify
from incidents.models import AuditEntry, Evidence, Incident

AUDIT = triggers.AUDIT_TABLE


def entries_for(instance):
    return AuditEntry.objects.filter(
        table_name=instance._meta.db_table, object_pk=str(instance.pk)
    ).order_by("seq")


def run_verify():
    """verify_audit's exit code and what it printed."""
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except SystemExit as exit:
        return exit.code, out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


@contextlib.contextmanager
def triggers_off(table):
    """Change a table directly, as someone with database access and no scruples would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # As a superuser would: no user triggers fire for this session meanwhile.
            cursor.execute("SET session_replication_role = replica")
            try:
                yield cursor
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s "
                "AND name LIKE 'audit_%%'",
                [table],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP TRIGGER {name}")
            try:
                yield cursor
            finally:
                triggers.install(connection)


# --- What is recorded -------------------------------------------------------------------


def test_creating_and_changing_an_incident_records_before_and_after_with_who(
    record, site_a, supervisor_a, staff_a
):
    with audit.acting_as(staff_a):
        incident = record(site_a)
    with audit.acting_as(supervisor_a):
        services.change_status(incident, staff_a, "submitted")
        services.change_status(incident, supervisor_a, "under_review")
    created, *updates = entries_for(incident)
    assert created.action == "insert" and created.actor == str(staff_a.pk)
    assert json.loads(created.new_values)["reference"] == incident.reference
    review = updates[-1]
    assert review.action == "update" and review.actor == str(supervisor_a.pk)
    assert json.loads(review.old_values)["status"] == "submitted"
    assert json.loads(review.new_values)["status"] == "under_review"
    # The status move's timeline entry is logged too.
    assert AuditEntry.objects.filter(
        table_name="incidents_timelineentry", new_values__contains="under_review"
    ).exists()


def test_bulk_updates_and_raw_sql_are_caught_by_the_triggers(record, site_a):
    incident = record(site_a)
    Incident.objects.filter(pk=incident.pk).update(narrative="bulk edit")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_incident SET narrative = %s WHERE id = %s",
            ["raw edit", incident.pk],
        )
    texts = [json.loads(e.new_values)["narrative"] for e in entries_for(incident)]
    assert texts[-2:] == ["bulk edit", "raw edit"]


def test_a_save_that_changes_nothing_adds_no_entry(record, site_a):
    incident = record(site_a)
    before = entries_for(incident).count()
    Incident.objects.filter(pk=incident.pk).update(narrative=incident.narrative)
    assert entries_for(incident).count() == before


def test_deleting_a_row_records_its_last_values(record, site_a):
    incident = record(site_a)
    action = incident.actions.create(kind="notified_police")
    pk = action.pk
    action.delete()
    last = AuditEntry.objects.filter(table_name="incidents_incidentaction", object_pk=str(pk))
    assert last.order_by("-seq").first().action == "delete"


def test_sign_ins_and_failed_sign_ins_are_logged_without_passwords(client, staff_a):
    client.post("/accounts/login/", {"username": "staff_a", "password": "wrong-password"})
    client.post("/accounts/login/", {"username": "staff_a", "password": "pw-staff_a"})
    failed = AuditEntry.objects.get(action="login_failed")
    assert json.loads(failed.new_values)["username"] == "staff_a"
    assert "wrong-password" not in failed.new_values
    login = AuditEntry.objects.get(action="login")
    assert login.actor == str(staff_a.pk)


def test_requests_name_the_signed_in_user_as_actor(rf, supervisor_a, record, site_a):
    from incidents.audit.middleware import AuditActorMiddleware

    incident = record(site_a)

    def view(request):
        Incident.objects.filter(pk=incident.pk).update(narrative="edited in a request")
        return None

    request = rf.post("/")
    request.user = supervisor_a
    AuditActorMiddleware(view)(request)
    assert entries_for(incident).last().actor == str(supervisor_a.pk)
    # After the request the actor is cleared again.
    Incident.objects.filter(pk=incident.pk).update(narrative="by the system")
    assert entries_for(incident).last().actor is None


def test_password_hashes_never_enter_the_log(staff_a):
    staff_a.set_password("another-secret-1")
    staff_a.save()
    assert not AuditEntry.objects.filter(new_values__contains="md5$").exists()
    assert not AuditEntry.objects.filter(new_values__contains="password").exists()


def test_permission_changes_are_logged(staff_a):
    staff_a.is_superuser = True
    staff_a.save()
    change = entries_for(staff_a).last()
    assert json.loads(change.old_values)["is_superuser"] in (False, 0)
    assert json.loads(change.new_values)["is_superuser"] in (True, 1)


def test_every_entry_is_chained_to_the_one_before(record, site_a):
    record(site_a)
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    for previous, entry in zip([None, *entries], entries, strict=False):
        assert entry.prev_hash == (previous.hash if previous else "")
        assert entry.hash == hashlib.sha256(entry.content().encode()).hexdigest()


# --- verify_audit ------------------------------------------------------------------------


@pytest.fixture
def history(record, site_a, staff_a, supervisor_a):
    """A few incidents with status moves, comments and evidence: a realistic log."""
    incidents = []
    for note in ("first", "second", "third"):
        incident = record(site_a, narrative=f"{note} sighting")
        services.change_status(incident, staff_a, "submitted")
        services.add_comment(incident, supervisor_a, f"Seen the {note} one.")
        incidents.append(incident)
    evidence = Evidence(incident=incidents[0], uploaded_by=staff_a)
    evidence.file.save("photo.jpg", ContentFile(b"\xff\xd8\xff\xe0 not really a jpeg"), save=False)
    evidence.save()
    assert verify() == []
    return incidents


def test_verify_audit_exits_0_and_prints_the_chain_head_when_intact(history):
    code, output = run_verify()
    assert code == 0
    head = audit.chain_head()
    assert head["hash"] in output and f"{head['seq']} entries" in output


def _middle_entry():
    count = AuditEntry.objects.count()
    return AuditEntry.objects.order_by("seq")[count // 2]


def test_an_altered_audit_entry_is_named(history):
    entry = _middle_entry()
    with triggers_off(AUDIT) as cursor:
        cursor.execute(
            f"UPDATE {AUDIT} SET new_values = REPLACE(new_values, 'sighting', 'nothing') "
            "WHERE id = %s",
            [entry.pk],
        )
    code, output = run_verify()
    assert code == 1
    assert f"Audit entry #{entry.seq} " in output and "was altered" in output


def test_a_deleted_audit_entry_is_named(history):
    entry = _middle_entry()
    with triggers_off(AUDIT) as cursor:
        cursor.execute(f"DELETE FROM {AUDIT} WHERE id = %s", [entry.pk])
    code, output = run_verify()
    assert code == 1
    assert f"expected entry #{entry.seq} here" in output


def test_reordered_audit_entries_are_named(history):
    first = _middle_entry()
    second = AuditEntry.objects.get(seq=first.seq + 1)
    with triggers_off(AUDIT) as cursor:
        cursor.execute(f"UPDATE {AUDIT} SET seq = -1 WHERE id = %s", [first.pk])
        cursor.execute(f"UPDATE {AUDIT} SET seq = %s WHERE id = %s", [first.seq, second.pk])
        cursor.execute(f"UPDATE {AUDIT} SET seq = %s WHERE id = %s", [second.seq, first.pk])
    code, output = run_verify()
    assert code == 1
    assert f"Audit entry #{first.seq} (row id {second.pk}" in output


def test_an_inserted_audit_entry_is_named(history):
    entry = _middle_entry()
    with triggers_off(AUDIT) as cursor:
        # Make room after `entry` and slip a forged entry in, with a plausible hash.
        cursor.execute(f"UPDATE {AUDIT} SET seq = seq + 1000000 WHERE seq > %s", [entry.seq])
        cursor.execute(f"UPDATE {AUDIT} SET seq = seq - 1000000 + 1 WHERE seq > 1000000")
        forged = AuditEntry(
            seq=entry.seq + 1,
            at=entry.at,
            action="update",
            table_name="incidents_incident",
            object_pk=entry.object_pk,
            new_values="{}",
            prev_hash=entry.hash,
        )
        forged.hash = hashlib.sha256(forged.content().encode()).hexdigest()
        cursor.execute(
            f"INSERT INTO {AUDIT} (seq, at, action, table_name, object_pk, old_values, "
            "new_values, actor, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, NULL, %s, NULL, "
            "%s, %s)",
            [
                forged.seq,
                forged.at,
                forged.action,
                forged.table_name,
                forged.object_pk,
                forged.new_values,
                forged.prev_hash,
                forged.hash,
            ],
        )
    code, output = run_verify()
    assert code == 1
    # The forged entry chains on, but the genuine one after it no longer does.
    assert f"Audit entry #{entry.seq + 2} " in output and "does not follow" in output


def test_an_incident_altered_around_the_triggers_is_named(history):
    incident = history[1]
    with triggers_off("incidents_incident") as cursor:
        cursor.execute(
            "UPDATE incidents_incident SET severity = 'low', narrative = 'nothing happened' "
            "WHERE id = %s",
            [incident.pk],
        )
    code, output = run_verify()
    assert code == 1
    assert f"incidents_incident #{incident.pk} differs from its last audited state" in output
    assert "nothing happened" in output


def test_an_incident_deleted_around_the_triggers_is_named(history):
    incident = history[2]
    with connection.cursor() as cursor:  # event links are not audited rows
        cursor.execute(
            "DELETE FROM incidents_eventmembership WHERE incident_id = %s", [incident.pk]
        )
    with triggers_off("incidents_timelineentry") as cursor:
        cursor.execute("DELETE FROM incidents_timelineentry WHERE incident_id = %s", [incident.pk])
    with triggers_off("incidents_incident") as cursor:
        cursor.execute("DELETE FROM incidents_incident WHERE id = %s", [incident.pk])
    code, output = run_verify()
    assert code == 1
    assert f"incidents_incident #{incident.pk} is missing" in output


def test_an_incident_inserted_around_the_triggers_is_named(history, site_a):
    with triggers_off("incidents_incident") as cursor:
        cursor.execute(
            "INSERT INTO incidents_incident (reference, site_id, status, first_seen, reported_at, "
            "source, location, drone_count, category, make_model, colour, lights, behaviours, "
            "payload_seen, payload_description, detection_methods, operator_seen, "
            "operator_description, authority_reference, narrative, zone, distance_m, "
            "computed_severity, severity, severity_override, severity_override_reason, "
            "created_at, updated_at, altitude_method) SELECT 'CGK-2026-99999', site_id, status, "
            "first_seen, reported_at, source, location, drone_count, category, make_model, colour, "
            "lights, behaviours, payload_seen, payload_description, detection_methods, "
            "operator_seen, operator_description, authority_reference, 'forged', zone, "
            "distance_m, computed_severity, severity, severity_override, "
            "severity_override_reason, created_at, updated_at, altitude_method "
            "FROM incidents_incident WHERE id = %s",
            [history[0].pk],
        )
    forged = Incident.objects.get(reference="CGK-2026-99999")
    code, output = run_verify()
    assert code == 1
    assert f"incidents_incident #{forged.pk} exists but the audit log has no record" in output


def test_a_changed_evidence_file_is_named(history):
    evidence = Evidence.objects.get()
    with open(evidence.file.path, "ab") as handle:
        handle.write(b"edited")
    code, output = run_verify()
    assert code == 1
    assert f"Evidence #{evidence.pk} (photo.jpg) no longer has its recorded SHA-256" in output


@pytest.mark.skipif(connection.vendor != "postgresql", reason="append-only guard is PostGIS's")
def test_the_audit_table_refuses_updates_and_deletes_on_postgis(history):
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(action="nothing")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).delete()


def test_admins_see_the_chain_head_and_others_cannot_open_the_log(
    client, admin_user, staff_a, record, site_a
):
    record(site_a)
    client.force_login(admin_user)
    response = client.get("/admin/incidents/auditentry/")
    assert response.status_code == 200
    assert audit.chain_head()["hash"] in response.content.decode()
    staff_a.is_staff = True
    staff_a.save()
    client.force_login(staff_a)
    assert client.get("/admin/incidents/auditentry/").status_code == 403
