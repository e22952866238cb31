"""End-to-end fixtures: a moto server on 127.0.0.1 (a free port) for the real CLI."""
import socket

import pytest

from moto_account import Account, _post


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_server():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def account(moto_server, tmp_path):
    _post(f"{moto_server}/moto-api/reset")
    acct = Account(moto_server, tmp_path)
    yield acct
    acct.enforce_auth(False)


