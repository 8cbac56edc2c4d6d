#include "mcbench/run_counters.h"

namespace unbuckle::mcbench {

void RunCounters::merge(const RunCounters& other) {
  get_hits += other.get_hits;
  get_misses += other.get_misses;
  get_lost += other.get_lost;
  get_errors += other.get_errors;
  set_stored += other.set_stored;
  set_lost += other.set_lost;
  set_errors += other.set_errors;
  stray += other.stray;
  send_errors += other.send_errors;
  for (size_t i = 0; i < errors.size(); ++i) errors[i] += other.errors[i];
}

}  // namespace unbuckle::mcbench
