"""The feature suite's pytest plugin (the pytest11 entry point ``s1harness``): the step
library, the suite's markers, the DUIS audit of every message a test creates, where it runs,
the session's event loop and broker, one World per scenario, the guard against ``async def``
steps, pending scenarios, and the evidence each scenario carries into the Allure results.

Target (options, else environment variables, else the default):

* ``--s1h-bus memory|mqtt`` / ``S1HARNESS_BUS`` — default ``mqtt``;
* ``--s1h-broker URL`` / ``S1HARNESS_BROKER`` — an external broker; without it, one embedded
  broker per pytest process (per xdist worker) serves every scenario it runs;
* ``--s1h-external ROLE`` (repeatable) / ``S1HARNESS_EXTERNAL`` (comma-separated) — roles
  another build plays over the bus contract (``dsp``, ``s1sp:IOC``, ``s1sp:MOC``,
  ``s1sp:FOC``, ``devices``);
* ``--s1h-run ID`` / ``S1HARNESS_RUN`` — the run ID the topics sit under on the broker
  (``s1h/v3/ID/...``); by default a fresh one per scenario, or ``default`` (what
  ``s1harness up`` serves unless told ``--run``) when another build plays a role;
* ``--s1h-tap FILE`` — write every envelope the run creates to FILE, one JSON line each with
  its topic and its wire form (what a contract check reads);
* ``--s1h-timeout SECONDS`` / ``S1HARNESS_TIMEOUT`` — how long a step waits for a message, and
  a build for its control channel's answer (default 5).

A role another build plays is told, before each scenario, over the bus contract's control
channel to load that scenario's estate (docs/contract.md): one long-running build serves a
whole run. Its verdicts come from what it sends (docs/harness.md).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import json
import os
import platform
import re
import sys
import uuid
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry

from s1harness import __version__
from s1harness.locations import commit
from s1harness.reporting.results import write_categories, write_environment, write_executor
from s1harness.reporting.signoff import PART, WHOLE
from s1harness.services.broker import EmbeddedBroker
from s1harness.services.mqtt import MqttBus
from s1harness.spec.bus import AUDIT_EVENT, COHORTS, DEFAULT_RUN, new_run_id, run_id
from s1harness.spec.errors import InputError
from s1harness.spec.wire import Delivery, acks, encode
from s1harness.suite import FEATURES
from s1harness.suite.audit import DuisAudit, listening
from s1harness.suite.world import Target, World
from s1harness.testing.diagnosis import diagnose
from s1harness.testing.evidence import exhibits
from s1harness.testing.harness import DEFAULT_TIMEOUT, EXTERNAL_ROLES, NotObservableError
from s1harness.testing.loop import LoopThread, refuse_async_step

try:  # the report adapter is optional for a plain test run
    import allure
    from allure_pytest_bdd.steps import get_step_uuid
except ImportError:  # pragma: no cover - allure-pytest-bdd is a dependency
    allure = None  # type: ignore[assignment]

WORLD = pytest.StashKey[World]()
"""The scenario's World, kept on its test item."""
FIA_LINE = re.compile(r"^\s*FIA section:\s*(?P<section>.+?)\s*$", re.MULTILINE)
"""A feature's description names the FIA section its scenarios cover."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("s1harness", "s1harness feature suite target")
    group.addoption("--s1h-bus", choices=("memory", "mqtt"), help="bus (default: mqtt)")
    group.addoption("--s1h-broker", metavar="URL", help="external MQTT broker (mqtt://HOST:PORT)")
    group.addoption(
        "--s1h-external",
        action="append",
        metavar="ROLE",
        help="a role another build plays (dsp, s1sp:IOC, s1sp:MOC, s1sp:FOC, devices)",
    )
    group.addoption("--s1h-run", metavar="ID", help="run ID on the broker (s1h/v3/ID/...)")
    group.addoption("--s1h-tap", metavar="FILE", help="write every envelope's wire form to FILE")
    group.addoption(
        "--s1h-verdicts", metavar="FILE", help="write each scenario's outcome and checks to FILE"
    )
    group.addoption(
        "--s1h-timeout", metavar="SECONDS", type=float, help="how long a step waits (default 5)"
    )


pytest_plugins = (
    "s1harness.suite.steps.given",
    "s1harness.suite.steps.when",
    "s1harness.suite.steps.then",
    "s1harness.suite.steps.remediation",
    "s1harness.suite.steps.campaign",
    "s1harness.suite.steps.hostile",
)
"""The step library."""

MARKERS = (
    "R1: SECMP0107 requirement 1 — a Network Operator may replace the NO certificates (SRV 6.15.1)",
    "R2: SECMP0107 requirement 2 — the one-off S1SP data update",
    "MP058: the optional SECMP0058 check of NO certificates against the MPAN",
    "baseline: behaviour SECMP0107 must leave as it is (switch off, SMETS2)",
    "SIT: a System Integration Testing scenario of the FIA (section 5.2)",
    "UIT: a User Integration Testing scenario of the FIA (section 5.2)",
    "positive: the request is expected to succeed",
    "negative: the request is expected to be refused",
    "dsp: exercises the DSP's checks",
    "s1sp: exercises an S1SP's checks",
    "device: exercises the device",
    "pending: a scenario not built yet (skipped, with its reason)",
    *(f"{cohort}: a scenario on a device of the {cohort} S1SP" for cohort in COHORTS),
    *(f"{kind}: a scenario on a {kind}" for kind in ("ESME", "GPF")),
)
"""The suite's Gherkin tags (features/README.md): requirement, phase, polarity, component,
the scenario's state, and — for a plain Scenario — the S1SP and device type it is on."""


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    chosen = _target(config)  # a bad option is one usage error before any scenario
    if chosen.bus == "mqtt" and chosen.broker is not None and not hasattr(config, "workerinput"):
        _reach(chosen.broker)
    tap = config.getoption("--s1h-tap")
    if tap:
        sys.addaudithook(_Tap(Path(tap)))  # audit hooks stay for the process: a one-off run


