"""Off-air recordings on the workers: Celery beat looks at the shows' schedule, a worker records.

Each `studio worker` that takes the `record` queue runs Celery beat inside it. Every TICK_EVERY_S seconds beat
sends the tick task, which reads the shows' [[recordings]] afresh (an edited show needs no restart) and does what
`studio recorder` does at each look (radio.record.Recorder.tick): an airing that has started is claimed, then sent
as a record task to the `record` queue; one found too late is logged as missed. The claim is a key in Redis set
only if absent (`studio:recording:<show>@<start>`), then the recordings log's, so with several workers (each
with its beat) an airing is recorded once. The record task captures the stream for what is left of the airing,
ingests it, and queues its processing as `studio process` would.

A recording holds a pool process for its whole length: give the worker that records one more process than the
recordings that may overlap (`studio worker --queues record --concurrency 2`), or it waits behind the others.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from ...media.ffmpeg import find_ffmpeg
from ...pipeline import ProcessOptions, stages_for
from ...radio.record import Recorder, Take
from ...radio.record.recorder import record_claimed
from ...workspace.tree import Workspace
from .queue import CeleryQueue
from .records import PREFIX, JobRecords

log = logging.getLogger(__name__)

QUEUE = "record"
TICK = "studio.recordings"
RECORD = "studio.record"
TICK_EVERY_S = 5.0  # a recording starts at most this late on the workers (the recorder: on time)
CLAIM = PREFIX + "recording:"  # + the airing's key
CLAIM_TTL_S = 8 * 24 * 3600  # longer than any airing, and than the week after which it comes again


def beat_schedule() -> dict:
    return {"studio-recordings": {"task": TICK, "schedule": TICK_EVERY_S,
                                  "options": {"queue": QUEUE, "expires": TICK_EVERY_S}}}


def register(app, workspace: Workspace) -> None:
    """The tick and record tasks, on the worker's app."""
    settings = workspace.settings
    records = JobRecords(settings.broker_url)

    def ffmpeg():
        return find_ffmpeg(settings.ffmpeg_stall_timeout, settings.ffmpeg_time_factor)

    def claim(key: str) -> bool:
        return bool(records.redis.set(CLAIM + key, "claimed", nx=True, ex=CLAIM_TTL_S))

    def send(take: Take, end: dt.datetime) -> None:
        fields = {**dataclasses.asdict(take), "start": take.start.isoformat()}
        app.send_task(RECORD, kwargs={"take": fields, "end": end.isoformat()}, queue=QUEUE)

    @app.task(name=TICK, ignore_result=True)
    def recordings_due() -> None:
        Recorder(Workspace(workspace.root), ffmpeg(), after=lambda e: None, say=log.warning, claim=claim,
                 start=send).tick()

    @app.task(name=RECORD, ignore_result=True, acks_late=False)
    def record_airing(take: dict, end: str) -> None:
        ws = Workspace(workspace.root)
        airing = Take(**{**take, "start": dt.datetime.fromisoformat(take["start"])})
        seconds = (dt.datetime.fromisoformat(end) - dt.datetime.now().astimezone()).total_seconds()
        options = ProcessOptions()

        def process(episode_id: str) -> None:
            CeleryQueue(ws, settings.broker_url).enqueue_stages(episode_id, stages_for(options), options.to_params())
            log.warning("%s: processing queued", episode_id)

        record_claimed(ws, ffmpeg(), airing, seconds, process, log.warning)
