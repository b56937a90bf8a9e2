// Diagnostic settings: the function app's platform logs and Key Vault's audit events go to Log Analytics, into
// resource-specific tables (FunctionAppLogs, AZKVAuditLogs). FunctionAppLogs is not sampled, unlike the app's
// Application Insights traces, so the alerts that match host messages read it too.

param functionAppName string
param keyVaultName string
param logAnalyticsName string

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' existing = {
  name: logAnalyticsName
}

resource site 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' existing = {
  name: keyVaultName
}

// 2021-05-01-preview is the newest version of this type, and the first with categoryGroup and the dedicated
// tables; the linter's suggestion, 2016-09-01, is the legacy per-service setting of another shape.
#disable-next-line use-recent-api-versions
resource functionAppLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: site
  properties: {
    workspaceId: workspace.id
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        // Whatever categories the site offers (FunctionAppLogs on a function app), without naming them.
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}

#disable-next-line use-recent-api-versions
resource keyVaultAudit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspace.id
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        // Every access to the vault (AuditEvent): who read or changed which secret, and who was refused.
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}
