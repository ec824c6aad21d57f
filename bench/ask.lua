-- wrk script: POST /api/ask with JSON bodies read from a file, one per line.
-- Thread i of n takes lines i, i+n, i+2n, ... so no two threads send the same
-- body. A thread stops after `limit` responses and touches DONE_DIR/<i>, so
-- the driver can end the run without waiting out -d.
--
--   wrk -t2 -c8 -d60s -s ask.lua URL -- BODIES THREADS LIMIT DONE_DIR
--
-- done() prints one JSON line: latency percentiles (microseconds), requests
-- (responses), requests sent (some may be unanswered when a thread stops), errors, answers served from the cache, and the span from the first request
-- to the last response (wrk's own duration includes the -d wait).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } qa_timespec;
int clock_gettime(int clk_id, qa_timespec *tp);
]]
local clock = ffi.new("qa_timespec")

local function now_us()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1e6 + tonumber(clock.tv_nsec) / 1e3
end

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  prepared, sent, served, cached, first, last = {}, 0, 0, 0, 0, 0
  local nthreads, line_no = tonumber(args[2]), 0
  limit, done_dir = tonumber(args[3]), args[4]
  local headers = { ["Content-Type"] = "application/json" }
  for line in io.lines(args[1]) do
    if line_no % nthreads == id then
      prepared[#prepared + 1] = wrk.format("POST", "/api/ask", headers, line)
    end
    line_no = line_no + 1
  end
end

function request()
  if first == 0 then first = now_us() end
  sent = sent + 1
  return prepared[(sent - 1) % #prepared + 1]
end

function response(status, headers, body)
  served = served + 1
  last = now_us()
  if body:find('"cache":', 1, true) then cached = cached + 1 end
  if served == limit then
    io.open(done_dir .. "/" .. id, "w"):close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local first_us, last_us, cache_hits, sent_total = math.huge, 0, 0, 0
  for _, thread in ipairs(threads) do
    sent_total = sent_total + thread:get("sent")
    if thread:get("first") > 0 then first_us = math.min(first_us, thread:get("first")) end
    last_us = math.max(last_us, thread:get("last"))
    cache_hits = cache_hits + thread:get("cached")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "sent": %d, "errors": %d, "status_errors": %d, "timeouts": %d, "cache_hits": %d, ' ..
    '"span_us": %.0f, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, sent_total, e.connect + e.read + e.write + e.status + e.timeout, e.status, e.timeout,
    cache_hits, math.max(last_us - first_us, 1), latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max))
end
