// Log Analytics workspace + workspace-based Application Insights with local (key) authentication disabled:
// telemetry is accepted only from Entra-authenticated senders (the app's managed identity, see rbac.bicep).

param logAnalyticsName string
param applicationInsightsName string
param location string
param tags object = {}

@description('Days Log Analytics keeps data (30 is included in the ingestion price).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Most GB the workspace ingests per day (Application Insights included); past it, ingestion stops until the next day.')
@minValue(1)
@maxValue(1000)
param dailyCapGb int = 1

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    workspaceCapping: {
      dailyQuotaGb: dailyCapGb
    }
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
    // Ingestion sampling stays at 100%: sampling happens in the app (host.json samplingSettings, adaptive,
    // requests and exceptions excluded), so every call's request and failure is kept while traces are thinned.
    SamplingPercentage: 100
    IngestionMode: 'LogAnalytics'
  }
}

output applicationInsightsName string = applicationInsights.name
output applicationInsightsId string = applicationInsights.id
output logAnalyticsName string = workspace.name
output logAnalyticsId string = workspace.id
