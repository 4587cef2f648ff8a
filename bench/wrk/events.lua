-- events.lua -- wrk script for `make bench`'s realistic workloads: events
-- whose SDK version, country and platform are skewed as real traffic's are,
-- from users picked by one of four modes (environment variables, since wrk
-- passes no arguments to setup):
--
--   EVENTS_MODE=distinct  every event from a new user: PREFIX1, PREFIX2, ...
--                         (per wrk thread: PREFIX<t>-1 ... for thread t > 0)
--   EVENTS_MODE=zipf      users PREFIX1 .. PREFIX<EVENTS_USERS> drawn from a
--                         Zipf distribution, exponent EVENTS_ZIPF_S (1.0):
--                         user k has probability k^-s / H(N, s)
--   EVENTS_MODE=hot       every event from the one user PREFIX (as the old
--                         single-URL benchmark, but with skewed dimensions)
--
-- With EVENTS_COUNT set, distinct mode sends exactly that many events per
-- thread, users EVENTS_FIRST .. EVENTS_FIRST+COUNT-1 (the preload and the
-- next-day replay), and ends wrk once each one is answered (run it with
-- -t1 then, and a -d long enough to be a mere bound); the connections
-- that are done meanwhile ask for /bench-done (a 404, never counted). done() prints "EVENTS,<2xx events>,<other event answers>".
--
-- A user's SDK version, country and platform are fixed by a hash of the
-- user number, so a user seen again comes from the same place; their
-- weights: 20 SDK versions and 50 countries each Zipf (s = 1) by rank, and
-- platforms android 60 %, ios 30 %, web 10 %. Sessions: a new user's first
-- event has session 1; a Zipf user's events spread over 4 sessions.
-- All tables are built once per thread, so a request costs a few lookups
-- and, for zipf, a draw of a few log/exp calls (zipf_draw).

local mode = os.getenv("EVENTS_MODE") or "distinct"
local path = os.getenv("EVENTS_PATH") or "/impression"
local prefix = os.getenv("EVENTS_PREFIX") or "u"
local users = tonumber(os.getenv("EVENTS_USERS") or "1000000")
local zipf_s = tonumber(os.getenv("EVENTS_ZIPF_S") or "1.0")
local count = tonumber(os.getenv("EVENTS_COUNT") or "")
local first = tonumber(os.getenv("EVENTS_FIRST") or "1")

