// The daemon's logger, on stderr. Under systemd, whose journal stamps every
// line itself, it leaves out the timestamp and starts each line with the
// syslog priority ("<3>" for an error, sd-daemon.h's SD_ERR), so journalctl
// shows and filters levels (journalctl -p warning).
#pragma once

#include <spdlog/spdlog.h>

#include <memory>

namespace unbuckle::service {

// stderr is the journal when JOURNAL_STREAM names its device and inode
// (systemd sets it for StandardError=journal; a redirected stderr no longer
// matches it).
bool stderrIsJournal();

std::shared_ptr<spdlog::logger> makeDaemonLogger(bool journal);

}  // namespace unbuckle::service
