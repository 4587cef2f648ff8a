-- report.lua -- wrk's summary as one CSV line, printed last:
--   STATS,req_per_s,p50_ms,p95_ms,p99_ms,requests,non2xx,socket_errors
-- Only done() is defined, so wrk runs no Lua per request.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("STATS,%.0f,%.3f,%.3f,%.3f,%d,%d,%d\n",
    summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout))
end
