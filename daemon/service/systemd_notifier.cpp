#include "service/systemd_notifier.h"

#include <systemd/sd-daemon.h>

namespace unbuckle::service {

// sd_notify's errors are ignored: a daemon that cannot reach systemd serves
// all the same, and systemd reports the missing READY=1 itself.

void notifyReady(const std::string& status) {
  sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
}

void notifyReloading() { sd_notify(0, "RELOADING=1\nSTATUS=reloading the config file"); }

void notifyStopping() { sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }

}  // namespace unbuckle::service
