#!/usr/bin/python3
"""`lru_crawler disable` stops the daemon's background crawler and `enable`
starts it again: expired items stay linked while it is off and are
reclaimed (`crawler_reclaimed`) soon after it is back on. The expired items
sit behind a live one at the LRU tail, where the maintainer's tail pass
(which `lru_crawler disable` does not stop, as in memcached) cannot see them.

memcached has no opinion here (its crawler runs when its LRU maintainer
schedules it), so the expectations are hand-written.
"""

import argparse
import time

import mcharness as mc

ITEMS = 200


def command(client, line):
    return client.request(line, done=lambda r: r.endswith(b"\r\n"))


def wait_for(port, name, wanted, seconds):
    """The stat `name` once it equals `wanted`, or its last value after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = int(mc.stats(port)[name])
        if value == wanted or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    args = parser.parse_args()

    with mc.Server.daemon(args.daemon, 64, 2) as daemon:
        client = mc.TcpClient(daemon.port)
        if command(client, b"lru_crawler disable\r\n") != b"OK\r\n":
            mc.fail("lru_crawler disable was not answered OK")
        if mc.stats(daemon.port, "settings")["lru_crawler"] != "no":
            mc.fail("stats settings does not show the crawler off")
        if command(client, b"set anchor 0 0 1\r\nx\r\n") != b"STORED\r\n":
            mc.fail("set anchor was not stored")
        for i in range(ITEMS):
            if command(client, b"set exp%d 0 1 1\r\nx\r\n" % i) != b"STORED\r\n":
                mc.fail(f"set exp{i} was not stored")
        time.sleep(3)   # exptime 1: every item has expired, and 3 crawl intervals passed
        stats = mc.stats(daemon.port)
        print(f"crawler off, 3 s later: curr_items {stats['curr_items']}, "
              f"crawler_reclaimed {stats['crawler_reclaimed']}", flush=True)
        if int(stats["crawler_reclaimed"]) != 0 or int(stats["curr_items"]) != ITEMS + 1:
            mc.fail("the crawler reclaimed items while disabled")

        if command(client, b"lru_crawler enable\r\n") != b"OK\r\n":
            mc.fail("lru_crawler enable was not answered OK")
        reclaimed = wait_for(daemon.port, "crawler_reclaimed", ITEMS, 10)
        print(f"crawler on: crawler_reclaimed {reclaimed}", flush=True)
        if reclaimed != ITEMS:
            mc.fail(f"the crawler reclaimed {reclaimed} of {ITEMS} expired items within 10 s of enable")
        if int(mc.stats(daemon.port)["curr_items"]) != 1:
            mc.fail("expired items are still linked after the crawl")
        client.close()
    print("lru_crawler: ok")


if __name__ == "__main__":
    main()
