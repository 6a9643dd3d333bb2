"""Fixtures: one fresh sandbox per session, its seeded keys, SDK clients that validate every response."""

from __future__ import annotations

from typing import Callable, Iterator

import pytest

from support import ContractValidator, RecordingClient, Sandbox, ValidatingTransport, write_called

MAIN_TREE_ROLES = ("root", "child", "grandchild", "read_only", "revoked", "elevated")
ROLES = MAIN_TREE_ROLES + ("onboarding_incomplete", "zero_balance", "sending_paused")


@pytest.fixture(scope="session")
def validator() -> ContractValidator:
    return ContractValidator()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.call_failed = report.failed  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _no_contract_violations(request: pytest.FixtureRequest, validator: ContractValidator) -> Iterator[None]:
    """Fail a test whose responses broke the contract, even if it swallowed the AssertionError."""
    before = len(validator.violations)
    yield
    new = validator.violations[before:]
    if new and not getattr(request.node, "call_failed", False):
        pytest.fail("responses broke the contract:\n" + "\n".join(new))


@pytest.fixture(scope="session")
def sandbox(validator: ContractValidator) -> Iterator[Sandbox]:
    box = Sandbox()
    try:
        box.seeded_projects = _projects_at_start(box, validator)
        yield box
    finally:
        box.stop()


def _projects_at_start(box: Sandbox, validator: ContractValidator) -> list[dict]:
    """The projects of the root tree as the session found them, before any test moved the clock:
    the send engine completes the seeded `sending` project within seconds of sandbox time."""
    elevated = next(k["key"] for k in box.control(validator, "GET", "/keys") if k["role"] == "elevated")
    client = RecordingClient(api_key=elevated, base_url=box.base_url, max_retries=0, timeout=10.0,
                             transport=ValidatingTransport(validator))
    try:
        return client.list_projects()["data"]
    finally:
        client.close()


@pytest.fixture(scope="session")
def control(sandbox: Sandbox, validator: ContractValidator) -> Callable[..., object]:
    """control(method, path, body=None) -> data of a /_sandbox call, envelope-checked."""

    def call(method: str, path: str, body: object = None) -> object:
        return sandbox.control(validator, method, path, body)

    return call


@pytest.fixture(scope="session")
def advance(control: Callable[..., object]) -> Callable[[int], str]:
    """advance(seconds) -> the new sandbox time (POST /_sandbox/clock/advance runs every job due by then)."""

    def call(seconds: int) -> str:
        return control("POST", "/clock/advance", {"seconds": seconds})["now"]

    return call


@pytest.fixture(scope="session")
def hosted(control: Callable[..., object]) -> dict[str, dict]:
    """The files the sandbox hosts at start (GET /_sandbox/files), by name."""
    return {f["name"]: f for f in control("GET", "/files")}


@pytest.fixture(scope="session")
def put_file(sandbox: Sandbox, validator: ContractValidator) -> Callable[[str, bytes], dict]:
    """put_file(name, bytes) -> the hosted file record (PUT /_sandbox/files/{name})."""

    def call(name: str, content: bytes) -> dict:
        return sandbox.control(validator, "PUT", f"/files/{name}", content=content)

    return call


@pytest.fixture(scope="session")
def keys(control: Callable[..., object]) -> dict[str, dict]:
    """The seeded key records by role (GET /_sandbox/keys)."""
    records = control("GET", "/keys")
    assert isinstance(records, list) and records, "GET /_sandbox/keys returned no keys"
    by_role: dict[str, dict] = {}
    for record in records:
        by_role.setdefault(record["role"], record)
    missing = [role for role in ROLES if role not in by_role]
    assert not missing, f"seeded keys lack roles {missing}; got {sorted(by_role)}"
    return by_role


@pytest.fixture(scope="session")
def make_client(sandbox: Sandbox, validator: ContractValidator) -> Iterator[Callable[[str], RecordingClient]]:
    clients: list[RecordingClient] = []

    def make(api_key: str) -> RecordingClient:
        client = RecordingClient(
            api_key=api_key,
            base_url=sandbox.base_url,
            max_retries=0,
            timeout=10.0,
            transport=ValidatingTransport(validator),
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def root(make_client, keys) -> RecordingClient:
    return make_client(keys["root"]["key"])


@pytest.fixture(scope="session")
def api(make_client, keys) -> RecordingClient:
    """The root org's `elevated` key (100,000 requests/hour): the workhorse of read tests."""
    return make_client(keys["elevated"]["key"])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    write_called("python")
