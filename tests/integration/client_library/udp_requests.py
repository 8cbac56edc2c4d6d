"""What a UDP multi-get moves in a server's stats, by the number of requests
it was sent in: how the tests show that the client's udp_keys_per_request
takes effect (python_client.py, python_client_afxdp.py, unbucklecat_cli.py).

memcached 1.6.18 counts each key asked in cmd_get, and each request's 8-byte
frame header and line `get k1 ... kn\\r\\n` in bytes_read; unbuckle-xdp
counts the same and each request datagram in udp_datagrams_in. The keys must
be short enough for all of them to fit one datagram.
"""

import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mcharness as mc  # noqa: E402

REQUEST_BYTES = mc.FRAME_HEADER.size + len(b"get\r\n")
STATS_LINE = len(b"stats\r\n")  # the second `stats` is read before it answers


def request_count(keys, per_request):
    """Requests of a multi-get of `keys` with udp_keys_per_request=per_request."""
    return math.ceil(len(keys) / per_request) if per_request else 1


def expected_growth(server, keys, per_request):
    """The stats `server` (an mc.Server) must grow by in a multi-get of `keys`."""
    requests = request_count(keys, per_request)
    expected = {"cmd_get": len(keys),
                "bytes_read": STATS_LINE + requests * REQUEST_BYTES + sum(1 + len(key) for key in keys)}
    if server.name != "memcached":
        expected["udp_datagrams_in"] = requests
    return expected


def growth(server, read):
    """read()'s result and how much each numeric stat of `server` grew
    meanwhile (stats over TCP before and after)."""
    before = mc.stats(server.port, host=server.host)
    result = read()
    after = mc.stats(server.port, host=server.host)
    return result, {name: int(value) - int(before[name]) for name, value in after.items()
                    if value.isdigit() and before.get(name, "").isdigit()}


def check_growth(what, grown, expected):
    """Fails unless every stat of `expected` grew by its amount."""
    wrong = {name: (grown.get(name), wanted) for name, wanted in expected.items() if grown.get(name) != wanted}
    if wrong:
        mc.fail(f"{what}: stats grew by (got, expected) {wrong}")
