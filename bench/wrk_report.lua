-- wrk's done() hook: the run's counts and latency percentiles as one JSON line.
-- Latencies are in microseconds; "status" counts responses that were not 2xx/3xx.
-- "quantiles" sums the run up as [latency, share of requests] pairs (0.5 % steps
-- to p95, 0.05 % steps above), so that runs of one page can be pooled
-- (bench/servers.py merged): wrk's Lua API gives percentiles, not its histogram.
done = function(summary, latency, requests)
  local e = summary.errors
  local quantiles = {}
  for i = 1, 190 do
    quantiles[#quantiles + 1] = string.format("[%d, 0.005]", latency:percentile((i - 0.5) * 0.5))
  end
  for i = 1, 100 do
    quantiles[#quantiles + 1] = string.format("[%d, 0.0005]", latency:percentile(95 + (i - 0.5) * 0.05))
  end
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, ' ..
    '"read": %d, "write": %d, "status": %d, "timeout": %d, "p50": %d, "p90": %d, "p99": %d, ' ..
    '"quantiles": [%s]}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), table.concat(quantiles, ", ")))
end
