-- spread.lua -- /impression for many users and SDK versions, so that the
-- keys spread over the shards as real traffic's do: user u<n mod USERS>,
-- SDK version 1.<n mod SDKS>, in turn. Summary as report.lua's STATS line.
dofile("bench/wrk/report.lua")

local users, sdks = 10000, 20
local n = 0

request = function()
  n = n + 1
  return wrk.format("GET", string.format(
    "/impression?sdk_version=1.%d&session_id=s1&platform=ios&username=u%d&country_code=US",
    n % sdks, n % users))
end
