-- wrk script: replay pre-signed Twilio webhook requests (bench/ingestkit/corpus.py).
-- BENCH_CORPUS: the corpus file (signature<TAB>body per line); each wrk thread takes every
-- n-th line so no MessageSid is sent twice. BENCH_OUT: where done() writes the JSON summary.
-- The reference code in each 200 reply is kept, so the bench can check every accepted
-- message against the database afterwards.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local n = tonumber(os.getenv("BENCH_THREADS"))
  requests, refs, statuses, sent, wrapped = {}, {}, {}, 0, 0
  local i = 0
  for line in io.lines(os.getenv("BENCH_CORPUS")) do
    if i % n == id then
      local signature, body = line:match("^([^\t]*)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", nil, {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
      }, body)
    end
    i = i + 1
  end
end

function request()
  sent = sent + 1
  if sent > #requests then wrapped = wrapped + 1 end
  return requests[(sent - 1) % #requests + 1]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status == 200 then
    local ref = body:match("Ref (%w+)")
    if ref then refs[#refs + 1] = ref end
  end
end

local function json_list(items)
  local quoted = {}
  for i, item in ipairs(items) do quoted[i] = '"' .. item .. '"' end
  return "[" .. table.concat(quoted, ",") .. "]"
end

function done(summary, latency, _)
  local all_refs, status_parts, totals, wraps = {}, {}, {}, 0
  for _, thread in ipairs(threads) do
    for _, ref in ipairs(thread:get("refs")) do all_refs[#all_refs + 1] = ref end
    for status, count in pairs(thread:get("statuses")) do totals[status] = (totals[status] or 0) + count end
    wraps = wraps + thread:get("wrapped")
  end
  for status, count in pairs(totals) do status_parts[#status_parts + 1] = '"' .. status .. '":' .. count end
  local e = summary.errors
  local out = io.open(os.getenv("BENCH_OUT"), "w")
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},"statuses":{%s},"wrapped":%d,"refs":%s}',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    table.concat(status_parts, ","), wraps, json_list(all_refs)))
  out:close()
end
