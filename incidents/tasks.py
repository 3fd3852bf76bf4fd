"""Background work, run by `python manage.py db_worker` (django-tasks, database backend)."""

from django_tasks import task


@task()
def run_export(job_id):
    """Write a large export queued by the export page or the API."""
    from .exports.jobs import run_job

    job = run_job(job_id)
    return job.status
