"""Run queued background tasks in-process, as `manage.py db_worker --batch` would."""

from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def run_tasks():
    """Run every task that is ready now; returns how many ran."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while (result := DBTaskResult.objects.ready().order_by("enqueued_at").first()) is not None:
        result.claim("test-worker")
        worker.run_task(result)
        ran += 1
    return ran


def failed_tasks():
    return list(DBTaskResult.objects.filter(status="FAILED"))
