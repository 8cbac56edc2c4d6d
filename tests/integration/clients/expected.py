"""The steps of the client scenarios where unbuckle-xdp differs from
memcached 1.6.18 today: a bug still open, or a difference the README lists as
deliberate. An entry whose step stops differing fails the test: delete it
when the fix lands.
"""

_CACHEDUMP = ("`stats cachedump` (getAllKeys) lists a class's whole LRU; memcached only its "
              "COLD part, so it lists none of the keys just set (deliberate, README)")

# scenario -> {step: why it differs today}; "twemproxy" is twemproxy.py's
EXPECTED_DIFFERENCES = {
    "pymemcache": {},
    "pylibmc": {},
    "pylibmc buffered": {},
    "php-memcached": {
        "getAllKeys": _CACHEDUMP,
    },
    "twemproxy": {},
    "pylibmc udp": {},
    "php-memcached udp": {},
}
