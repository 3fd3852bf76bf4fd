"""What an import did, or in a dry run would do: counts, changes and one message per bad row."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Problem:
    """One bad row or feature: where it is, which field, and what to fix."""

    where: str  # "row 12", "feature 3"
    field: str
    message: str

    def __str__(self):
        place = f"{self.where}, {self.field}" if self.field else self.where
        return f"{place}: {self.message}"


@dataclass
class ImportReport:
    """The outcome of one import. In a dry run the counts say what would happen."""

    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    changes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, where, field_name, message):
        self.problems.append(Problem(where, field_name, message))

    @property
    def refused(self):
        return len(self.problems)

    def summary(self):
        """One line saying what changed (or would change) and how many rows were refused."""
        counts = {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "refused": self.refused,
        }
        if self.dry_run:
            text = _(
                "Dry run, nothing saved: %(created)d would be created, %(updated)d would be "
                "updated, %(unchanged)d unchanged"
            )
            removed = _(", %(deleted)d would be removed")
        else:
            text = _("%(created)d were created, %(updated)d were updated, %(unchanged)d unchanged")
            removed = _(", %(deleted)d were removed")
        if self.deleted:
            text += removed
        return (text + _(", %(refused)d refused.")) % counts

    def lines(self):
        """The whole report as lines of text, for the command and the admin page."""
        return [
            self.summary(),
            *self.notes,
            *self.changes,
            *(str(p) for p in self.problems),
        ]
