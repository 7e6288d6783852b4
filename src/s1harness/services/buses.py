"""Choosing a bus: in memory, MQTT on the embedded broker (the default for running), or MQTT
on an external broker given by URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from s1harness.services.broker import EmbeddedBroker
from s1harness.services.inmemory import InMemoryBus
from s1harness.services.mqtt import BrokerAccess, MqttBus
from s1harness.services.transport import Transport
from s1harness.spec.bus import DEFAULT_RUN
from s1harness.spec.errors import InputError

KINDS = ("memory", "mqtt")


@dataclass
class OpenBus:
    """An open bus, with the embedded broker when it runs one."""

    transport: Transport
    kind: str
    broker: EmbeddedBroker | None = None

    @property
    def url(self) -> str | None:
        """The broker's URL (None in memory)."""
        if isinstance(self.transport, MqttBus):
            return self.transport.url
        return None


@asynccontextmanager
async def open_bus(
    kind: str = "mqtt",
    *,
    broker: str | None = None,
    client_id: str | None = None,
    run: str = DEFAULT_RUN,
    access: BrokerAccess | None = None,
) -> AsyncIterator[OpenBus]:
    """A bus for the run: ``memory``, or ``mqtt`` on ``broker`` (a URL) or, without one, on an
    embedded broker started here and stopped on exit. On MQTT every topic sits under the run
    ID ``run`` (:func:`s1harness.spec.bus.on_wire`). ``access`` is what the bus presents to
    ``broker`` (default: from the environment, :meth:`BrokerAccess.of`); on the embedded broker
    it logs in as ``harness`` with the password the broker generated.

    Raises:
        InputError: for an unknown kind, a broker URL with the in-memory bus, a bad URL or an
            unreachable broker.
    """
    if kind not in KINDS:
        raise InputError(f"unknown bus {kind!r} (known: {', '.join(KINDS)})")
    if kind == "memory":
        if broker is not None:
            raise InputError("a broker URL needs the mqtt bus")
        yield OpenBus(InMemoryBus(), kind)
        return
    if broker is not None:
        async with MqttBus(broker, client_id=client_id, run=run, access=access) as bus:
            yield OpenBus(bus, kind)
        return
    async with (
        EmbeddedBroker() as embedded,
        MqttBus(embedded.url, client_id=client_id, run=run, access=embedded.access()) as bus,
    ):
        yield OpenBus(bus, kind, embedded)


__all__ = ["KINDS", "OpenBus", "open_bus"]
