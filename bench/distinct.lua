-- bench/distinct.lua -- wrk script: every /impression from a new user with a
-- new session, over 5 SDK versions, 3 platforms and 4 countries; the
-- realistic case for write combining (per-user commands never merge).
--   WRK_SCRIPT=bench/distinct.lua bench/impression.sh
local n = 0
local platforms = {"ios", "android", "web"}
local countries = {"us", "de", "jp", "br"}
request = function()
  n = n + 1
  return wrk.format("GET", "/impression?sdk_version=1." .. (n % 5) .. "&session_id=s" .. n
    .. "&platform=" .. platforms[n % 3 + 1] .. "&username=u" .. n
    .. "&country_code=" .. countries[n % 4 + 1])
end