class _Tap:
    """Every envelope created (:data:`~s1harness.spec.bus.AUDIT_EVENT`) as a JSON line."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("a", encoding="utf-8")

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if event != AUDIT_EVENT:
            return
        envelope = args[0]
        delivery = Delivery(envelope, uuid.uuid4().hex, acks("tap"))
        line = {"topic": envelope.topic, "wire": encode(delivery).decode()}
        self._file.write(json.dumps(line) + "\n")
        self._file.flush()


_PLAIN = (str, int, float, bool, type(None))


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_step_call(
    request: pytest.FixtureRequest, step: Any, step_func_args: dict[str, Any]
) -> None:
    """A step's Allure parameters are what the Gherkin step says (its parsed arguments), not
    the fixture objects the step function also takes (the scenario's world): their text is
    only noise, up to megabytes a step. (Runs after allure-pytest-bdd has added them all.)"""
    objects = {name for name, value in step_func_args.items() if not isinstance(value, _PLAIN)}
    listener = next(
        (p for p in request.config.pluginmanager.get_plugins() if hasattr(p, "nodeid_to_uuid")),
        None,
    )
    if not objects or listener is None:
        return
    with listener.lifecycle.update_step(uuid=get_step_uuid(step)) as result:
        if result is not None:
            result.parameters = [p for p in result.parameters if p.name not in objects]


_DESELECTED = pytest.StashKey[int]()
_FEATURE_FILES = pytest.StashKey[frozenset[Path]]()


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        config = items[0].config
        config.stash[_DESELECTED] = config.stash.get(_DESELECTED, 0) + len(items)


@pytest.hookimpl(trylast=True)  # after -k, -m and --lf have deselected
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    files = set()
    for item in items:
        function = getattr(item, "obj", None)
        template = scenario_wrapper_template_registry.get(function) if function else None
        if template is not None:
            files.add(Path(template.feature.filename).resolve())
    config.stash[_FEATURE_FILES] = frozenset(files)


def _selection(config: pytest.Config) -> str:
    """How much of the FIA suite the run ran: all of it, a part, or features of its own."""
    files = config.stash.get(_FEATURE_FILES, frozenset())
    bundled = frozenset(path.resolve() for path in FEATURES.rglob("*.feature"))
    outside = files - bundled
    if outside:
        return f"features of its own: {len(outside)} file(s) outside the FIA suite"
    deselected, missing = config.stash.get(_DESELECTED, 0), len(bundled - files)
    if deselected or missing:
        parts = [f"{deselected} scenarios deselected"] if deselected else []
        parts += [f"{missing} of its feature files not run"] if missing else []
        return f"{PART} ({', '.join(parts)})"
    return WHOLE


def _reach(url: str) -> None:
    """Connect to the external broker once, before any scenario: a broker that cannot be
    reached or refuses the login is one usage error, not one broken scenario each."""

    async def connect() -> None:
        async with MqttBus(url, run=new_run_id()):
            pass

    try:
        asyncio.run(connect())
    except InputError as exc:
        raise pytest.UsageError(f"--s1h-broker: {exc.message}") from None


def _target(config: pytest.Config) -> Target:
    bus = config.getoption("--s1h-bus") or os.environ.get("S1HARNESS_BUS") or "mqtt"
    broker = config.getoption("--s1h-broker") or os.environ.get("S1HARNESS_BROKER") or None
    external = _roles(config, "--s1h-external", "S1HARNESS_EXTERNAL")
    if bus not in ("memory", "mqtt"):
        raise pytest.UsageError(f"S1HARNESS_BUS must be memory or mqtt, not {bus!r}")
    run = config.getoption("--s1h-run") or os.environ.get("S1HARNESS_RUN") or None
    if run is not None:
        try:
            run_id(run)
        except InputError as exc:
            raise pytest.UsageError(f"--s1h-run: {exc.message}") from None
    timeout = config.getoption("--s1h-timeout") or float(
        os.environ.get("S1HARNESS_TIMEOUT") or DEFAULT_TIMEOUT
    )
    if timeout <= 0:
        raise pytest.UsageError(f"--s1h-timeout: {timeout:g} is not a number of seconds above 0")
    unknown = [role for role in external if role not in EXTERNAL_ROLES]
    if unknown:
        known = ", ".join(EXTERNAL_ROLES)
        raise pytest.UsageError(f"--s1h-external: unknown role {unknown[0]!r} (roles: {known})")
    if external and bus != "mqtt":
        raise pytest.UsageError("--s1h-external: another build joins a run over MQTT only")
    return Target(bus, broker, external=tuple(dict.fromkeys(external)), run=run, timeout=timeout)


def _roles(config: pytest.Config, option: str, variable: str) -> tuple[str, ...]:
    given = config.getoption(option) or os.environ.get(variable, "").split(",")
    return tuple(role.strip() for role in given if role.strip())


@pytest.fixture(scope="session")
def loop_thread() -> Iterator[LoopThread]:
    """The session's event loop, on its own thread."""
    loop = LoopThread()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, loop_thread: LoopThread) -> Iterator[Target]:
    """Where the scenarios run; on MQTT without a broker URL, a broker embedded for this
    process (so each xdist worker has its own)."""
    chosen = _target(request.config)
    _record_target(request.config, chosen)
    if chosen.bus != "mqtt" or chosen.broker is not None:
        yield chosen
        return
    held = loop_thread.hold(EmbeddedBroker())
    try:
        embedded = held.value
        yield dataclasses.replace(chosen, broker=embedded.url, access=embedded.access())
    finally:
        held.release()


