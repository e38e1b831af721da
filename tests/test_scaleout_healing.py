"""Scale-out heals itself (issue 20): the database is the record of every run, so a worker killed
mid-task or a broker restart delays an episode, never strands it, and it is published once.

Real PostgreSQL, Redis (the machine's, or a redis-server of the test's own where the test
restarts it) and RabbitMQ; real workers running the real pipeline on a short conversation;
leases of a few seconds (tests.scaleout.FAST_LEASES) instead of the default 30 s.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
import redis

from tests.conftest import Conversation, Turn, build_conversation, wait_until
from tests.scaleout import MACHINE_AMQP, MACHINE_REDIS, Deployment, deployment, freeze_mid_step, own_redis, running_step

pytestmark = pytest.mark.scaleout
BROKERS = {"redis": MACHINE_REDIS, "amqp": MACHINE_AMQP}


@pytest.fixture(scope="module")
def short_talk(tmp_path_factory: pytest.TempPathFactory) -> Conversation:
    turns = [Turn("Alice", "Welcome to the night sky show."), Turn("Bob", "Thank you, the moon is bright tonight.")]
    return build_conversation(tmp_path_factory.mktemp("short"), turns)


def status(deployed: Deployment, episode_id: int) -> dict:
    result = deployed.roomcast.run("status", str(episode_id), "--json", check=True, timeout=60)
    return json.loads(result.stdout.strip().splitlines()[-1])


def import_episode(deployed: Deployment, talk: Conversation, slug: str = "heal") -> dict:
    deployed.roomcast.run("show", "create", slug, "--title", "Healing", check=True)
    result = deployed.roomcast.run("import", slug, "--title", "Survives", *talk.track_args(), "--json", check=True)
    assert "Exception ignored" not in result.stderr, result.stderr  # AsyncResult.__del__ at exit (item 7)
    episode = json.loads(result.stdout.strip().splitlines()[-1])
    assert episode["status"] == "processing"
    return episode


def published_once(deployed: Deployment, episode_id: int, feed_version_before: int) -> None:
    # The run's own last step closes it just after the publishing one.
    wait_until(lambda: deployed.query("SELECT status FROM pipeline_runs") != [("running",)], 30, 0.1, "the run's end")
    [(episode_status, version)] = deployed.query(
        "SELECT e.status, s.feed_version FROM episodes e JOIN shows s ON s.id = e.show_id WHERE e.id = %s", episode_id)
    assert episode_status == "published"
    assert version == feed_version_before + 1, "the feed moved more (or less) than once"
    steps = deployed.query("SELECT name, status FROM pipeline_steps")
    assert len(steps) == len({name for name, _ in steps}) and {s for _, s in steps} == {"succeeded"}, steps
    assert deployed.query("SELECT status FROM pipeline_runs") == [("succeeded",)]


def feed_version(deployed: Deployment) -> int:
    return deployed.query("SELECT feed_version FROM shows")[0][0]


@pytest.mark.parametrize("broker", list(BROKERS))
def test_a_worker_killed_mid_task_is_replaced_and_the_episode_published_once(
    broker: str, tmp_path: Path, short_talk: Conversation
) -> None:
    with deployment(tmp_path, BROKERS[broker]) as deployed:
        # Queued before any worker runs, so that no step can be over before we look: at load 9-13 this
        # test saw no step running in 120 s, and the next one saw only the last, after publication.
        episode = import_episode(deployed, short_talk)
        deployed.start_worker()
        deployed.start_worker()
        step, victim = freeze_mid_step(deployed)
        before = feed_version(deployed)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        killed = time.monotonic()
        wait_until(lambda: deployed.episode_status(episode["id"]) == "published", 90, 0.2, "publication")
        elapsed = time.monotonic() - killed
        print(f"{broker}: worker killed during {step}; published {elapsed:.1f} s later")
        published_once(deployed, episode["id"], before)
        assert status(deployed, episode["id"])["pipeline"]["status"] == "succeeded"  # as the CLI says it
        assert "sending it again" in deployed.logs()  # the sweep, not a manual step, recovered it
        assert elapsed < 60


def test_a_redis_restart_mid_pipeline_delays_the_episode_and_the_worker_reconnects(
    tmp_path: Path, short_talk: Conversation
) -> None:
    with own_redis(tmp_path) as server, deployment(tmp_path, server.url) as deployed:
        episode = import_episode(deployed, short_talk)  # queued first: the step seen running is an early one
        worker = deployed.start_worker()
        wait_until(lambda: running_step(deployed), 120, 0.05, "a running step")
        before = feed_version(deployed)
        server.kill()  # no persistence: every queued and unacknowledged message is gone
        time.sleep(2 * 1.0)  # two sweeps of the worker without a broker
        server.start()
        restarted = time.monotonic()
        wait_until(lambda: deployed.episode_status(episode["id"]) == "published", 120, 0.2, "publication")
        print(f"redis restarted mid-pipeline; published {time.monotonic() - restarted:.1f} s after it was back")
        assert worker.poll() is None, "the worker exited instead of reconnecting"
        assert "Unrecoverable error" not in deployed.logs()
        published_once(deployed, episode["id"], before)


@pytest.mark.parametrize("broker", list(BROKERS))
def test_two_workers_on_one_host_get_names_of_their_own(broker: str, tmp_path: Path) -> None:
    with deployment(tmp_path, BROKERS[broker]) as deployed:
        first, second = deployed.start_worker(), deployed.start_worker("--name", "second@%h")
        deployed.wait_for_workers(2)
        check = deployed.roomcast.run("worker", "--check", check=True)
        names = [line.split(": ")[0] for line in check.stdout.splitlines() if line.endswith(": ok")]
        assert len(set(names)) == 2 and any(n.startswith("second@") for n in names), names
        assert first.poll() is None and second.poll() is None
        check = deployed.roomcast.run("worker", "--check", "--name", "second@%h", check=True)
        assert check.stdout.strip().startswith("second@")
        assert deployed.roomcast.run("worker", "--check", "--name", "nobody@%h").returncode == 1


def test_deployments_sharing_a_broker_keep_their_own_tasks(tmp_path: Path, short_talk: Conversation) -> None:
    with deployment(tmp_path / "a", MACHINE_REDIS) as a, deployment(tmp_path / "b", MACHINE_REDIS) as b:
        a.start_worker()
        a.wait_for_workers(1)
        assert b.roomcast.run("worker", "--check").returncode == 1, "b's check heard a's worker"
        episode = import_episode(b, short_talk)
        time.sleep(2)  # a's worker polls its queue many times a second
        queued = redis.Redis.from_url(MACHINE_REDIS).llen(b.prefix)
        assert queued == 1, "b's first step left b's queue without a worker of b's"
        assert b.query("SELECT status FROM pipeline_runs") == [("queued",)]
        assert "has no pipeline run" not in a.logs()
