<?php
// php-memcached's view of one server: each step prints one JSON line
// {"step": name, "result": [return value, result code, result message]},
// compared by clients.py with the same steps against memcached.
// Usage: php php_scenario.php PORT tcp|udp [HOST, 127.0.0.1 by default]
// In udp mode every write goes out as a noreply UDP datagram and is read
// back over a second, TCP connection.

$port = (int)$argv[1];
$mode = $argv[2];
$host = $argv[3] ?? '127.0.0.1';

function client($port, $udp) {
    global $host;
    $m = new Memcached();
    $m->setOption(Memcached::OPT_CONNECT_TIMEOUT, 3000);
    $m->setOption(Memcached::OPT_RECV_TIMEOUT, 5000000);
    $m->setOption(Memcached::OPT_SEND_TIMEOUT, 5000000);
    if ($udp) {
        $m->setOption(Memcached::OPT_USE_UDP, true);
    }
    // php-memcached refuses append/prepend on a compressing client.
    $m->setOption(Memcached::OPT_COMPRESSION, false);
    $m->addServer($host, $port);
    return $m;
}

function digest($v) {
    if (is_string($v) && strlen($v) > 64) {
        return [strlen($v), sha1($v)];
    }
    if (is_array($v)) {
        return array_map('digest', $v);
    }
    return $v;
}

function step($m, $name, $fn) {
    $r = $fn($m);
    $out = ['step' => $name,
            'result' => [digest($r), $m->getResultCode(), $m->getResultMessage()]];
    echo json_encode($out, JSON_INVALID_UTF8_SUBSTITUTE), "\n";
}

// A UDP write is visible over TCP once a later UDP marker write is: the
// servers run one worker thread, which reads UDP datagrams in order. A write
// of a new key waits for that key first: through AF_XDP a long datagram
// takes the kernel socket's path and may overtake a short one.
function sync_udp($udp, $tcp, $new_key = null) {
    static $marker = 0;
    for ($i = 0; $new_key !== null && $i < 400 && $tcp->get($new_key) === false; $i++) {
        usleep(5000);
    }
    $marker++;
    $udp->set('udp-marker', "$marker");
    for ($i = 0; $i < 400; $i++) {
        if ($tcp->get('udp-marker') === "$marker") {
            break;
        }
        usleep(5000);
    }
}

$tcp = client($port, false);
$get = Memcached::GET_EXTENDED;

if ($mode === 'udp') {
    $udp = client($port, true);
    $w = function ($name, $fn, $new_key = null) use ($udp, $tcp) {
        step($udp, $name, $fn);
        sync_udp($udp, $tcp, $new_key);
    };
    step($udp, 'udp get refused', fn($m) => $m->get('x'));
    foreach ([1, 100, 1300, 1350, 1400, 1500, 3000, 5000] as $size) {
        $w("udp set $size bytes", fn($m) => $m->set("u$size", str_repeat('U', $size)), "u$size");
        step($tcp, "read $size bytes", fn($m) => $m->get("u$size", null, $get));
    }
    $w('udp set int', fn($m) => $m->set('ui', 5));
    $w('udp add new', fn($m) => $m->add('ua', 'added'));
    $w('udp replace', fn($m) => $m->replace('ua', 'replaced'));
    $w('udp append', fn($m) => $m->append('ua', '+tail'));
    $w('udp prepend', fn($m) => $m->prepend('ua', 'head+'));
    step($tcp, 'read append/prepend', fn($m) => $m->get('ua', null, $get));
    $w('udp increment', fn($m) => $m->increment('ui', 10));
    $w('udp decrement', fn($m) => $m->decrement('ui', 3));
    step($tcp, 'read incr/decr', fn($m) => $m->get('ui', null, $get));
    $w('udp touch', fn($m) => $m->touch('ua', 100));
    $w('udp setMulti', fn($m) => $m->setMulti(['um1' => '1', 'um2' => 2]));
    step($tcp, 'read setMulti', fn($m) => $m->getMulti(['um1', 'um2']));
    $w('udp delete', fn($m) => $m->delete('um1'));
    $w('udp deleteMulti', fn($m) => $m->deleteMulti(['um2', 'nokey']));
    step($tcp, 'read deletes', fn($m) => $m->getMulti(['um1', 'um2', 'ua']));
    exit(0);
}

