"""The cache and single flight in front of the points API."""

from __future__ import annotations

import asyncio

import pytest

from bot.bonifiq.client import BonifiqClient
from bot.core.points import BonifiqUnavailableError, CustomerNotFoundError, CustomerPoints
from bot.core.points_cache import CachedPointsGateway
from bot.core.ports import PointsGateway
from tests.fixtures.bonifiq import FakePointsApi, Fault, customer_payload
from tests.personas import JOAO, MARIA


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeGateway:
    """The inner gateway: counts calls, answers with balances or raises queued errors."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.errors: list[Exception] = []
        self.release = asyncio.Event()
        self.release.set()

    async def customer_points(self, customer_id: str) -> CustomerPoints:
        self.calls.append(customer_id)
        await self.release.wait()
        if self.errors:
            raise self.errors.pop(0)
        return CustomerPoints(customer_id=customer_id, points_balance=len(self.calls))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def inner() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def cache(inner: FakeGateway, clock: FakeClock) -> CachedPointsGateway:
    return CachedPointsGateway(inner, ttl=30, clock=clock)


async def settle() -> None:
    """Let every ready task run until it blocks."""
    for _ in range(5):
        await asyncio.sleep(0)


def test_cached_gateway_is_a_points_gateway(cache: CachedPointsGateway) -> None:
    gateway: PointsGateway = cache

    assert gateway is cache


async def test_second_call_within_ttl_is_served_from_cache(
    cache: CachedPointsGateway, inner: FakeGateway, clock: FakeClock
) -> None:
    first = await cache.customer_points(MARIA)
    clock.advance(29.9)

    second = await cache.customer_points(MARIA)

    assert second is first
    assert inner.calls == [MARIA]


async def test_call_after_ttl_asks_the_api_again(
    cache: CachedPointsGateway, inner: FakeGateway, clock: FakeClock
) -> None:
    await cache.customer_points(MARIA)
    clock.advance(30)

    fresh = await cache.customer_points(MARIA)

    assert fresh.points_balance == 2
    assert inner.calls == [MARIA, MARIA]


async def test_customers_are_cached_separately(
    cache: CachedPointsGateway, inner: FakeGateway
) -> None:
    maria = await cache.customer_points(MARIA)
    joao = await cache.customer_points(JOAO)

    assert (maria.customer_id, joao.customer_id) == (MARIA, JOAO)
    assert inner.calls == [MARIA, JOAO]


async def test_errors_are_not_cached(cache: CachedPointsGateway, inner: FakeGateway) -> None:
    inner.errors.append(BonifiqUnavailableError("HTTP 503 after 3 attempts"))

    with pytest.raises(BonifiqUnavailableError):
        await cache.customer_points(MARIA)
    points = await cache.customer_points(MARIA)

    assert points.customer_id == MARIA
    assert inner.calls == [MARIA, MARIA]


async def test_customer_not_found_is_not_cached(
    cache: CachedPointsGateway, inner: FakeGateway
) -> None:
    inner.errors.append(CustomerNotFoundError(MARIA))

    with pytest.raises(CustomerNotFoundError):
        await cache.customer_points(MARIA)
    await cache.customer_points(MARIA)

    assert len(inner.calls) == 2


async def test_concurrent_requests_for_one_customer_share_one_api_call(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.set_customer(MARIA, customer_payload(PointsBalance=77))
    points_api.script(MARIA, [Fault.slow(0.1)])
    cache = CachedPointsGateway(points_client, ttl=30)

    results = await asyncio.gather(*(cache.customer_points(MARIA) for _ in range(5)))

    assert [points.points_balance for points in results] == [77] * 5
    assert len(points_api.requests) == 1


async def test_concurrent_callers_all_get_the_shared_error(
    cache: CachedPointsGateway, inner: FakeGateway
) -> None:
    inner.release.clear()
    inner.errors.append(BonifiqUnavailableError("down"))
    callers = [asyncio.create_task(cache.customer_points(MARIA)) for _ in range(3)]
    await settle()

    inner.release.set()
    results = await asyncio.gather(*callers, return_exceptions=True)

    assert all(isinstance(result, BonifiqUnavailableError) for result in results)
    assert inner.calls == [MARIA]


async def test_cancelled_caller_does_not_cancel_the_shared_call(
    cache: CachedPointsGateway, inner: FakeGateway
) -> None:
    inner.release.clear()
    impatient = asyncio.create_task(cache.customer_points(MARIA))
    patient = asyncio.create_task(cache.customer_points(MARIA))
    await settle()

    impatient.cancel()
    await settle()
    inner.release.set()

    assert (await patient).customer_id == MARIA
    assert impatient.cancelled()
    assert inner.calls == [MARIA]


async def test_call_finished_after_every_caller_left_still_fills_the_cache(
    cache: CachedPointsGateway, inner: FakeGateway
) -> None:
    inner.release.clear()
    caller = asyncio.create_task(cache.customer_points(MARIA))
    await settle()
    caller.cancel()
    await settle()

    inner.release.set()
    await settle()

    await cache.customer_points(MARIA)
    assert inner.calls == [MARIA]


async def test_zero_ttl_disables_caching_but_keeps_single_flight(
    inner: FakeGateway, clock: FakeClock
) -> None:
    cache = CachedPointsGateway(inner, ttl=0, clock=clock)
    inner.release.clear()
    together = [asyncio.create_task(cache.customer_points(MARIA)) for _ in range(3)]
    await settle()
    inner.release.set()
    await asyncio.gather(*together)

    await cache.customer_points(MARIA)

    assert inner.calls == [MARIA, MARIA]
    assert len(cache) == 0


async def test_invalidate_forgets_the_cached_points(
    cache: CachedPointsGateway, inner: FakeGateway
) -> None:
    await cache.customer_points(MARIA)

    cache.invalidate(MARIA)
    await cache.customer_points(MARIA)

    assert inner.calls == [MARIA, MARIA]


async def test_invalidate_during_a_call_keeps_its_result_out_of_the_cache(
    cache: CachedPointsGateway, inner: FakeGateway
) -> None:
    inner.release.clear()
    stale = asyncio.create_task(cache.customer_points(MARIA))
    await settle()

    cache.invalidate(MARIA)
    inner.release.set()
    await stale
    fresh = await cache.customer_points(MARIA)

    assert fresh.points_balance == 2
    assert inner.calls == [MARIA, MARIA]


async def test_invalidate_of_an_unknown_customer_is_harmless(cache: CachedPointsGateway) -> None:
    cache.invalidate("ninguem@loja.com.br")

    assert len(cache) == 0


async def test_cache_is_bounded_by_max_entries(inner: FakeGateway, clock: FakeClock) -> None:
    cache = CachedPointsGateway(inner, ttl=30, clock=clock, max_entries=2)
    for customer_id in ("a@x.com", "b@x.com", "c@x.com"):
        await cache.customer_points(customer_id)
        clock.advance(1)

    await cache.customer_points("a@x.com")

    assert len(cache) == 2
    assert inner.calls == ["a@x.com", "b@x.com", "c@x.com", "a@x.com"]


async def test_expired_entries_are_dropped_when_storing(
    inner: FakeGateway, clock: FakeClock
) -> None:
    cache = CachedPointsGateway(inner, ttl=30, clock=clock)
    await cache.customer_points("a@x.com")
    await cache.customer_points("b@x.com")
    clock.advance(31)

    await cache.customer_points("c@x.com")

    assert len(cache) == 1


def test_max_entries_must_be_positive(inner: FakeGateway) -> None:
    with pytest.raises(ValueError, match="max_entries"):
        CachedPointsGateway(inner, ttl=30, max_entries=0)
