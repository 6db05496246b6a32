-- wrk script for `make bench` (bench/wrk.py).
-- Environment: BENCH_METHOD (GET or POST), BENCH_BODY (a file whose contents are
-- the JSON body, POST only), BENCH_TOKEN (a bearer token, optional).
-- Each answer is checked: a status other than 2xx, or an overview whose body
-- says a decision or a source did not answer in time, is counted as "partial".
-- At the end one line `BENCH {json}` carries the counts and the latency
-- percentiles in microseconds, for bench/wrk.py to read.

local threads = {}

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
local body_file = os.getenv("BENCH_BODY")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
end

-- What an overview says when something did not answer (fail closed: a 200 that
-- withholds). A decision answer never carries them when all went well either.
local unanswered = {
  '"code"%s*:%s*"engine_error"',
  '"code"%s*:%s*"missing_fact"',
  '"code"%s*:%s*"disclosure_not_recorded"',
  '"status"%s*:%s*"timeout"',
  '"status"%s*:%s*"error"',
}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  partial = 0
  bad_status = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad_status = bad_status + 1
    return
  end
  for _, pattern in ipairs(unanswered) do
    if body and string.find(body, pattern) then
      partial = partial + 1
      return
    end
  end
end

function done(summary, latency, requests)
  local total_partial, total_bad = 0, 0
  for _, thread in ipairs(threads) do
    total_partial = total_partial + (thread:get("partial") or 0)
    total_bad = total_bad + (thread:get("bad_status") or 0)
  end
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bad_status": %d, "partial": %d, '
      .. '"timeouts": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, total_bad, total_partial,
    summary.errors.timeout, summary.errors.connect, summary.errors.read, summary.errors.write,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
