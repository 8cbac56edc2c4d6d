<?php
// Sets every key read from stdin (one a line, value "v") through one
// php-memcached client over a pool, for ketama_placement.py.
// Usage: php php_ketama_set.php libketama|consistent HOST:PORT:WEIGHT...
//   libketama   Memcached::OPT_LIBKETAMA_COMPATIBLE (libmemcached KETAMA_WEIGHTED)
//   consistent  Memcached::OPT_DISTRIBUTION = DISTRIBUTION_CONSISTENT
// Exits 1 with a line on stderr when a set fails.

$m = new Memcached();
if ($argv[1] === 'libketama') {
    $m->setOption(Memcached::OPT_LIBKETAMA_COMPATIBLE, true);
} else {
    $m->setOption(Memcached::OPT_DISTRIBUTION, Memcached::DISTRIBUTION_CONSISTENT);
}
foreach (array_slice($argv, 2) as $server) {
    [$host, $port, $weight] = explode(':', $server);
    $m->addServer($host, (int)$port, (int)$weight);
}
$keys = array_filter(explode("\n", stream_get_contents(STDIN)), 'strlen');
foreach (array_chunk($keys, 100) as $batch) {
    if (!$m->setMulti(array_fill_keys($batch, 'v'))) {
        fwrite(STDERR, "setMulti failed: " . $m->getResultMessage() . "\n");
        exit(1);
    }
}
