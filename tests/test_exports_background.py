"""Large exports run in the background: the page shows progress and then offers the file."""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from incidents.models import ExportJob

from .exports_support import dataset

__all__ = ["dataset"]

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_large_export_runs_as_a_task_and_offers_the_file(
    client, staff_a, dataset, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_SYNC_MAX_ROWS = 1
    settings.TASKS = IMMEDIATE
    client.force_login(staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exports"), {"format": "csv", "site": ["CGK"]})
    job = ExportJob.objects.get()
    assert response.url == reverse("export_job", args=[job.pk])
    status = client.get(reverse("export_status", args=[job.pk])).json()
    assert status["status"] == "done"
    assert status["progress"] == status["total"] == 4
    page = client.get(response.url).content.decode()
    assert 'src="/static/incidents/js/export-job.js"' in page
    assert "<script>" not in page  # no inline script
    data = b"".join(client.get(status["download_url"]).streaming_content).decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(data)))) == 4


# Committed data: db_worker closes the database connection after its batch, which would end
# a test wrapped in one transaction on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_database_backend_queues_and_db_worker_completes(
    client, staff_a, dataset, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_SYNC_MAX_ROWS = 1
    client.force_login(staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("exports"), {"format": "xlsx"})
    job = ExportJob.objects.get()
    assert job.status == "queued"
    page = client.get(reverse("export_job", args=[job.pk])).content.decode()
    assert "Queued" in page
    assert client.get(reverse("export_status", args=[job.pk])).json()["download_url"] is None
    assert DBTaskResult.objects.filter(task_path__endswith="run_export").count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO())
    job.refresh_from_db()
    assert job.status == "done"
    assert job.record_count == 4
    assert client.get(reverse("export_download", args=[job.pk])).status_code == 200


def test_a_failed_background_export_says_why(
    client, staff_a, dataset, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_SYNC_MAX_ROWS = 1
    settings.TASKS = IMMEDIATE
    client.force_login(staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("exports"), {"format": "csv"})
    job = ExportJob.objects.get()
    # The member loses access before the worker runs it: the export must fail, not leak.
    staff_a.is_active = False
    staff_a.save()
    ExportJob.objects.filter(pk=job.pk).update(status="queued")
    from incidents.exports.jobs import run_job

    job = run_job(job.pk)
    assert job.status == "failed"
    assert "can no longer sign in" in job.error
