// One socket per worker bound to the same address and port with
// SO_REUSEPORT: the kernel spreads datagrams (UDP) and new connections (TCP,
// by flow hash) over the workers, and no socket is shared between threads.
//
// SO_REUSEPORT would also let a second process of the same user join the
// group and silently take half the traffic, so a probe socket without it
// binds first: a port anyone else holds is refused as "address in use".
#pragma once

#include <cstddef>
#include <vector>

#include "result.h"
#include "socket/endpoint.h"
#include "unbuckle/file_descriptor.h"

namespace unbuckle::net {

enum class Protocol { kUdp, kTcp };

// `count` sockets bound to `endpoint`; TCP ones listening and non-blocking.
Result<std::vector<FileDescriptor>> openReusePortGroup(const Endpoint& endpoint, Protocol protocol,
                                                       size_t count);

}  // namespace unbuckle::net
