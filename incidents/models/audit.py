"""The tamper-evident audit log: one row per change or event, chained by SHA-256.

Rows are written by database triggers (every insert, update and delete of the audited
tables, whether made through the ORM, a bulk update or raw SQL) and by `incidents.audit`
for events that are not row changes (logins, failed logins, exports). A trigger on this
table numbers each new entry (`seq`) and seals it: `hash` is the SHA-256 of the entry's
content and the previous entry's hash, so altering, deleting, reordering or inserting an
entry breaks the chain (`python manage.py verify_audit`).
"""

from django.db import models


class AuditEntry(models.Model):
    # NULL, not "", is meaningful in this table (no previous values; not yet sealed), and the
    # sealing triggers hash the stored text exactly, so string columns allow NULL.
    # Filled by the sealing trigger, never by Python.
    seq = models.BigIntegerField(null=True, unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001
    hash = models.CharField("SHA-256", max_length=64, null=True, editable=False)  # noqa: DJ001
    # UTC time as text, exactly as hashed (ISO 8601).
    at = models.CharField(max_length=40, editable=False)
    action = models.CharField(max_length=20, editable=False)
    table_name = models.CharField(max_length=100, blank=True, editable=False)
    object_pk = models.CharField(max_length=64, blank=True, editable=False)
    old_values = models.TextField(null=True, editable=False)  # noqa: DJ001
    new_values = models.TextField(null=True, editable=False)  # noqa: DJ001
    actor = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["table_name", "object_pk", "seq"], name="audit_object"),
        ]

    def __str__(self):
        what = f"{self.table_name} #{self.object_pk}" if self.table_name else ""
        return f"#{self.seq} {self.action} {what}".strip()

    def content(self):
        """The text the entry's hash covers (the sealing triggers build the same text)."""
        return "|".join(
            [
                str(self.seq),
                self.at,
                self.action,
                self.table_name,
                self.object_pk,
                self.old_values or "",
                self.new_values or "",
                self.actor or "",
                self.prev_hash or "",
            ]
        )
