"""Settings from the environment, and the start-up checks of the machine."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import settings as project_settings
from incidents import checks

ROOT = Path(__file__).resolve().parent.parent


def run_django(*args, **env):
    """Run manage.py in a fresh interpreter with extra environment variables."""
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_debug_off_without_secret_key_stops_start_up_with_a_clear_message():
    result = run_django("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set and DEBUG is off" in result.stderr


def test_debug_off_with_secret_key_from_a_file_starts(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("a-long-random-production-secret-" + "x" * 40)
    result = run_django(
        "check", DEBUG="false", SECRET_KEY_FILE=str(secret), ALLOWED_HOSTS="skyledger.example.org"
    )
    assert result.returncode == 0, result.stderr


def test_manage_py_check_is_clean_with_gis_w001_silenced():
    result = run_django("check")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_non_spatial_database_url_is_refused():
    result = run_django("check", DATABASE_URL="sqlite:///tmp/plain.sqlite3")
    assert result.returncode != 0
    assert "has no spatial support" in result.stderr


@pytest.mark.parametrize("raw", ["maybe", "2"])
def test_env_bool_refuses_unclear_values(monkeypatch, raw):
    monkeypatch.setenv("SKYLEDGER_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="is not a boolean"):
        project_settings.env_bool("SKYLEDGER_FLAG", False)


def test_env_int_refuses_words(monkeypatch):
    monkeypatch.setenv("SKYLEDGER_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="is not a whole number"):
        project_settings.env_int("SKYLEDGER_NUMBER", 1)


def test_env_secret_reads_a_file_and_reports_a_missing_one(monkeypatch, tmp_path):
    (tmp_path / "key").write_text("s3cret\n")
    monkeypatch.setenv("SKYLEDGER_TOKEN_FILE", str(tmp_path / "key"))
    assert project_settings.env_secret("SKYLEDGER_TOKEN") == "s3cret"
    monkeypatch.setenv("SKYLEDGER_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        project_settings.env_secret("SKYLEDGER_TOKEN")


def test_spatialite_check_reports_a_missing_library(settings):
    if not settings.DATABASES["default"]["ENGINE"].endswith("spatialite"):
        pytest.skip("SpatiaLite check applies to the SpatiaLite database only")
    settings.SPATIALITE_LIBRARY_PATH = "mod_spatialite_that_does_not_exist"
    errors = checks.check_spatialite(None)
    assert [e.id for e in errors] == ["incidents.E003"]
    assert "apt-get install gdal-bin libsqlite3-mod-spatialite" in errors[0].hint


def test_checks_pass_on_this_machine():
    assert checks.check_gdal(None) == []
    assert checks.check_spatialite(None) == []


def test_evidence_is_never_served_from_a_public_media_url(client, db):
    assert client.get("/media/evidence/CGK/x/photo.png").status_code == 404


def test_models_and_migrations_agree(db):
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_unparseable_database_url_is_explained():
    result = run_django("check", DATABASE_URL="nonsense://what")
    assert result.returncode != 0
    assert "DATABASE_URL is not understood" in result.stderr


def test_seed_demo_refuses_a_negative_count(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match=r"--incidents must be 0 or more\."):
        call_command("seed_demo", incidents=-1, force=True)
