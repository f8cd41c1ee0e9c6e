"""N concurrent simulated customers, each going through one scripted conversation after another.

Conversations are handed out in a fixed rotation, so every run has the same
mix: conversation ``n`` is scenario ``n mod S`` on channel ``(n div S) mod 2``.
Each customer starts a fresh conversation (a new sender id, a new socket)
when the previous one ends, and sends its next message as soon as the last
reply arrived: the load is closed-loop, without think time, so throughput is
what the target can serve with N conversations open at once. With a think
time, each customer waits that long after every reply, like a person typing. A turn whose
reply is wrong ends that conversation (the rest of its script would not fit),
and the customer starts the next one.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Protocol, Sequence, Tuple

import aiohttp

from bot.bench.clients import (
    DEFAULT_TURN_TIMEOUT,
    Conversation,
    RestConversation,
    SocketIOConversation,
    TurnError,
)
from bot.bench.scenarios import DemoCustomer, Scenario, fill
from bot.bench.stats import TurnResult

CHANNELS = ("rest", "socketio")


def customer_address(index: int) -> str:
    """The loopback address customer ``index`` connects from: 127.0.1.1, 127.0.1.2 and on.

    Real customers come from different addresses, and a load balancer that
    keeps socket.io clients on one replica by their address must see that.
    """
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


class CodeSource(Protocol):
    """Where the benchmark reads the one-time codes the assistant e-mails."""

    async def newest_code(self, email: str) -> Optional[Tuple[int, str]]:
        """Returns the id and code of the newest e-mail to ``email``, if any."""
        ...


class NoCodeError(Exception):
    """No new one-time code was e-mailed to the conversation's customer."""


