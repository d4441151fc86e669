"""The job queue on Celery workers with a Redis broker (broker_url in studio.toml): the app (app), the job
records in Redis (records), the client's queue (queue) and `studio worker` (worker)."""
