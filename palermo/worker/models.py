"""When each periodic job was last enqueued: the shared memory of every worker's scheduler."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicJobRun(models.Model):
    """One row per registered periodic job; workers race to move `last_enqueued_at` forward
    with a conditional UPDATE, and only the one whose UPDATE matched enqueues the task."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    last_enqueued_at = models.DateTimeField(_("last enqueued at"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("periodic job run")

    def __str__(self) -> str:
        return self.name
