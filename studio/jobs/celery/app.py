"""The Celery app built from the workspace's settings: its queues, each stage's time limit, and how a
recorded job is handed to it. Clients (celery.queue) and workers (celery.worker) both build it."""

from __future__ import annotations

from ..job import Job

QUEUE_OF = {"transcript": "transcribe", "clips": "clips", "clip": "clips"}  # others: "default"
QUEUES = ("default", "transcribe", "clips", "record")  # record: off-air recordings (celery.recording)
DEFAULT_QUEUES = ("default", "transcribe", "clips")  # a worker records only when asked (--queues record)
# Each stage's hard time limit as a share of Settings.job_time_limit (transcription is the longest).
TIME_SHARE = {"ingest": 1.0, "process": 1.0, "transcript": 1.0, "renditions": 0.5, "clips": 0.5, "clip": 0.25,
              "text": 0.1, "speakers": 0.5, "publish": 0.5, "push": 0.5}
TASK = "studio.run_job"


def queue_for(stage: str) -> str:
    return QUEUE_OF.get(stage, "default")


def make_app(broker_url: str, job_time_limit: float):
    """A Celery app on `broker_url` (the worker registers its task on it: celery.worker)."""
    from celery import Celery

    app = Celery("studio", broker=broker_url, backend=broker_url, set_as_current=False)
    visibility = {"visibility_timeout": int(job_time_limit * 1.25)}
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options=visibility,
        result_backend_transport_options=visibility,
        result_expires=24 * 3600,
        task_default_queue="default",
        task_track_started=True,
        broker_connection_retry=True,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        worker_hijack_root_logger=False,
        worker_send_task_events=True,  # Flower shows tasks as they run
        task_send_sent_event=True,
    )
    return app


def send(app, job: Job, job_time_limit: float) -> None:
    """Hand a recorded job to Celery, on its stage's queue and with its stage's time limits."""
    hard = max(10.0, TIME_SHARE.get(job.stage, 1.0) * job_time_limit)
    app.send_task(TASK, args=[job.id], kwargs={"attempt": job.attempt}, task_id=job.id, queue=queue_for(job.stage),
                  time_limit=hard, soft_time_limit=hard * 0.9)
