#include "mcbench/report.h"

#include <fmt/format.h>

#include <cmath>

#include "mcbench/json_writer.h"

namespace unbuckle::mcbench {

namespace {

constexpr double kNanosPerMicro = 1000.0;

const char* protocolName(Protocol protocol) {
  return protocol == Protocol::kUdp ? "udp" : "tcp";
}

double micros(uint64_t nanos) {
  return static_cast<double>(nanos) / kNanosPerMicro;
}

std::string errorBreakdown(const RunCounters& counters) {
  std::string text;
  for (size_t i = 0; i < kErrorKindCount; ++i) {
    if (counters.errors[i] == 0) continue;
    if (!text.empty()) text += ", ";
    text += fmt::format("{} {}", errorKindName(static_cast<ErrorKind>(i)), groupDigits(counters.errors[i]));
  }
  return text.empty() ? "none" : text;
}

std::string ratio(double value, double base) {
  return base > 0 ? fmt::format("{:.2f}", value / base) : "-";
}

}  // namespace

std::string groupDigits(uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

std::string describeLoad(const Options& options) {
  const LoadSettings& settings = options.plan.settings;
  const std::string distribution =
      options.distribution == KeyDistribution::kZipf ? fmt::format("zipf s={}", options.zipf_s) : "uniform";
  const std::string bound =
      options.plan.requests
          ? fmt::format("{} requests (cap {:.0f} s)", groupDigits(options.plan.requests), options.plan.duration.count())
          : fmt::format("{:.1f} s", options.plan.duration.count());
  return fmt::format(
      "load: GET over {}, SET over {}, get ratio {:.2f}; {} thread(s) x window {}; {} keys ({}), key {} B, value {} B; "
      "{}{}{}{}",
      protocolName(settings.get_protocol), protocolName(settings.set_protocol), settings.get_ratio,
      options.plan.threads, settings.window, groupDigits(options.shape.keys), distribution, options.shape.key_size,
      options.shape.value_size, bound, options.rounds > 1 ? fmt::format(" x {} rounds", options.rounds) : "",
      options.preload ? "; preloaded" : "", settings.validate ? "; validating" : "");
}

std::string formatRunSummary(const RunResult& run) {
  const RunCounters& c = run.counters;
  std::string text = fmt::format("== {} ({}){}\n", run.target.name, run.target.endpoint.str(),
                                 run.interrupted ? " [interrupted]" : "");
  text += fmt::format("  {:.2f} s, {} answered: {} ops/s\n", run.seconds, groupDigits(c.answered()),
                      groupDigits(static_cast<uint64_t>(std::llround(run.opsPerSecond()))));
  text += fmt::format("  gets {}: hit {:.2f}%, miss {}, lost {}, errors {}; sets {}: stored {}, lost {}, errors {}\n",
                      groupDigits(c.gets()), 100.0 * c.hitRatio(), groupDigits(c.get_misses), groupDigits(c.get_lost),
                      groupDigits(c.get_errors), groupDigits(c.sets()), groupDigits(c.set_stored),
                      groupDigits(c.set_lost), groupDigits(c.set_errors));
  const LatencyHistogram& l = run.latency;
  text += fmt::format("  latency us: p50 {:.1f}  p99 {:.1f}  p99.9 {:.1f}  max {:.1f}  mean {:.1f}\n",
                      micros(l.percentile(0.50)), micros(l.percentile(0.99)), micros(l.percentile(0.999)),
                      micros(l.max()), l.mean() / kNanosPerMicro);
  text += fmt::format("  errors: {}", errorBreakdown(c));
  if (c.stray) text += fmt::format("; stray datagrams {}", groupDigits(c.stray));
  if (c.send_errors) text += fmt::format("; send refused {}", groupDigits(c.send_errors));
  text += "\n";
  if (const auto cpu = run.serverCpuPerMillion()) {
    text +=
        fmt::format("  server cpu: {:.3f} s per million requests ({:.2f} s in total)\n", *cpu, *run.server_cpu_seconds);
  }
  return text;
}

std::string formatCompareTable(const std::vector<RunResult>& runs) {
  if (runs.empty()) return {};
  size_t name_width = 6;
  for (const RunResult& run : runs) name_width = std::max(name_width, run.target.name.size());
  std::string text = fmt::format("{:<{}}  {:>12}  {:>7}  {:>7}  {:>9}  {:>9}  {:>9}  {:>9}  {:>8}  {:>10}  {:>7}\n",
                                 "target", name_width, "ops/s", "x first", "hit %", "p50 us", "p99 us", "p99.9 us",
                                 "lost", "errors", "cpu s/M", "x first");
  const RunResult& base = runs.front();
  for (const RunResult& run : runs) {
    const auto cpu = run.serverCpuPerMillion();
    const auto base_cpu = base.serverCpuPerMillion();
    text += fmt::format(
        "{:<{}}  {:>12.0f}  {:>7}  {:>7.2f}  {:>9.1f}  {:>9.1f}  {:>9.1f}  {:>9}  {:>8}  {:>10}  {:>7}\n",
        run.target.name, name_width, run.opsPerSecond(), ratio(run.opsPerSecond(), base.opsPerSecond()),
        100.0 * run.counters.hitRatio(), micros(run.latency.percentile(0.50)), micros(run.latency.percentile(0.99)),
        micros(run.latency.percentile(0.999)), run.counters.lost(), run.counters.errorTotal(),
        cpu ? fmt::format("{:.3f}", *cpu) : "-", cpu && base_cpu ? ratio(*cpu, *base_cpu) : "-");
  }
  return text;
}

std::string formatLoadJson(const Options& options, const std::vector<RunResult>& runs) {
  const LoadSettings& settings = options.plan.settings;
  JsonWriter json;
  json.beginObject();
  json.field("mode", "load");
  json.beginObject("config")
      .field("get_protocol", protocolName(settings.get_protocol))
      .field("set_protocol", protocolName(settings.set_protocol))
      .field("get_ratio", settings.get_ratio)
      .field("threads", uint64_t{options.plan.threads})
      .field("window", uint64_t{settings.window})
      .field("keys", options.shape.keys)
      .field("key_size", uint64_t{options.shape.key_size})
      .field("value_size", uint64_t{options.shape.value_size})
      .field("distribution", options.distribution == KeyDistribution::kZipf ? "zipf" : "uniform")
      .field("zipf_s", options.zipf_s)
      .field("duration_cap_s", options.plan.duration.count())
      .field("requests", options.plan.requests)
      .field("rounds", uint64_t{options.rounds})
      .field("timeout_ms", static_cast<uint64_t>(settings.timeout.count()))
      .field("preload", options.preload)
      .field("validate", settings.validate)
      .endObject();
  json.beginArray("results");
  for (const RunResult& run : runs) {
    const RunCounters& c = run.counters;
    json.beginObject()
        .field("target", run.target.name)
        .field("address", run.target.endpoint.str())
        .field("seconds", run.seconds)
        .field("interrupted", run.interrupted)
        .field("ops_per_second", run.opsPerSecond())
        .field("ops_ratio_to_first",
               runs.front().opsPerSecond() > 0 ? run.opsPerSecond() / runs.front().opsPerSecond() : 0.0)
        .field("answered", c.answered())
        .field("gets", c.gets())
        .field("get_hits", c.get_hits)
        .field("get_misses", c.get_misses)
        .field("get_lost", c.get_lost)
        .field("get_errors", c.get_errors)
        .field("hit_ratio", c.hitRatio())
        .field("sets", c.sets())
        .field("set_stored", c.set_stored)
        .field("set_lost", c.set_lost)
        .field("set_errors", c.set_errors)
        .field("stray_datagrams", c.stray)
        .field("send_refused", c.send_errors);
    json.beginObject("errors");
    for (size_t i = 0; i < kErrorKindCount; ++i) json.field(errorKindName(static_cast<ErrorKind>(i)), c.errors[i]);
    json.endObject();
    json.beginObject("latency_us")
        .field("p50", micros(run.latency.percentile(0.50)))
        .field("p99", micros(run.latency.percentile(0.99)))
        .field("p999", micros(run.latency.percentile(0.999)))
        .field("max", micros(run.latency.max()))
        .field("mean", run.latency.mean() / kNanosPerMicro)
        .endObject();
    if (const auto cpu = run.serverCpuPerMillion()) {
      json.field("server_cpu_seconds", *run.server_cpu_seconds).field("server_cpu_s_per_million", *cpu);
    } else {
      json.nullField("server_cpu_seconds").nullField("server_cpu_s_per_million");
    }
    json.endObject();
  }
  json.endArray();
  json.endObject();
  return json.str() + "\n";
}

std::string formatFillTable(const std::vector<FillReport>& fills) {
  if (fills.empty()) return {};
  size_t name_width = 6;
  for (const FillReport& fill : fills) name_width = std::max(name_width, fill.target.name.size());
  std::string text =
      fmt::format("{:<{}}  {:>11}  {:>7}  {:>13}  {:>14}  {:>10}  {:>10}  {:>9}\n", "target", name_width, "curr_items",
                  "x first", "bytes", "limit_maxbytes", "limit B/it", "bytes B/it", "evicted");
  const FillResult& base = fills.front().result;
  for (const FillReport& fill : fills) {
    const FillResult& r = fill.result;
    text += fmt::format("{:<{}}  {:>11}  {:>7}  {:>13}  {:>14}  {:>10.1f}  {:>10.1f}  {:>9}\n", fill.target.name,
                        name_width, r.curr_items,
                        ratio(static_cast<double>(r.curr_items), static_cast<double>(base.curr_items)), r.bytes,
                        r.limit_maxbytes, r.limitBytesPerItem(), r.accountedBytesPerItem(), r.evicted ? "yes" : "NO");
  }
  return text;
}

std::string formatFillJson(const Options& options, const std::vector<FillReport>& fills) {
  JsonWriter json;
  json.beginObject();
  json.field("mode", "fill");
  json.beginObject("config")
      .field("key_size", uint64_t{options.shape.key_size})
      .field("value_size", uint64_t{options.shape.value_size})
      .endObject();
  json.beginArray("results");
  for (const FillReport& fill : fills) {
    const FillResult& r = fill.result;
    json.beginObject()
        .field("target", fill.target.name)
        .field("address", fill.target.endpoint.str())
        .field("evicted", r.evicted)
        .field("sets", r.sets)
        .field("items_before", r.items_before)
        .field("curr_items", r.curr_items)
        .field("bytes", r.bytes)
        .field("limit_maxbytes", r.limit_maxbytes)
        .field("evictions", r.evictions)
        .field("limit_bytes_per_item", r.limitBytesPerItem())
        .field("accounted_bytes_per_item", r.accountedBytesPerItem())
        .field("seconds", r.seconds)
        .endObject();
  }
  json.endArray();
  json.endObject();
  return json.str() + "\n";
}

}  // namespace unbuckle::mcbench
