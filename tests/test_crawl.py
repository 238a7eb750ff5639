"""The crawl (issue #11): the real server on the embedded default, seeded with one user's objects of every kind,
asked for every GET route of ``url_map`` with every object id as the owner, another user, an admin and anonymously,
and every ``/api/v1`` route and method with bad bodies: no 500 anywhere, 404/403/401 as designed, JSON on the API.
"""
import re
import socket

import httpx
import pytest

from tests.crawl_helpers import HUGE, PUBLIC, route_table, signed_in, start_embedded, urls_for
from tests.crawl_seed import PASSWORD, seed
from tests.services import stop_process

ROUTES = route_table()
OBJECT_ARGS = ("dataset_id", "row_id", "run_id", "sample_id", "endpoint_id", "conversation_id", "token_id", "user_id")
#: Routes that need their query string (answered 400 with a JSON error without it).
NEEDS_QUERY = {"api.compare_evals"}
ROLES = {"owner": "alice", "stranger": "bob", "admin": "admin", "anonymous": None}


def _params(routes, roles):
    out = []
    for role in roles:
        for route in routes:
            out.append(pytest.param(role, *route, id=f"{role}-{route[0]}"))
    return out


GET_ROUTES = [(e, r) for e, r, methods in ROUTES if "GET" in methods]
API_ROUTES = [(e, r, m) for e, r, methods in ROUTES if r.startswith("/api/v1") for m in methods]


@pytest.fixture(scope="module")
def world(tmp_path_factory, fake_llm_server):
    tmp = tmp_path_factory.mktemp("crawl")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = start_embedded(tmp, port)
    base = f"http://127.0.0.1:{port}"
    ids, token_of = seed(tmp / "data", fake_llm_server)
    clients = {"owner": signed_in(base, "alice", PASSWORD), "stranger": signed_in(base, "bob", PASSWORD),
               "admin": signed_in(base, "admin", "first-admin-pw"), "anonymous": httpx.Client(base_url=base, timeout=30)}
    fields = sorted(_property_names(clients["anonymous"].get("/api/v1/openapi.json").json()))
    yield {"ids": ids, "tokens": token_of, "clients": clients, "fields": fields}
    for c in clients.values():
        c.close()
    stop_process(proc, timeout=20)


def _property_names(node) -> set[str]:
    """Every field name the OpenAPI document declares (the bad bodies give each a wrong type)."""
    if isinstance(node, dict):
        names = set(node.get("properties", {})) if isinstance(node.get("properties"), dict) else set()
        return names.union(*(_property_names(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_property_names(v) for v in node))
    return set()


def _headers(world, role, url):
    if role == "anonymous" or not url.startswith("/api/v1"):
        return {}
    return {"Authorization": f"Bearer {world['tokens'][ROLES[role]]}"}


def _expected(role, endpoint, rule, url) -> set[int] | None:
    """The statuses the design gives; ``None`` when only "not a server error" can be said (malformed queries)."""
    api, has_ids = url.startswith("/api/v1"), any(f":{a}>" in rule for a in OBJECT_ARGS)
    if endpoint in PUBLIC:
        return {200, 302} if "?" not in url else None
    if endpoint in ("main.metrics_endpoint", "api.admin_runs"):  # scrapes and scripts: admins only, others 404
        return {200} if role == "admin" else {401} if role == "anonymous" else {404}
    if role == "anonymous":
        return {401} if api else {302}
    if endpoint in NEEDS_QUERY and "?" not in url:
        return {400}
    if endpoint.startswith("admin."):
        return ({200} if "?" not in url else None) if role == "admin" else {403}
    if has_ids and role != "owner":
        return {404}
    if endpoint == "main.worker_ping_state":
        return {404}
    return ({200} if has_ids else {200, 302}) if "?" not in url else None


def _check(response, url, expected):
    where = f"{response.request.method} {url} -> {response.status_code}"
    assert response.status_code < 500, where + " " + response.text[:300]
    if expected is not None:
        assert response.status_code in expected, f"{where}, expected {sorted(expected)}"
    if url.startswith("/api/v1") and response.status_code >= 400:
        error = response.json()["error"]
        assert {"code", "message", "fields"} <= set(error), where


@pytest.mark.parametrize("role, endpoint, rule", _params(GET_ROUTES, ROLES))
def test_every_page_with_every_id(world, role, endpoint, rule):
    client = world["clients"][role]
    for url in urls_for(endpoint, rule, world["ids"], junk=True):
        _check(client.get(url, headers=_headers(world, role, url)), url, _expected(role, endpoint, rule, url))


def _bad_bodies(fields):
    wrong = ([["x"]], {"a": [1]}, int(HUGE), "x", None, -1, True)
    return [{}, {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
            {"content": b"\xff\xfe\x00", "headers": {"Content-Type": "application/json"}},
            {"json": "x"}, {"json": []}, {"json": {}}] + [{"json": {f: w for f in fields}} for w in wrong]


@pytest.mark.parametrize("role, endpoint, rule, method", _params(API_ROUTES, ("owner", "stranger", "anonymous")))
def test_every_api_route_with_bad_bodies(world, role, endpoint, rule, method):
    if role == "owner" and method == "DELETE":
        pytest.skip("deleting the owner's objects would empty the crawl: strangers and anonymous try DELETE")
    client = world["clients"][role]
    bodies = [{}] if method == "GET" else _bad_bodies(world["fields"])
    has_ids = any(f":{a}>" in rule for a in OBJECT_ARGS)
    for url in urls_for(endpoint, rule, world["ids"], junk=method == "GET"):
        expected = _expected(role, endpoint, rule, url) if method == "GET" or role == "anonymous" else None
        for body in bodies:
            response = _send(world, client, role, method, url, body)
            _check(response, url, expected)
            if role == "stranger" and has_ids and method != "GET":  # a body error may come first, but the
                missing = re.sub(r"/\d+", "/987654", url)  # answer must not tell whether the object exists
                assert response.status_code == _send(world, client, role, method, missing, body).status_code, url


def _send(world, client, role, method, url, body):
    extra = dict(body)
    headers = {**_headers(world, role, url), **extra.pop("headers", {})}
    return client.request(method, url, headers=headers, **extra)


@pytest.mark.parametrize("endpoint, rule", sorted({(e, r) for e, r, _m in API_ROUTES}))
def test_unsupported_methods_answer_json_405(world, endpoint, rule):
    allowed = {m for e, r, m in API_ROUTES if r == rule}
    url = urls_for(endpoint, rule, world["ids"], junk=False)[0]
    for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - allowed):
        response = _send(world, world["clients"]["owner"], "owner", method, url, {"json": {}})
        assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed", (method, url)