@dataclass(frozen=True)
class LoadPlan:
    """What one load run does.

    Attributes:
        scenarios: The conversations, in rotation.
        concurrency: Customers talking at the same time.
        duration: Seconds after which no new message is sent; messages in
            flight still finish.
        max_conversations: Stop after this many conversations were started.
        channels: The channels, in rotation.
        turn_timeout: Seconds a customer waits for a turn's reply.
        think_time: Seconds a customer waits after a reply before the next
            message; 0 measures capacity (closed loop).
    """

    scenarios: Sequence[Scenario]
    concurrency: int
    duration: float
    max_conversations: Optional[int] = None
    channels: Sequence[str] = CHANNELS
    turn_timeout: float = DEFAULT_TURN_TIMEOUT
    think_time: float = 0.0

    def __post_init__(self) -> None:
        """Checks the plan.

        Raises:
            ValueError: For an empty plan, a concurrency below 1, a duration
                that is not positive or an unknown channel.
        """
        if not self.scenarios:
            raise ValueError("a load plan needs at least one scenario")
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.concurrency}")
        if self.duration <= 0:
            raise ValueError(f"duration must be positive, got {self.duration}")
        if self.think_time < 0:
            raise ValueError(f"think time must not be negative, got {self.think_time}")
        unknown = sorted(set(self.channels) - set(CHANNELS))
        if unknown or not self.channels:
            raise ValueError(f"channels must be among {CHANNELS}, got {list(self.channels)}")

    def rotation(self) -> Iterator[Tuple[Scenario, str]]:
        """Yields the scenario and channel of conversation 0, 1, 2 and so on."""
        for number in itertools.count():
            scenario = self.scenarios[number % len(self.scenarios)]
            channel = self.channels[(number // len(self.scenarios)) % len(self.channels)]
            yield scenario, channel


@dataclass
class LoadRun:
    """Everything one load run measured.

    Attributes:
        results: Every turn sent.
        elapsed: Seconds from the first message to the end of the run.
        conversations: Conversations that went through their whole script.
        started: Conversations started.
    """

    results: List[TurnResult] = field(default_factory=list)
    elapsed: float = 0.0
    conversations: int = 0
    started: int = 0


class _Run:
    """The shared state of one load run."""

    def __init__(
        self,
        base_url: str,
        plan: LoadPlan,
        customers: Sequence[DemoCustomer],
        codes: Optional[CodeSource],
    ) -> None:
        self.base_url = base_url
        self.plan = plan
        self.codes = codes
        self.pool: asyncio.Queue[DemoCustomer] = asyncio.Queue()
        for customer in customers:
            self.pool.put_nowait(customer)
        self.rotation = plan.rotation()
        self.run = LoadRun()
        self.deadline = 0.0

    def _more(self) -> bool:
        if time.monotonic() >= self.deadline:
            return False
        limit = self.plan.max_conversations
        return limit is None or self.run.started < limit

    async def customer(self, index: int) -> None:
        connector = aiohttp.TCPConnector(local_addr=(customer_address(index), 0))
        async with aiohttp.ClientSession(connector=connector) as http:
            while self._more():
                scenario, channel = next(self.rotation)
                self.run.started += 1
                if await self._converse(http, scenario, channel):
                    self.run.conversations += 1

    async def _open(self, http: aiohttp.ClientSession, channel: str) -> Conversation:
        if channel == "rest":
            sender = f"bench-{uuid.uuid4().hex}"
            return RestConversation(http, self.base_url, sender, self.plan.turn_timeout)
        conversation = SocketIOConversation(self.base_url, self.plan.turn_timeout, http)
        try:
            await conversation.open()
        except TurnError:
            await conversation.close()
            raise
        return conversation

    async def _code(self, customer: DemoCustomer) -> str:
        if self.codes is None:
            raise NoCodeError("this target e-mails no codes")
        newest = await self.codes.newest_code(customer.email)
        if newest is None or newest[0] <= customer.last_outbox_id:
            raise NoCodeError(f"no new code was e-mailed to {customer.email}")
        customer.last_outbox_id = newest[0]
        return newest[1]

    async def _converse(
        self, http: aiohttp.ClientSession, scenario: Scenario, channel: str
    ) -> bool:
        """Runs one conversation; ``True`` when every turn was answered correctly."""
        customer = await self.pool.get() if scenario.needs_customer else None
        fields: Dict[str, str] = customer.fields() if customer else {}
        try:
            started = time.perf_counter()
            try:
                conversation = await self._open(http, channel)
            except TurnError as error:
                latency = time.perf_counter() - started
                self.run.results.append(TurnResult(scenario.name, channel, latency, str(error)))
                return False
            try:
                return await self._turns(scenario, channel, conversation, customer, fields)
            finally:
                await conversation.close()
        finally:
            if customer is not None:
                self.pool.put_nowait(customer)

    async def _turns(
        self,
        scenario: Scenario,
        channel: str,
        conversation: Conversation,
        customer: Optional[DemoCustomer],
        fields: Dict[str, str],
    ) -> bool:
        for turn in scenario.turns:
            if time.monotonic() >= self.deadline:
                return False
            if turn.needs_code:
                try:
                    fields["code"] = await self._code(customer) if customer else ""
                except NoCodeError as error:
                    self.run.results.append(TurnResult(scenario.name, channel, 0.0, str(error)))
                    return False
            expect = turn.expect.filled(fields)
            started = time.perf_counter()
            try:
                replies = await conversation.send(fill(turn.say, fields), expect)
                problem = expect.problem(replies)
            except TurnError as error:
                problem = str(error)
            latency = time.perf_counter() - started
            self.run.results.append(TurnResult(scenario.name, channel, latency, problem))
            if problem is not None:
                return False
            if self.plan.think_time:
                await asyncio.sleep(self.plan.think_time)
        return True


async def run_load(
    base_url: str,
    plan: LoadPlan,
    customers: Sequence[DemoCustomer] = (),
    codes: Optional[CodeSource] = None,
) -> LoadRun:
    """Runs the plan against a target.

    Args:
        base_url: Where REST and socket.io are served, e.g. ``http://127.0.0.1:5005``.
        plan: Scenarios, concurrency and duration.
        customers: Demo customers for the scenarios that need one; each is in
            at most one conversation at a time.
        codes: Where the e-mailed codes are read.

    Returns:
        Every turn's result and the elapsed time.

    Raises:
        ValueError: When a scenario needs a customer and none is given.
    """
    if any(s.needs_customer for s in plan.scenarios) and not customers:
        raise ValueError("the scenarios need demo customers, and none were given")
    state = _Run(base_url, plan, customers, codes)
    started = time.monotonic()
    state.deadline = started + plan.duration
    await asyncio.gather(*(state.customer(index) for index in range(plan.concurrency)))
    state.run.elapsed = time.monotonic() - started
    return state.run
