"""KafkaWatch: an unreachable broker turns into ``up == False`` after ``kafka_down_after_s``."""
from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer

from timeline.bus.watch import KafkaWatch
from timeline.config import Settings
from timeline.testing import free_port


async def test_a_broker_that_refuses_is_down_once_the_threshold_passed():
    settings = Settings(kafka_bootstrap=f"127.0.0.1:{free_port()}", kafka_down_after_s=0.5,  # type: ignore[call-arg]
                        kafka_probe_interval_s=0.1, kafka_probe_timeout_s=1)
    watch = KafkaWatch(AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap).client, settings)
    assert watch.up  # counted up from its start: the processes check Kafka before they start
    with pytest.raises(Exception, match="Unable to get cluster metadata"):
        await watch.probe()
    seen: list[bool] = []
    running = asyncio.create_task(watch.run(lambda w: seen.append(w.up)))
    await asyncio.sleep(1.0)
    running.cancel()
    assert seen[0] and not seen[-1]
    assert not watch.up
    assert str(watch.unreachable()).startswith("no broker answered for ")
    assert "Unable to get cluster metadata" in str(watch.unreachable())
    watch.contact()
    assert watch.up and watch.last_error is None
