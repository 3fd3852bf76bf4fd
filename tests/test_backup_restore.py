"""The documented backup is restorable: pg_dump the database (data and audit triggers),
pg_restore it into a fresh database, and verify_audit passes against the copy.

The commands are those of docs/deployment.md ("Backups and a tested restore")."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from incidents.audit.verify import verify
from incidents.choices import Status

pytestmark = pytest.mark.postgis

ROOT = Path(__file__).resolve().parent.parent


def _pg(settings):
    """Connection arguments and environment for the PostgreSQL client tools."""
    args = ["-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432)]
    args += ["-U", settings["USER"] or "postgres"]
    env = {**os.environ}
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    return args, env


def _run(command, env):
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{command[0]} failed: {result.stderr}"
    return result.stdout


def test_pg_dump_restores_into_a_fresh_database_that_verify_audit_accepts(
    transactional_db, record, site_a, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL pointing at PostGIS")
    incident = record(site_a, status=Status.SUBMITTED, narrative="Backed up and restored.")
    assert verify(connection) == []
    settings = connection.settings_dict
    args, env = _pg(settings)
    dump = tmp_path / "skyledger.dump"
    restored = f"{settings['NAME']}_restore_{uuid.uuid4().hex[:8]}"

    _run(["pg_dump", *args, "--format=custom", f"--file={dump}", settings["NAME"]], env)
    _run(["createdb", *args, restored], env)
    try:
        _run(
            [
                "pg_restore",
                *args,
                "--no-owner",
                "--exit-on-error",
                f"--dbname={restored}",
                str(dump),
            ],
            env,
        )
        sql = ["psql", *args, "-d", restored, "-At", "-c"]
        assert _run([*sql, "SELECT reference, narrative FROM incidents_incident"], env).strip() == (
            f"{incident.reference}|Backed up and restored."
        )
        # The audit triggers came back with the data: the copy keeps logging.
        assert (
            int(_run([*sql, "SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_row'"], env)) > 0
        )

        user = settings["USER"] or "postgres"
        host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
        verify_env = {
            **env,
            "DATABASE_URL": f"postgis://{user}@{host}:{port}/{restored}",
            "MEDIA_ROOT": str(tmp_path / "media"),
        }
        result = subprocess.run(
            [sys.executable, "manage.py", "verify_audit"],
            cwd=ROOT,
            env=verify_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Audit log intact" in result.stdout
    finally:
        connection.close()  # no session of ours may hold the copy open
        subprocess.run(["dropdb", *args, "--if-exists", restored], env=env, capture_output=True)
