# Loaded before a t/*.t file (perl -MDebugtimeBySleep): memcached's suite moves
# the server's clock with `debugtime N`, a command only memcached's debug build
# has (not Debian's memcached, not unbuckle-xdp). Let N seconds really pass
# instead, plus two for server clocks that tick once a second and lag under
# load, so that expirations.t tests expiry against both servers (after each
# shift it only checks that items have expired, so waiting longer is safe).
package DebugtimeBySleep;
use strict;
use lib "t/lib";
use MemcachedTest ();

no warnings 'redefine';
*MemcachedTest::mem_move_time = sub {
    my ($sock, $move) = @_;
    MemcachedTest::sleep($move + 2);
};

1;
