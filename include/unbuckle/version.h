/* The two versions this server reports. Clients parse the answer to
 * `version` (and the `version` stat) to decide which memcached features to
 * use, so those name the memcached release whose protocol this server
 * matches; the server's own version goes to --version, the start-up log
 * line and the `unbuckle_version` stat. */
#ifndef UNBUCKLE_VERSION_H
#define UNBUCKLE_VERSION_H

#define UNBUCKLE_MEMCACHED_VERSION "1.6.18"

/* The project version, from CMake's project(VERSION) (the root CMakeLists). */
#ifndef UNBUCKLE_VERSION
#error "UNBUCKLE_VERSION must be defined by the build"
#endif

#endif
