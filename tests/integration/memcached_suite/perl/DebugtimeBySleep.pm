# Loaded before a t/*.t file (perl -MDebugtimeBySleep): memcached's suite moves
# the server's clock with `debugtime N`, a command only memcached's debug build
# has (not Debian's memcached, not unbuckle-xdp). Let N seconds really pass
# instead, plus one for server clocks that tick once a second, so that
# expirations.t tests expiry against both servers (it only checks, after each
# shift, that items have expired).
package DebugtimeBySleep;
use strict;
use lib "t/lib";
use MemcachedTest ();

no warnings 'redefine';
*MemcachedTest::mem_move_time = sub {
    my ($sock, $move) = @_;
    MemcachedTest::sleep($move + 1);
};

1;
