#include "udp/reply_budget.h"

#include <cstring>
#include <random>

#include "unbuckle/bpf_abi.h"

namespace unbuckle::udp {

static_assert((ReplyBudget::kSets & (ReplyBudget::kSets - 1)) == 0);

ReplyBudget::ReplyBudget(const ReplyBudgetConfig& config)
    : config_(config),
      seed_((uint64_t{std::random_device{}()} << 32) | std::random_device{}()),
      buckets_(kSets * kWays) {}

size_t ReplyBudget::setOf(const SourceAddress& source) const {
  uint64_t words[2];
  std::memcpy(words, source.bytes.data(), sizeof words);
  uint64_t h = (seed_ ^ source.family) * 0x9e3779b97f4a7c15ull;
  for (const uint64_t word : words) {
    h = (h ^ word) * 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
  }
  return h & (kSets - 1);
}

bool ReplyBudget::admits(const SourceAddress& source, uint64_t now_ns) {
  Bucket* set = &buckets_[setOf(source) * kWays];
  Bucket* bucket = nullptr;
  Bucket* oldest = set;
  for (size_t way = 0; way < kWays; ++way) {
    Bucket& candidate = set[way];
    if (candidate.last_ns != 0 && candidate.source == source) {
      bucket = &candidate;
      break;
    }
    if (candidate.last_ns < oldest->last_ns) {
      oldest = &candidate;
    }
  }
  if (bucket == nullptr) {
    bucket = oldest;
    bucket->source = source;
    bucket->tokens = static_cast<int64_t>(config_.burst);
  } else {
    const uint64_t elapsed = now_ns > bucket->last_ns ? now_ns - bucket->last_ns : 0;
    bucket->tokens = unbuckle_reply_refill(bucket->tokens, elapsed, config_.rate, config_.burst);
  }
  bucket->last_ns = now_ns;
  current_ = bucket;
  return bucket->tokens > 0;
}

void ReplyBudget::debit(uint64_t bytes) {
  if (current_ != nullptr) {
    current_->tokens -= static_cast<int64_t>(bytes);
  }
}

}  // namespace unbuckle::udp
