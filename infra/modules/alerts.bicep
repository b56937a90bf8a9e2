// Alerts on what the app and the Functions host actually log (README "Monitoring and alerts"), an availability
// test of /api/health, and an optional e-mail action group. Without an e-mail the alerts still fire and show in
// the portal (Monitor > Alerts); they just notify nobody.
//
// The log alerts query the Log Analytics workspace: App* tables (Application Insights, workspace-based) and
// FunctionAppLogs (diagnostics.bicep). Each query first selects its events, then applies the condition, so moving
// an alert to the app's custom metrics later means replacing only the events part.

param location string
param tags object = {}

@description('Where alerts are e-mailed. Empty: no action group; alerts are only visible in the portal.')
param alertEmail string = ''

param logAnalyticsName string
param applicationInsightsName string
param functionAppName string

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' existing = {
  name: logAnalyticsName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource site 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-calltracking'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'calltrack'
    enabled: true
    emailReceivers: [
      {
        name: 'operations'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actionGroupIds = empty(alertEmail) ? [] : [actionGroup.id]

// The messages matched below are quoted from their source: the queue extension's QueueProcessor
// (Microsoft.Azure.WebJobs.Extensions.Storage.Queues 5.x), the Functions host's worker management
// (RpcFunctionInvocationDispatcher, WebHostRpcWorkerChannelManager, RpcWorkerProcess, WebJobsScriptHostService),
// and ours (CallFlow/AnswerService.cs, Forwarding/CallForwarder.cs). Worker logs reach Application Insights only
// from inside an invocation, through the host: all of ours used here are.
var logAlerts = [
  {
    name: 'alert-poison-message'
    displayName: 'CallTracking: a message moved to a poison queue'
    description: 'The Functions host gave up on a queue message after maxDequeueCount failed attempts and moved it to <queue>-poison. Nothing is lost: find the cause (sink alert, exceptions), then POST /api/ops/replay (README "Delivery ledger, retries and replay").'
    severity: 1
    windowSize: 'PT15M'
    dimension: 'Queue'
    // Host warning: "Message has reached MaxDequeueCount of 20. Moving message to queue 'calls-completed-poison'."
    query: '''
union isfuzzy=true
    (AppTraces | project TimeGenerated, Message),
    (FunctionAppLogs | project TimeGenerated, Message)
| where Message startswith "Message has reached MaxDequeueCount of"
| extend Queue = extract(@"Moving message to queue '([^']+)'", 1, Message)
'''
  }
  {
    name: 'alert-answer-fallback'
    displayName: 'CallTracking: an answer webhook got the fallback NCCO or a 5xx'
    description: 'A caller did not get the campaign\'s NCCO: the campaign lookup failed (storage or timeout) and the answer function returned the fallback NCCO, the answer function answered 5xx, or Vonage fetched /api/fallback. Look at the exceptions of the Answer function and at storage.'
    severity: 1
    windowSize: 'PT15M'
    dimension: 'Reason'
    // Ours, with the exception (so also in AppExceptions, which host.json never samples):
    // "Answering a call to {TrackingNumber} failed ({Reason}); returned the fallback NCCO".
    query: '''
union isfuzzy=true
    (AppExceptions
        | where OuterMessage contains "returned the fallback NCCO" or tostring(Properties.FormattedMessage) contains "returned the fallback NCCO"
        | project TimeGenerated, Reason = "fallback NCCO: campaign lookup failed"),
    (AppRequests
        | where Name == "Answer" and toint(ResultCode) >= 500
        | project TimeGenerated, Reason = strcat("Answer answered HTTP ", ResultCode)),
    (AppRequests
        | where Name == "Fallback"
        | project TimeGenerated, Reason = "Vonage called /api/fallback")
'''
  }
  {
    name: 'alert-sink-failing'
    displayName: 'CallTracking: a sink has been failing for 15 minutes'
    description: 'Every attempt to deliver to this sink (Mixpanel, impact.com, Segment) has failed for at least 15 minutes, with no delivery since. Calls are kept and retried (host.json: about 38 minutes before poison); check the sink\'s status and its credentials (GET /api/calls/{id}/deliveries shows the last error).'
    severity: 2
    windowSize: 'PT30M'
    dimension: 'Sink'
    // Ours: "Call {CallId} not delivered to {Sink} (attempt {Attempt}), will retry: {Error}" and
    // "Call {CallId} refused by {Sink} for good: {Error}" (failures), "Call {CallId} delivered to {Sink} (attempt {Attempt})".
    query: '''
let deliveries = AppTraces
    | where Message startswith "Call "
    | extend Sink = extract(@"^Call \S+ (?:not delivered to|refused by|delivered to) (\S+)", 1, Message)
    | where isnotempty(Sink)
    | extend Failed = Message matches regex @"^Call \S+ (?:not delivered to|refused by) "
    | project TimeGenerated, Sink, Failed;
deliveries
| summarize LastDelivery = maxif(TimeGenerated, not(Failed)) by Sink
| join kind=inner (deliveries | where Failed) on Sink
| where isnull(LastDelivery) or TimeGenerated > LastDelivery
| summarize FailingSince = min(TimeGenerated), LastFailure = max(TimeGenerated), Failures = count() by Sink
| where FailingSince <= ago(15m) and LastFailure >= ago(10m)
'''
  }
  {
    name: 'alert-worker-start'
    displayName: 'CallTracking: the .NET worker failed to start or crashed'
    description: 'The Functions host could not start the app\'s worker process, or the worker exited unexpectedly: functions do not run. Look at FunctionAppLogs and the traces around it (a failing start-up, a missing file, out of memory).'
    severity: 1
    windowSize: 'PT15M'
    dimension: ''
    // Host errors: "Failed to start a new language worker for runtime: dotnet-isolated.", "Failed to start language
    // worker process for runtime: ...", "Language Worker Process exited. Pid=...", "Exceeded language worker restart
    // retry count for runtime:...", "A host error has occurred during startup operation '...'".
    query: '''
union isfuzzy=true
    (AppTraces | project TimeGenerated, Message),
    (AppExceptions | project TimeGenerated, Message = tostring(Properties.FormattedMessage)),
    (FunctionAppLogs | project TimeGenerated, Message)
| where Message matches regex @"Failed to start (a new language worker|language worker process)|Language Worker Process exited\.|Exceeded language worker restart retry count|A host error has occurred during startup operation"
'''
  }
  {
    name: 'alert-log-daily-cap'
    displayName: 'CallTracking: Log Analytics daily cap reached'
    description: 'The workspace reached its daily cap (logAnalyticsDailyCapGb): telemetry is dropped until the daily reset, so the other log alerts cannot fire. Raise the cap (azd env set LOG_ANALYTICS_DAILY_CAP_GB) or lower the app\'s log volume.'
    severity: 2
    windowSize: 'PT15M'
    dimension: ''
    query: '''
_LogOperation
| where Category =~ "Ingestion" and Detail contains "OverQuota"
'''
  }
]

resource logAlertRules 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = [
  for alert in logAlerts: {
    name: alert.name
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: alert.displayName
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [
        workspace.id
      ]
      evaluationFrequency: 'PT5M'
      windowSize: alert.windowSize
      criteria: {
        allOf: [
          {
            query: trim(alert.query)
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            dimensions: empty(alert.dimension)
              ? []
              : [
                  {
                    name: alert.dimension
                    operator: 'Include'
                    values: [
                      '*'
                    ]
                  }
                ]
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      // Resolved by itself once the condition no longer holds.
      autoMitigate: true
      actions: {
        actionGroups: actionGroupIds
      }
    }
  }
]

// A standard test from five regions: /api/health must answer 200 with "status":"ok". The app answers 200 with
// "status":"degraded" (and the missing settings) when it runs without a secret it needs; that fails the test too.
var healthUrl = 'https://${site.properties.defaultHostName}/api/health'

resource healthTest 'Microsoft.Insights/webtests@2022-06-15' = {
  name: 'webtest-health'
  location: location
  // Ties the test to Application Insights (the portal lists it there; required by the service).
  tags: union(tags, {
    'hidden-link:${applicationInsights.id}': 'Resource'
  })
  kind: 'standard'
  properties: {
    SyntheticMonitorId: 'webtest-health'
    Name: 'CallTracking /api/health'
    Description: 'GET /api/health answers 200 with "status":"ok".'
    Enabled: true
    Kind: 'standard'
    Frequency: 300
    Timeout: 30
    RetryEnabled: true
    Locations: [
      { Id: 'us-va-ash-azr' } // East US
      { Id: 'us-ca-sjc-azr' } // West US
      { Id: 'emea-nl-ams-azr' } // West Europe
      { Id: 'emea-gb-db3-azr' } // North Europe
      { Id: 'apac-sg-sin-azr' } // Southeast Asia
    ]
    Request: {
      RequestUrl: healthUrl
      HttpVerb: 'GET'
      ParseDependentRequests: false
    }
    ValidationRules: {
      ExpectedHttpStatusCode: 200
      SSLCheck: true
      SSLCertRemainingLifetimeCheck: 7
      ContentValidation: {
        ContentMatch: '"status":"ok"'
        IgnoreCase: false
        PassIfTextFound: true
      }
    }
  }
}

resource healthAlert 'Microsoft.Insights/metricAlerts@2026-01-01' = {
  name: 'alert-health-availability'
  location: 'global'
  tags: tags
  properties: {
    description: 'GET /api/health failed (not 200, not "status":"ok", or no answer within 30 s) from at least 2 of 5 regions: the app is down or degraded (the health body names the missing settings).'
    severity: 1
    enabled: true
    scopes: [
      healthTest.id
      applicationInsights.id
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      webTestId: healthTest.id
      componentId: applicationInsights.id
      failedLocationCount: 2
    }
    autoMitigate: true
    actions: [
      for id in actionGroupIds: {
        actionGroupId: id
      }
    ]
  }
}

output actionGroupId string = empty(alertEmail) ? '' : actionGroup.id
output healthTestUrl string = healthUrl