@dataclasses.dataclass
class _Identity:
    """What the run's Allure results say about the run itself (their Environment tab and
    executor; the sign-off prints it): written when the target is chosen, again at the end."""

    folder: Path
    target: Target
    started: datetime.datetime
    builds: dict[str, str] = dataclasses.field(default_factory=dict)


_IDENTITY = pytest.StashKey[_Identity]()
COMMAND_VARIABLE = "S1HARNESS_COMMAND"
"""The command line ``s1harness run`` was given (it runs pytest with more)."""


def _record_target(config: pytest.Config, target: Target) -> None:
    """The run's identity in the Allure results, with Allure's categories of failure."""
    folder = config.getoption("--alluredir", default=None)
    if not folder:
        return
    identity = _Identity(Path(folder), target, datetime.datetime.now(datetime.UTC))
    config.stash[_IDENTITY] = identity
    _write_identity(config, identity, ended=None)
    write_categories(identity.folder)


def _write_identity(
    config: pytest.Config, identity: _Identity, ended: datetime.datetime | None
) -> None:
    target = identity.target
    broker = target.broker or ("embedded, one per test process" if target.bus == "mqtt" else "-")
    command = os.environ.get(COMMAND_VARIABLE) or " ".join(
        ["pytest", *config.invocation_params.args]
    )
    selected = [f"-k {config.option.keyword}"] if config.option.keyword else []
    selected += [f"-m {config.option.markexpr}"] if config.option.markexpr else []
    external = ", ".join(
        f"{role} ({identity.builds.get(role, 'has not said what it is')})"
        for role in target.external
    )
    made = commit()
    pairs = [
        ("s1harness", __version__ + (f" (commit {made})" if made else "")),
        ("command", command),
        ("filter", "; ".join(selected) or "none"),
        ("selection", _selection(config)),
        ("bus", target.bus),
        ("broker", broker),
        ("run ID", target.run or (DEFAULT_RUN if target.external else "a fresh one per scenario")),
        ("external roles", external or "none: every role emulated"),
        ("timeout", f"{target.timeout:g} s"),
        ("python", platform.python_version()),
        ("started", identity.started.isoformat(timespec="seconds")),
        ("ended", ended.isoformat(timespec="seconds") if ended else "(still running)"),
    ]
    write_environment(identity.folder, pairs)
    write_executor(identity.folder, name=f"s1harness {__version__}", build=made or __version__)