-- ---- skewed dimension values -------------------------------------------
local sdks = {}
for i = 0, 19 do sdks[#sdks + 1] = "4." .. (19 - i) .. ".0" end  -- newest first
local countries = {"US", "IN", "BR", "ID", "GB", "DE", "FR", "MX", "JP", "RU",
  "TR", "PH", "VN", "IT", "ES", "KR", "CA", "TH", "EG", "PK", "NG", "AR", "PL", "CO",
  "SA", "AU", "MY", "ZA", "UA", "NL", "BD", "IR", "CL", "PE", "RO", "SE", "BE", "CZ",
  "PT", "GR", "HU", "AT", "CH", "IL", "DK", "FI", "NO", "IE", "NZ", "SG"}
local platforms = {"android", "ios", "web"}

local SLOTS = 4096
-- slots(values, weights) -> table of SLOTS values, each value in
-- proportion to its weight: a uniform slot index draws one.
local function slots(values, weights)
  local total, out, acc, v = 0, {}, 0, 1
  for i = 1, #weights do total = total + weights[i] end
  for s = 1, SLOTS do
    while v < #values and (acc + weights[v]) / total * SLOTS < s - 0.5 do
      acc = acc + weights[v]; v = v + 1
    end
    out[s] = values[v]
  end
  return out
end
local function zipf_weights(n, s)
  local w = {}
  for k = 1, n do w[k] = k ^ -s end
  return w
end
local sdk_slot = slots(sdks, zipf_weights(#sdks, 1.0))
local country_slot = slots(countries, zipf_weights(#countries, 1.0))
local platform_slot = slots(platforms, {60, 30, 10})

-- slot(u, mult) -> 1..SLOTS, a hash of user number u (exact in doubles).
local function slot(u, mult)
  return math.floor((u * mult) % 4294967296 / 1048576) + 1
end

local function event(u, name, session)
  return wrk.format("GET", path .. "?sdk_version=" .. sdk_slot[slot(u, 2654435761)]
    .. "&session_id=" .. session .. "&platform=" .. platform_slot[slot(u, 2246822519)]
    .. "&username=" .. name .. "&country_code=" .. country_slot[slot(u, 3266489917)])
end

-- ---- Zipf over users: rejection-inversion --------------------------------
-- Hörmann and Derflinger's rejection-inversion ("Rejection-inversion to
-- generate variates from monotone discrete distributions", ACM TOMACS 6(3),
-- 1996): invert the integral H of the density h(x) = x^-s at a uniform
-- point, round to the nearest integer k, and keep k unless it falls outside
-- the area that h(k) stands for (about one draw in 500 retries). A
-- draw costs a few log/exp calls whatever the number of users, and needs no
-- table, so wrk spends the same per request at 1,000 users as at 1,000,000
-- and its cache holds nothing the size of the user base. (A binary search
-- over the cumulative distribution cost wrk a fifth of its rate at
-- 1,000,000 users, more than at 1,000: the growth check charged it to
-- adstats.)
local log, exp, floor = math.log, math.exp, math.floor
local function log1p_over(x) -- log(1 + x) / x, also near x = 0
  if math.abs(x) > 1e-8 then return log(1 + x) / x end
  return 1 - x / 2 + x * x / 3
end
local function expm1_over(x) -- (exp(x) - 1) / x, also near x = 0
  if math.abs(x) > 1e-8 then return (exp(x) - 1) / x end
  return 1 + x / 2 + x * x / 6
end
local function zipf_H(x) -- the integral of h from 1 to x, for every s > 0
  local l = log(x)
  return expm1_over((1 - zipf_s) * l) * l
end
local function zipf_H_inv(y)
  return exp(log1p_over((1 - zipf_s) * y) * y)
end
local function zipf_h(x) return exp(-zipf_s * log(x)) end
local zipf_lo, zipf_hi, zipf_squeeze
local function zipf_setup()
  zipf_lo = zipf_H(1.5) - 1
  zipf_hi = zipf_H(users + 0.5)
  zipf_squeeze = 2 - zipf_H_inv(zipf_H(2.5) - zipf_h(2))
end
local function zipf_draw()
  while true do
    local y = zipf_hi + math.random() * (zipf_lo - zipf_hi)
    local x = zipf_H_inv(y)
    local k = floor(x + 0.5)
    if k < 1 then k = 1 elseif k > users then k = users end
    if k - x <= zipf_squeeze or y >= zipf_H(k + 0.5) - zipf_h(k) then return k end
  end
end

-- ---- wrk hooks ----------------------------------------------------------
local threads, next_id = {}, 0
setup = function(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  threads[#threads + 1] = thread
end

local n = 0
ok, failed = 0, 0  -- globals: done() reads them with thread:get()
local thread_prefix
init = function(args)
  math.randomseed(1000 + (tid or 0))
  thread_prefix = (tid or 0) == 0 and prefix or (prefix .. tid .. "-")
  if mode == "zipf" then zipf_setup() end
end

local verified = false
request = function()
  if not verified and (tid or 0) == 0 then
    -- wrk calls thread 0's request() once to check what it returns, and
    -- never sends that request: no user may be spent on it.
    verified = true
    return wrk.format("GET", "/bench-done")
  end
  if mode == "zipf" then
    local k = zipf_draw()
    return event(k, prefix .. k, "s" .. k .. "-" .. math.random(4))
  elseif mode == "hot" then
    return event(math.random(1, 4294967295), prefix, "s1")
  end
  if count and n >= count then return wrk.format("GET", "/bench-done") end
  local u = first + n
  n = n + 1
  return event(u, thread_prefix .. u, "s" .. u)
end

if count then
  response = function(status, headers, body)
    if status == 404 then return end  -- a /bench-done probe (events never 404)
    if status >= 200 and status < 300 then ok = ok + 1 else failed = failed + 1 end
    if ok + failed == count then
      -- wrk would wait out its -d duration: interrupt it, as ^C does (it
      -- then ends as at the end of the duration, its rate over the time it
      -- ran). The signal may land on this thread, which then stops, while
      -- the main thread sleeps on: so repeat it until wrk is gone. In the
      -- background, and not by os.execute, whose system() ignores SIGINT.
      local stat = io.open("/proc/self/stat")
      local pid = stat:read("*n")
      stat:close()
      io.popen("(while kill -INT " .. pid .. "; do sleep 0.05; done) >/dev/null 2>&1 &"):close()
    end
  end

  done = function(summary, latency, requests)
    local o, f = 0, 0
    for _, t in ipairs(threads) do
      o = o + (t:get("ok") or 0); f = f + (t:get("failed") or 0)
    end
    io.write(string.format("EVENTS,%d,%d\n", o, f))
  end
end
