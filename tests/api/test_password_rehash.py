"""A password hash made at a lower argon2 cost is upgraded at the next successful login."""

from __future__ import annotations

import uuid

from api_world import STRONG, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import select

from walletdesk.api.app import create_app
from walletdesk.bootstrap import Container, build
from walletdesk.core.clock import FakeClock
from walletdesk.identity import tables as t
from walletdesk.settings import Settings

BACKENDS = ["sqlite", "postgres"]
PHONE = "+8613800138000"


def stored_hash(container: Container, user_id: str) -> str:
    with container.engine.connect() as conn:
        return str(
            conn.execute(
                select(t.users.c.password_hash).where(t.users.c.id == uuid.UUID(user_id))
            ).scalar_one()
        )


def cost_of(password_hash: str) -> dict[str, str]:
    """The parameters of a PHC string like ``$argon2id$v=19$m=64,t=1,p=1$salt$hash``."""
    return dict(part.split("=") for part in password_hash.split("$")[3].split(","))


def login(client: TestClient, password: str) -> int:
    response = client.post("/api/v1/sessions", json={"login": PHONE, "password": password})
    return response.status_code


def test_logging_in_after_the_cost_was_raised_rehashes_the_password(
    database_settings: Settings, clock: FakeClock
) -> None:
    # Given a customer registered while argon2 ran with time_cost 1
    cheap = database_settings.model_copy(
        update={"argon2_time_cost": 1, "argon2_memory_kib": 64, "argon2_parallelism": 1}
    )
    first = build(cheap, clock=clock)
    try:
        with TestClient(create_app(first)) as client:
            user_id = sign_up(client, phone=PHONE).user["id"]
        original = stored_hash(first, user_id)
    finally:
        first.close()
    assert cost_of(original) == {"m": "64", "t": "1", "p": "1"}

    # When the server restarts with time_cost 2 on the same database
    dearer = build(cheap.model_copy(update={"argon2_time_cost": 2}), clock=clock)
    try:
        with TestClient(create_app(dearer)) as client:
            # a wrong password proves nothing, so the old hash stays
            assert login(client, "Not-The-Password-1") == 401
            assert stored_hash(dearer, user_id) == original
            # and the right one logs in and upgrades the hash
            assert login(client, STRONG) == 201
            upgraded = stored_hash(dearer, user_id)
            # Then the stored hash carries t=2, and the password still works with it
            assert "t=2" in upgraded
            assert cost_of(upgraded) == {"m": "64", "t": "2", "p": "1"}
            assert login(client, STRONG) == 201
            # an up-to-date hash is not rewritten at every login
            assert stored_hash(dearer, user_id) == upgraded
    finally:
        dearer.close()