def pytest_sessionfinish(session: pytest.Session) -> None:
    identity = session.config.stash.get(_IDENTITY, None)
    if identity is not None:
        _write_identity(session.config, identity, ended=datetime.datetime.now(datetime.UTC))


_AUDITED = [0]


@pytest.fixture(autouse=True)
def duis_audit() -> Iterator[DuisAudit]:
    """Every DUIS message created during the test validates against the schema, or it fails."""
    with listening(DuisAudit()) as audit:
        yield audit
    _AUDITED[0] += audit.checked
    if audit.failures:
        shown = "\n  ".join(audit.failures[:5])
        pytest.fail(f"{len(audit.failures)} emitted DUIS message(s) invalid:\n  {shown}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _AUDITED[0]:
        terminalreporter.write_line(
            f"DUIS audit: {_AUDITED[0]} emitted DUIS messages validated against the schema"
        )


@pytest.fixture
def world(
    request: pytest.FixtureRequest, loop_thread: LoopThread, target: Target
) -> Iterator[World]:
    """One scenario's World; its estate stops when the scenario ends."""
    world = World(loop_thread, target)
    request.node.stash[WORLD] = world  # for the scenario's report (_write_verdict)
    yield world
    identity = request.config.stash.get(_IDENTITY, None)
    if identity is not None and world.started:
        for role, build in world.h.builds.items():  # what each external build said it is
            said = " ".join(str(build.get(k, "")) for k in ("name", "version")).strip()
            identity.builds[role] = said or identity.builds.get(role, "")
    world.close()


# -- pytest-bdd hooks ------------------------------------------------------------------------


@pytest.hookimpl(trylast=True)  # after the Allure adapter has started the scenario's result
def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    found = FIA_LINE.search(feature.description or "")
    if found and allure is not None:
        allure.dynamic.label("fia", found["section"])  # type: ignore[no-untyped-call]
    if request.node.get_closest_marker("pending"):
        # Skipped once started, not at collection: the results (and the sign-off) list it.
        pytest.skip("pending: the scenario is not built yet")


def pytest_bdd_before_step(
    request: pytest.FixtureRequest,
    feature: Any,
    scenario: Any,
    step: Any,
    step_func: Callable[..., Any],
) -> None:
    refuse_async_step(step_func)


@pytest.hookimpl(tryfirst=True)  # before the Allure adapter closes the step
def pytest_bdd_after_step(
    request: pytest.FixtureRequest,
    feature: Any,
    scenario: Any,
    step: Any,
    step_func: Callable[..., Any],
    step_func_args: dict[str, Any],
) -> None:
    _attach_traffic(request, settle=True)


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_step_error(
    request: pytest.FixtureRequest,
    feature: Any,
    scenario: Any,
    step: Any,
    step_func: Callable[..., Any],
    step_func_args: dict[str, Any],
    exception: Exception,
) -> None:
    _attach_traffic(request)
    _diagnose(request, exception)


def _diagnose(request: pytest.FixtureRequest, exception: Exception) -> None:
    """A failed (or timed-out) step shows, on the terminal and in Allure, what every role the
    Harness runs decided about each request of the scenario and what it dropped."""
    if "world" not in request.fixturenames or isinstance(exception, NotObservableError):
        return
    world: World = request.getfixturevalue("world")
    if not world.started:
        return
    text = world.loop.call(diagnose, world.h, [sent.exchange for sent in world.sent])
    request.node.add_report_section("call", "s1harness diagnosis", text)
    if allure is not None:
        allure.attach(text, name="diagnosis", attachment_type=allure.attachment_type.TEXT)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """A step that cannot judge a role another build plays reports the scenario skipped as
    "not observable", never passed."""
    outcome = yield
    report = outcome.get_result()
    error = call.excinfo.value if call.excinfo is not None else None
    if report.failed and isinstance(error, NotObservableError):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"not observable: {error}")
    _write_verdict(item, report, error)


