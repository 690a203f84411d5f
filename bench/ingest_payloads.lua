-- wrk script: every request a new alert (a unique dedup key), PagerDuty Events v2 or an
-- Alertmanager webhook, chosen by the PAYLOAD environment variable.
local threads = {}
local counter = 0
local id = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  kind = os.getenv("PAYLOAD") or "pagerduty"
  key = os.getenv("KEY")
  run = os.getenv("RUN") or "r"
  id = tid
end

local pd = '{"routing_key":"%s","event_action":"trigger","dedup_key":"%s-%d-%d",' ..
  '"payload":{"summary":"CPU above 95%% on host-%d","source":"host-%d","severity":"error",' ..
  '"component":"node","group":"prod","class":"cpu","custom_details":{"value":"97.3"}}}'

local am = '{"version":"4","groupKey":"{}:{alertname=\\"HighCPU\\",n=\\"%s-%d-%d\\"}",' ..
  '"truncatedAlerts":0,"status":"firing","receiver":"tocsin","groupLabels":{"alertname":"HighCPU"},' ..
  '"commonLabels":{"alertname":"HighCPU","severity":"warning"},"commonAnnotations":{},' ..
  '"externalURL":"http://alertmanager:9093","alerts":[{"status":"firing","labels":' ..
  '{"alertname":"HighCPU","instance":"host-%d:9100","job":"node","severity":"warning"},' ..
  '"annotations":{"summary":"CPU above 95%% on host-%d"},"startsAt":"2026-11-28T10:00:00Z",' ..
  '"endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph",' ..
  '"fingerprint":"%s%08x%08x"}]}'

function request()
  counter = counter + 1
  local host = counter % 50
  if kind == "alertmanager" then
    local body = string.format(am, run, id, counter, host, host, run, id, counter)
    return wrk.format("POST", "/api/v1/ingest/alertmanager",
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
  end
  local body = string.format(pd, key, run, id, counter, host, host)
  return wrk.format("POST", "/v2/enqueue", {["Content-Type"] = "application/json"}, body)
end
