import socket

import pytest

from tests.conftest import NetworkBlocked


def test_connections_beyond_loopback_are_refused() -> None:
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("eutils.ncbi.nlm.nih.gov", 443), timeout=1)
    with socket.socket() as s, pytest.raises(NetworkBlocked):
        s.connect(("130.14.29.110", 443))