def _write_verdict(item: pytest.Item, report: pytest.TestReport, error: object) -> None:
    """One line per scenario for ``--s1h-verdicts``: its outcome, why, and the checks its steps
    judged (``s1harness conform`` reads them)."""
    path = item.config.getoption("--s1h-verdicts")
    if not path or (report.when != "call" and report.passed):
        return
    world = item.stash.get(WORLD, None)
    judged = sorted(world.notes.get("judged", set())) if world is not None else []
    reason = ""
    if report.skipped:
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else "skipped"
    elif report.failed:
        reason = str(error).splitlines()[0] if error is not None else report.outcome
    line = {"scenario": item.nodeid, "outcome": report.outcome, "reason": reason,
            "checks": [list(pair) for pair in judged]}  # fmt: skip
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


def _attach_traffic(request: pytest.FixtureRequest, *, settle: bool = False) -> None:
    """Attach the messages exchanged since the last step (to the step that caused them, once
    the roles have handled what it sent)."""
    if allure is None or "world" not in request.fixturenames:
        return
    world: World = request.getfixturevalue("world")
    if not world.started:
        return
    if settle:
        _settle(world)
    traffic = world.h.traffic
    done = world.notes.get("attached", 0)
    new = traffic[done:]
    world.notes["attached"] = done + len(new)
    for exhibit in exhibits(new, start=done + 1):
        allure.attach(
            exhibit.body, name=exhibit.name, attachment_type=_attachment_type(exhibit.extension)
        )


def _attachment_type(extension: str) -> Any:
    kinds = allure.attachment_type
    return {"xml": kinds.XML, "json": kinds.JSON}.get(extension, kinds.TEXT)


def pytest_bdd_after_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    """Attach what is still arriving when the last step ends (once the roles have settled)."""
    _attach_traffic(request, settle=True)


def _settle(world: World) -> None:
    try:
        world.run(world.h.settle())
    except Exception:  # noqa: BLE001 - evidence is best effort; the verdict is the steps'
        return
