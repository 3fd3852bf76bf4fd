"""`python manage.py verify_audit`: exit 0 when the audit chain, the records and the evidence
files are intact; otherwise name the first broken entry (and each record or file that
disagrees) and exit 1."""

from django.core.management.base import BaseCommand

from incidents.audit import chain_head
from incidents.audit.verify import verify


class Command(BaseCommand):
    help = "Check the audit log's hash chain against the current records and evidence files."

    def handle(self, *args, **options):
        problems = verify()
        head = chain_head()
        if not problems:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Audit log intact: {head['seq']} entries; chain head {head['hash']}."
                )
            )
            return
        for problem in problems:
            self.stderr.write(f"[{problem.kind}] {problem.message}")
        self.stderr.write(
            f"{len(problems)} problem(s) found. Chain head: #{head['seq']} {head['hash']}"
        )
        raise SystemExit(1)
