"""End-to-end fixtures: a moto server on 127.0.0.1 (a free port) for the real CLI."""
import socket

import pytest

from moto_account import Account, _post


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


RECORDING = {}


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    """The server records every request of the session, so a test can check from the server's
    side that the auditor never called anything outside its read-only allowlist."""
    from moto.moto_api import recorder
    from moto.server import ThreadedMotoServer

    RECORDING["path"] = tmp_path_factory.mktemp("moto") / "recording.jsonl"
    recorder._location = str(RECORDING["path"])
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    _post(f"{endpoint}/moto-api/recorder/start-recording")
    yield endpoint
    _post(f"{endpoint}/moto-api/recorder/stop-recording")
    server.stop()


@pytest.fixture
def account(moto_server, tmp_path):
    _post(f"{moto_server}/moto-api/reset")
    acct = Account(moto_server, tmp_path)
    yield acct
    acct.enforce_auth(False)


