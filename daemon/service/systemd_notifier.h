// Tells systemd (Type=notify) where the daemon is in its life: ready,
// reloading, stopping, and a one-line status for `systemctl status`.
// Every call does nothing when NOTIFY_SOCKET is unset (not started by
// systemd), so the daemon behaves the same from a shell.
#pragma once

#include <string>

namespace unbuckle::service {

// The store, the datapaths and the sockets are up: `systemctl start` returns.
void notifyReady(const std::string& status);

// Between SIGHUP and the end of the reload (`systemctl reload` waits).
void notifyReloading();

// A stop signal arrived: systemd shows "deactivating" while we clean up.
void notifyStopping();

}  // namespace unbuckle::service
