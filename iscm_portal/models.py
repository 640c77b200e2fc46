from django.db import models


class WorkerHeartbeat(models.Model):
    """One running task worker (`manage.py db_worker`): it writes its row when it starts,
    refreshes `seen_at` every WORKER_HEARTBEAT_SECONDS and deletes the row when it stops
    cleanly (iscm_portal/workers.py). A worker killed outright leaves its row, which goes
    stale: /healthz counts only rows seen within WORKER_SEEN_SECONDS. Shown nowhere in the
    interface (no admin): operators read it through /healthz."""

    # django-tasks-db's worker id, the one it records on the tasks it claims.
    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.worker_id} ({self.hostname}, pid {self.pid})"
