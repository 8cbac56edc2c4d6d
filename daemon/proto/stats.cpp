#include "proto/stats.h"

#include <algorithm>

namespace unbuckle::proto {

namespace {

uint64_t load(const Counter& c) { return c.load(std::memory_order_relaxed); }

}  // namespace

StatsRegistry::StatsRegistry()
    : baseline_(std::make_unique<WorkerStats>()), started_(time(nullptr)) {}

WorkerStats& StatsRegistry::addWorker() {
  std::lock_guard lock(mutex_);
  workers_.push_back(std::make_unique<WorkerStats>());
  return *workers_.back();
}

uint64_t StatsRegistry::sum(Counter WorkerStats::*field) const {
  std::lock_guard lock(mutex_);
  uint64_t total = 0;
  for (const auto& w : workers_) total += load((*w).*field);
  return total - load((*baseline_).*field);
}

uint64_t StatsRegistry::sumSlabClass(uint8_t id, Counter SlabClassCounters::*field) const {
  std::lock_guard lock(mutex_);
  uint64_t total = 0;
  for (const auto& w : workers_) total += load(w->slabClass(id).*field);
  return total - load(baseline_->slabClass(id).*field);
}

uint64_t StatsRegistry::connectionCount(std::atomic<uint64_t> ConnectionStats::*field) const {
  std::lock_guard lock(mutex_);
  return (connections_.*field).load(std::memory_order_relaxed) -
         (connection_baseline_.*field).load(std::memory_order_relaxed);
}

void StatsRegistry::reset() {
  std::lock_guard lock(mutex_);
  // The baseline takes each counter's current sum over all workers.
  auto rebase = [&](auto counter_of) {
    uint64_t total = 0;
    for (const auto& w : workers_) total += load(counter_of(*w));
    counter_of(*baseline_).store(total, std::memory_order_relaxed);
  };
#define UNBUCKLE_REBASE(name) rebase([](WorkerStats& w) -> Counter& { return w.name; });
  UNBUCKLE_WORKER_COUNTERS(UNBUCKLE_REBASE)
#undef UNBUCKLE_REBASE
  for (size_t id = 0; id < kMaxSlabClasses; ++id) {
    const auto cls = static_cast<uint8_t>(id);
#define UNBUCKLE_REBASE(name) \
  rebase([cls](WorkerStats& w) -> Counter& { return w.slabClass(cls).name; });
    UNBUCKLE_SLAB_CLASS_COUNTERS(UNBUCKLE_REBASE)
#undef UNBUCKLE_REBASE
  }
  prefixes_.clear();
  for (auto field : {&ConnectionStats::total_connections, &ConnectionStats::rejected_connections,
                     &ConnectionStats::conn_yields, &ConnectionStats::listen_disabled_num,
                     &ConnectionStats::read_buf_oom, &ConnectionStats::response_obj_oom,
                     &ConnectionStats::time_in_listen_disabled_us}) {
    (connection_baseline_.*field).store((connections_.*field).load());
  }
}

int StatsRegistry::addConnectionLister(ConnectionLister lister) {
  std::lock_guard lock(mutex_);
  listers_.emplace_back(next_source_id_, std::move(lister));
  return next_source_id_++;
}

void StatsRegistry::removeConnectionLister(int id) {
  std::lock_guard lock(mutex_);
  std::erase_if(listers_, [id](const auto& entry) { return entry.first == id; });
}

std::vector<ConnectionInfo> StatsRegistry::connectionList() const {
  std::vector<ConnectionInfo> all;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, lister] : listers_) lister(all);
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.fd < b.fd; });
  return all;
}

int StatsRegistry::addRefresher(StatsRefresher refresher) {
  std::lock_guard refreshing(refresh_mutex_);
  std::lock_guard lock(mutex_);
  refreshers_.emplace_back(next_source_id_, std::move(refresher));
  return next_source_id_++;
}

void StatsRegistry::removeRefresher(int id) {
  std::lock_guard refreshing(refresh_mutex_);
  std::erase_if(refreshers_, [id](const auto& entry) { return entry.first == id; });
}

void StatsRegistry::refresh() {
  std::lock_guard refreshing(refresh_mutex_);
  for (const auto& [id, refresher] : refreshers_) refresher();
}

int StatsRegistry::addSource(StatsSource source) {
  std::lock_guard lock(mutex_);
  sources_.emplace_back(next_source_id_, std::move(source));
  return next_source_id_++;
}

void StatsRegistry::removeSource(int id) {
  std::lock_guard lock(mutex_);
  std::erase_if(sources_, [id](const auto& entry) { return entry.first == id; });
}

std::vector<std::pair<std::string, uint64_t>> StatsRegistry::sourceStats() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, uint64_t>> all;
  for (const auto& [id, source] : sources_) {
    source(all);
  }
  std::vector<std::pair<std::string, uint64_t>> merged;
  for (auto& [name, value] : all) {
    auto same = std::find_if(merged.begin(), merged.end(), [&key = name](const auto& m) { return m.first == key; });
    if (same != merged.end()) {
      same->second += value;
    } else {
      merged.emplace_back(std::move(name), value);
    }
  }
  return merged;
}

PrefixStats::Counts* PrefixStats::find(std::string_view key) {
  const size_t end = key.find(kDelimiter);
  if (end == std::string_view::npos) return nullptr;
  const std::string_view prefix = key.substr(0, end);
  auto it = prefixes_.find(prefix);
  if (it == prefixes_.end()) it = prefixes_.emplace(std::string(prefix), Counts{}).first;
  return &it->second;
}

void PrefixStats::setEnabled(bool on) {
  std::lock_guard lock(change_mutex_);
  enabled_.store(on, std::memory_order_relaxed);
  if (change_hook_) change_hook_(on);
}

void PrefixStats::recordGet(std::string_view key, bool hit) {
  std::lock_guard lock(mutex_);
  if (Counts* c = find(key)) {
    ++c->get;
    if (hit) ++c->hit;
  }
}

void PrefixStats::recordSet(std::string_view key) {
  std::lock_guard lock(mutex_);
  if (Counts* c = find(key)) ++c->set;
}

void PrefixStats::recordDelete(std::string_view key) {
  std::lock_guard lock(mutex_);
  if (Counts* c = find(key)) ++c->del;
}

std::string PrefixStats::dump() const {
  std::lock_guard lock(mutex_);
  std::string text;
  for (const auto& [name, c] : prefixes_) {
    text += "PREFIX " + name + " get " + std::to_string(c.get) + " hit " + std::to_string(c.hit) +
            " set " + std::to_string(c.set) + " del " + std::to_string(c.del) + "\r\n";
  }
  text += "END\r\n";
  return text;
}

void PrefixStats::clear() {
  std::lock_guard lock(mutex_);
  prefixes_.clear();
}

}  // namespace unbuckle::proto
