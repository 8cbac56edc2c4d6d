"""The steps of the client scenarios where unbuckle-xdp differs from
memcached 1.6.18 today, each a bug of issue 9 that another change fixes. An
entry whose step stops differing fails the test: delete it when the fix lands.
"""

_VERSION = "`version` answers 1.6.18-unbuckle-0.1.0, memcached 1.6.18 (issue 9)"
_STATS = "`stats` lacks field names memcached prints (issue 9)"
_SETTINGS = "`stats settings` lacks field names memcached prints (issue 9)"
_ITEMS = "`stats items` lacks field names memcached prints (issue 9)"
_FLUSH_CAS = "memcached uses up a CAS id on an immediate flush_all (issue 9)"
_MEMLIMIT = "`cache_memlimit` is not enabled (issue 9)"
_CACHEDUMP = "`stats cachedump` (getAllKeys) is not enabled (issue 9)"
_TOTAL_MALLOCED = ("`stats` prints total_malloced, which memcached prints in `stats slabs` "
                   "only (found here, not yet in issue 9)")
_CONNECTIONS = ("memcached counts its listening socket and its UDP connections (one per "
                "thread) in curr_connections and total_connections; this server only "
                "accepted TCP connections (found here, not yet in issue 9)")

# scenario -> {step: why it differs today}; "twemproxy" is twemproxy.py's
EXPECTED_DIFFERENCES = {
    "pymemcache": {
        "version": _VERSION,
        "stats names": _STATS,
        "stats settings names": _SETTINGS,
        "stats items names": _ITEMS,
        "cache_memlimit": _MEMLIMIT,
        "gets after flush_all": _FLUSH_CAS,
        "stats connections": _CONNECTIONS,
        "stats total_malloced": _TOTAL_MALLOCED,
    },
    "pylibmc": {
        "version": _VERSION,
        "gets after flush_all": _FLUSH_CAS,
    },
    "pylibmc buffered": {
        "version": _VERSION,
        "gets after flush_all": _FLUSH_CAS,
    },
    "php-memcached": {
        "stats total_malloced": _TOTAL_MALLOCED,
        "stats names": _STATS,
        "stats settings names": _SETTINGS,
        "getAllKeys": _CACHEDUMP,
        "get extended after flush": _FLUSH_CAS,
    },
    "twemproxy": {
        "version": _VERSION,
    },
    "pylibmc udp": {},
    "php-memcached udp": {},
}
