-- The requests of the HTTP benchmark (tests/benchmarks/bench_http.py), for wrk.
--
-- Set by the benchmark through the environment:
--   BENCH_MODE      "get" (rotate through BENCH_PATHS), "filing" (POST the contact form) or
--                   "mixed" (each thread's every BENCH_FILING_EVERY-th request a filing, the
--                   others GETs of BENCH_PATHS)
--   BENCH_PATHS     the paths to GET, one a line
--   BENCH_COOKIE    the Cookie header (a signed-in session)
--   BENCH_AGENT     the User-Agent the session was signed in with
--   BENCH_FORM      the contact form's multipart body, "@N@" standing for each request's
--                   number (in its idempotency key and subject) (filing)
--   BENCH_BOUNDARY  the body's multipart boundary (filing)
--   BENCH_EXPECTED  the status every response must have (200, or 303 for a filing; in "mixed"
--                   mode either, and the filings' 303s are counted apart, with the POSTs sent)
--
-- Each response's status is counted as expected or not, and the totals are printed on one
-- "BENCH" line at the end: wrk's own count tells 2xx/3xx from the rest only, and a 302 to the
-- sign-in page is a 3xx.

local mode = os.getenv("BENCH_MODE")
local expected_status = tonumber(os.getenv("BENCH_EXPECTED"))
local filing_every = tonumber(os.getenv("BENCH_FILING_EVERY") or "4")
local cookie = os.getenv("BENCH_COOKIE") or ""
local agent = os.getenv("BENCH_AGENT")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

local paths = {}
for path in string.gmatch(os.getenv("BENCH_PATHS") or "", "[^\n]+") do
  table.insert(paths, path)
end

-- The contact form (http_load.contact_form), with "@N@" where each request puts its number.
local form = os.getenv("BENCH_FORM") or ""
local form_headers = {
  ["Cookie"] = cookie,
  ["User-Agent"] = agent,
  ["Content-Type"] = "multipart/form-data; boundary=" .. (os.getenv("BENCH_BOUNDARY") or ""),
}
local get_headers = { ["Cookie"] = cookie, ["User-Agent"] = agent }

local function filing(n)
  return (string.gsub(form, "@N@", n))
end

function init(args)
  sent = 0
  expected_seen = 0
  unexpected_seen = 0
  first_unexpected = 0
  posted = 0
  redirected = 0
end

function request()
  sent = sent + 1
  if mode == "filing" or (mode == "mixed" and sent % filing_every == 0) then
    posted = posted + 1
    local n = string.format("%02d%010d", thread_id, sent)
    return wrk.format("POST", "/contact", form_headers, filing(n))
  end
  -- Each thread starts at its own place in the list, so that the threads do not move in step.
  local path = paths[((thread_id * 37 + sent) % #paths) + 1]
  return wrk.format("GET", path, get_headers, nil)
end

function response(status, headers, body)
  if mode == "mixed" and status == 303 then
    redirected = redirected + 1
  end
  if status == expected_status or (mode == "mixed" and (status == 200 or status == 303)) then
    expected_seen = expected_seen + 1
  else
    unexpected_seen = unexpected_seen + 1
    if first_unexpected == 0 then
      first_unexpected = status
    end
  end
end

function done(summary, latency, requests)
  local good, bad, first, posts, redirects = 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    good = good + thread:get("expected_seen")
    bad = bad + thread:get("unexpected_seen")
    posts = posts + thread:get("posted")
    redirects = redirects + thread:get("redirected")
    if first == 0 then
      first = thread:get("first_unexpected")
    end
  end
  io.write(string.format(
    "BENCH expected=%d unexpected=%d first_unexpected=%d posted=%d redirected=%d\n",
    good, bad, first, posts, redirects
  ))
end