$s = fn($name, $fn) => step($tcp, $name, $fn);
$s('set', fn($m) => $m->set('k1', 'v1'));
$s('get', fn($m) => $m->get('k1', null, $get));
$s('get miss', fn($m) => $m->get('nokey'));
foreach (['int' => 42, 'float' => 1.5, 'bool' => true, 'null' => null, 'text' => "h\u{e9}llo",
          'array' => ['a' => [1, 2]], 'object' => (object)['x' => 1], 'empty' => ''] as $label => $value) {
    $s("set $label", fn($m) => $m->set("t-$label", $value));
    $s("get $label", fn($m) => $m->get("t-$label", null, $get));
}
$zip = client($port, false);
$zip->setOption(Memcached::OPT_COMPRESSION, true);
step($zip, 'set compressed', fn($m) => $m->set('t-zip', str_repeat('abc', 3000)));
step($zip, 'get compressed', fn($m) => $m->get('t-zip', null, $get));
step($tcp, 'get compressed raw', fn($m) => $m->get('t-zip', null, $get));
$s('cas right', fn($m) => $m->cas($m->get('k1', null, $get)['cas'], 'k1', 'v2'));
$s('cas stale', fn($m) => $m->cas(1, 'k1', 'v3'));
$s('cas miss', fn($m) => $m->cas(1, 'nokey', 'v3'));
$s('get after cas', fn($m) => $m->get('k1', null, $get));
$s('add existing', fn($m) => $m->add('k1', 'x'));
$s('add new', fn($m) => $m->add('k2', 'added'));
$s('replace miss', fn($m) => $m->replace('nokey', 'x'));
$s('replace existing', fn($m) => $m->replace('k2', 'replaced'));
$s('append', fn($m) => $m->append('k2', '+tail'));
$s('prepend', fn($m) => $m->prepend('k2', 'head+'));
$s('append miss', fn($m) => $m->append('nokey', 'x'));
$s('after append/prepend', fn($m) => $m->get('k2', null, $get));
$s('set counter', fn($m) => $m->set('n', 10));
$s('increment', fn($m) => $m->increment('n', 5));
$s('decrement below zero', fn($m) => $m->decrement('n', 20));
$s('increment miss', fn($m) => $m->increment('nokey', 1));
$s('set 99', fn($m) => $m->set('n', '99'));
$s('increment grows', fn($m) => $m->increment('n', 1));
$s('decrement shrinks', fn($m) => $m->decrement('n', 1));
$s('value after decrement', fn($m) => $m->get('n', null, $get));
$s('increment non-numeric', fn($m) => $m->increment('k1', 1));
$s('touch', fn($m) => $m->touch('k1', 100));
$s('touch miss', fn($m) => $m->touch('nokey', 100));
$s('delete', fn($m) => $m->delete('k2'));
$s('delete miss', fn($m) => $m->delete('k2'));
$s('setMulti', fn($m) => $m->setMulti(['m1' => '1', 'm2' => 2, 'm3' => [3]]));
$s('getMulti with misses', fn($m) => $m->getMulti(['m1', 'nokey', 'm2', 'm3']));
$s('getMulti extended', fn($m) => $m->getMulti(['m1', 'nokey', 'm3'], $get));
$s('deleteMulti', fn($m) => $m->deleteMulti(['m1', 'nokey']));
$s('getDelayed', fn($m) => $m->getDelayed(['m2', 'nokey', 'm3'], true));
$s('fetchAll', fn($m) => $m->fetchAll());
$buffered = client($port, false);
$buffered->setOption(Memcached::OPT_NO_BLOCK, true);
$buffered->setOption(Memcached::OPT_BUFFER_WRITES, true);
foreach (['b1', 'b2', 'b3'] as $key) {
    step($buffered, "buffered set $key", fn($m) => $m->set($key, "value of $key"));
}
step($buffered, 'buffered delete', fn($m) => $m->delete('b2'));
step($buffered, 'flushBuffers', fn($m) => $m->flushBuffers());
step($buffered, 'read after buffered writes', fn($m) => $m->getMulti(['b1', 'b2', 'b3'], $get));
$s('after buffered writes', fn($m) => $m->getMulti(['b1', 'b2', 'b3'], $get));
foreach ([1000000, 1048500, 1048514, 1048515, 1048516, 1048576] as $size) {
    $s("set $size bytes", fn($m) => $m->set('big', str_repeat('L', $size)));
    $s("get after $size bytes", fn($m) => $m->get('big', null, $get));
}
$s('key 250', fn($m) => $m->set(str_repeat('K', 250), 'long key'));
$s('get key 250', fn($m) => $m->get(str_repeat('K', 250)));
$s('key 251', fn($m) => $m->set(str_repeat('K', 251), 'too long'));
// As scenarios.py: exptime 2, read back after 3.2 s.
$s('set exptime 2', fn($m) => $m->set('e1', 'soon', 2));
$s('set for touch', fn($m) => $m->set('e2', 'touched'));
$s('touch to 2', fn($m) => $m->touch('e2', 2));
$s('get before expiry', fn($m) => $m->getMulti(['e1', 'e2']));
usleep(3200000);
$s('get after expiry', fn($m) => $m->getMulti(['e1', 'e2']));
$s('version', fn($m) => array_values($m->getVersion()));
// Less this server's own counters, which follow memcached's, and
// total_malloced, a step of its own (as in scenarios.py).
function stat_names($stats) {
    $names = array_keys(array_values($stats)[0]);
    return array_values(array_filter($names, fn($n) =>
        !preg_match('/^(unbuckle|udp|xdp|afxdp)_/', $n)));
}
$s('stats total_malloced', fn($m) => array_key_exists('total_malloced', array_values($m->getStats())[0]));
$s('stats names', fn($m) => stat_names($m->getStats()));
$s('stats settings names', fn($m) => stat_names($m->getStats('settings')));
$s('getAllKeys', function ($m) {
    $keys = $m->getAllKeys();
    if (is_array($keys)) {
        sort($keys);
    }
    return $keys;
});
$s('flush', fn($m) => $m->flush());
$s('get after flush', fn($m) => $m->getMulti(['k1', 'n']));
$s('set after flush', fn($m) => $m->set('f1', 'after'));
$s('get extended after flush', fn($m) => $m->get('f1', null, $get));
