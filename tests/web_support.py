"""Driving the web console with Flask's test client: sign in, and POST with the session's
CSRF token read from the page as a browser would."""
import re

import pytest

from tests.factories import PASSWORD, make_world

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"|"X-CSRF-Token": "([^"]+)"')


def token_in(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1) or found.group(2)


class Console:
    """One browser session of the console."""

    def __init__(self, client):
        self.client = client

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def token(self) -> str:
        return token_in(self.client.get("/app/login" if not self.signed_in else "/app/").get_data(as_text=True))

    @property
    def signed_in(self) -> bool:
        return self.client.get("/app/").status_code == 200

    def post(self, path, data=None, *, htmx=False, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token())
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(path, data=data, headers=headers, **kw)

    def sign_in(self, account, code="acme", password=PASSWORD):
        return self.post("/app/login", {"company_code": code, "account": account, "password": password})


def text(response) -> str:
    return response.get_data(as_text=True)


def as_user(app, user) -> Console:
    console = Console(app.test_client())
    response = console.sign_in(user.account)
    assert response.status_code == 303, text(response)
    return console


@pytest.fixture
def world(app):
    return make_world()


@pytest.fixture
def admin(app, world):
    """The company admin's signed-in console."""
    return as_user(app, world.admin)
