"""Episodes processed by the workers and waited for (`studio process` and `studio run` with broker_url):
one job per stage and episode, the same outcomes as pipeline.process_episodes."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ResourceError
from ..pipeline import EpisodeReport, Outcome, ProcessOptions, stages_for
from .job import Job, JobQueue, JobsLost
from .wait import wait_for_jobs

ENQUEUE_AGAIN = 3  # times the jobs a broker lost (Redis restarted without its data) are enqueued again


def process_on_workers(queue: JobQueue, episode_ids: list[str], options: ProcessOptions,
                       say: Callable[[str], None]) -> list[Outcome]:
    """Enqueue each episode's stages as a chain and wait for them all; an unknown or broken episode fails
    in its job, with the line `studio process` would print. Chains the broker lost are enqueued again (a
    stage finds what it already made and does nothing)."""
    stages, params = stages_for(options), options.to_params()
    chains = {episode_id: queue.enqueue_stages(episode_id, stages, params) for episode_id in episode_ids}
    finished = _wait_enqueuing_lost(queue, chains, lambda episode_id: queue.enqueue_stages(episode_id, stages, params),
                                    say)
    outcomes = []
    for episode_id, chain in chains.items():
        jobs = [finished[j.id] for j in chain]
        report = EpisodeReport(id=episode_id, done=[j.stage for j in jobs if j.state == "done"])
        failed = next((j for j in jobs if j.state == "failed"), None)
        if failed:
            if len(episode_ids) > 1:
                say(f"{episode_id}: failed")
            outcomes.append(Outcome(report, failed.error, failed.exit_code or 1))
        else:
            say(f"{episode_id}: {', '.join(report.done)} (on workers)")
            outcomes.append(Outcome(report))
    return outcomes


def publish_on_workers(queue: JobQueue, say: Callable[[str], None]) -> Job:
    """Enqueue a publish and wait for it (again if the broker lost it)."""
    chains = {"publish": [queue.enqueue("publish")]}
    finished = _wait_enqueuing_lost(queue, chains, lambda _: [queue.enqueue("publish")], say)
    return finished[chains["publish"][0].id]


def _wait_enqueuing_lost(queue: JobQueue, chains: dict[str, list[Job]], enqueue: Callable[[str], list[Job]],
                         say: Callable[[str], None]) -> dict[str, Job]:
    """Wait for every job of `chains` (by id, finished). A chain with a job the broker lost (Redis restarted
    without its data) is made again with `enqueue(its key)`, in `chains` itself, up to ENQUEUE_AGAIN times."""
    for again in range(ENQUEUE_AGAIN + 1):
        try:
            return {j.id: j for j in wait_for_jobs(queue, [j.id for chain in chains.values() for j in chain], say)}
        except JobsLost as lost:
            if again == ENQUEUE_AGAIN:
                raise ResourceError(f"{lost}; gave up after enqueuing them {ENQUEUE_AGAIN} times") from None
            say(f"{lost}; enqueuing them again")
            hit = [key for key, chain in chains.items() if any(j.id in lost.job_ids for j in chain)]
            chains.update({key: enqueue(key) for key in hit})
    raise AssertionError("unreachable")
