// CallTracking on Azure: `azd up` provisions this, then deploys CallTracking.Functions to it.
// Local modules only (no registry modules), so `bicep build` and `bicep lint` run offline in CI.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds every resource name.')
param environmentName string

@minLength(1)
@description('Region for every resource. Flex Consumption is offered in these regions.')
@allowed([
  'australiaeast'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'northcentralus'
  'northeurope'
  'southcentralus'
  'southeastasia'
  'swedencentral'
  'uksouth'
  'westcentralus'
  'westeurope'
  'westus2'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID). Gets storage data roles and may manage Key Vault secrets. Empty: no user roles.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

// ---- Plain app settings (CallTracking__*, Vonage__*, Enrichment__*, Impact__*, Mixpanel__*) ----

@description('Number callers of unknown numbers or inactive campaigns are connected to (any format). Empty: none.')
param fallbackNumber string = ''

@description('What callers of an unknown number hear.')
@minLength(1)
param unknownNumberMessage string = 'Sorry, this number is not in service. Goodbye.'

@description('Seconds the answer path caches a campaign.')
@minValue(0)
@maxValue(3600)
param campaignCacheSeconds int = 30

@description('ISO 3166 alpha-2 region assumed for numbers written in national form.')
@minLength(2)
@maxLength(2)
param defaultCountry string = 'US'

@description('Seconds a finished call waits before processing, so the recording webhook can arrive first.')
@minValue(0)
@maxValue(600)
param processingDelaySeconds int = 15

@description('Days calls, raw events, per-call report rows, deliveries, caller profiles and recordings are kept (the daily purge and the Blob lifecycle rule on container recordings). Campaign aggregates stay.')
@minValue(1)
@maxValue(36500)
param retentionDays int = 395

@description('Vonage API key (not a secret on its own). Empty: not set.')
param vonageApiKey string = ''

@description('Vonage application id (the application whose answer/event/fallback URLs point here). Empty: not set.')
param vonageApplicationId string = ''

@description('Caller enrichment provider.')
@allowed([
  'Offline'
  'NumberInsightAdvanced'
  'IdentityInsights'
])
param enrichmentProvider string = 'Offline'

@description('impact.com account SID (appears in API URLs; the auth token is the secret). Empty: not set.')
param impactAccountSid string = ''

@description('Mixpanel API host, e.g. https://api-eu.mixpanel.com for EU data residency. Empty: the app default.')
param mixpanelApiBaseUrl string = ''

@description('Outgoing callbacks: the https URL that receives every finished call, signed with webhooksSecret. Empty: only campaigns with their own callbackUrl get callbacks.')
param webhooksUrl string = ''

// ---- Scale (Flex Consumption) ----

@description('Most instances the app scales out to. Flex Consumption accepts 40 to 1000.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory of each instance, MB (Flex Consumption sizes; CPU grows with it).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Instances kept warm for the HTTP functions (billed while idle). 0: scale from zero; 1 suits production, see README.')
@minValue(0)
@maxValue(40)
param alwaysReadyHttpInstances int = 0

// ---- Monitoring ----

@description('E-mail address alerts are sent to. Empty: no action group; alerts still fire and show in the portal.')
param alertEmail string = ''

@description('Daily ingestion cap of the Log Analytics workspace (Application Insights included), GB. Past it, telemetry is dropped until the next day.')
@minValue(1)
@maxValue(1000)
param logAnalyticsDailyCapGb int = 1

// ---- Secrets: stored in Key Vault, referenced from app settings ----

// Required, no default: the app refuses to start without it (it verifies every Vonage webhook), so azd prompts
// for it rather than deploying an app that cannot start.
@secure()
@minLength(1)
@description('Vonage signature secret (Dashboard > API settings; verifies signed webhooks). Written to Key Vault on every provision.')
param vonageSignatureSecret string

// Optional secrets. Empty: the secret is not written (a value set in the vault directly is kept).

@secure()
@description('Vonage API secret.')
param vonageApiSecret string = ''

@secure()
@description('Vonage application private key (PEM).')
param vonagePrivateKey string = ''

@secure()
@description('Mixpanel project token.')
param mixpanelToken string = ''

@secure()
@description('impact.com auth token.')
param impactAuthToken string = ''

@secure()
@description('Segment write key.')
param segmentWriteKey string = ''

@secure()
@description('HMAC-SHA256 key that signs outgoing callbacks (X-CallTracking-Signature), at least 16 characters.')
param webhooksSecret string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
// Names are computed here, not read from module outputs, so what-if sees every resource up front.
var functionAppName = '${abbrs.webSitesFunctions}api-${resourceToken}'
var identityName = '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
var storageAccountName = '${abbrs.storageStorageAccounts}${resourceToken}'
var keyVaultName = '${abbrs.keyVaultVaults}${resourceToken}'
var applicationInsightsName = '${abbrs.insightsComponents}${resourceToken}'
var logAnalyticsName = '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'

// App setting -> Key Vault secret name. The app reads the setting; the platform resolves the reference.
var keyVaultSecretNames = {
  Vonage__SignatureSecret: 'vonage-signature-secret'
  Vonage__ApiSecret: 'vonage-api-secret'
  Vonage__PrivateKey: 'vonage-private-key'
  Mixpanel__Token: 'mixpanel-token'
  Impact__AuthToken: 'impact-auth-token'
  Segment__WriteKey: 'segment-write-key'
  Webhooks__Secret: 'webhooks-secret'
}

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: identityName
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: logAnalyticsName
    applicationInsightsName: applicationInsightsName
    location: location
    tags: tags
    dailyCapGb: logAnalyticsDailyCapGb
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    retentionDays: retentionDays
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    secretNames: map(items(keyVaultSecretNames), secret => secret.value)
    secretValues: {
      '${keyVaultSecretNames.Vonage__SignatureSecret}': vonageSignatureSecret
      '${keyVaultSecretNames.Vonage__ApiSecret}': vonageApiSecret
      '${keyVaultSecretNames.Vonage__PrivateKey}': vonagePrivateKey
      '${keyVaultSecretNames.Mixpanel__Token}': mixpanelToken
      '${keyVaultSecretNames.Impact__AuthToken}': impactAuthToken
      '${keyVaultSecretNames.Segment__WriteKey}': segmentWriteKey
      '${keyVaultSecretNames.Webhooks__Secret}': webhooksSecret
    }
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  dependsOn: [
    identity
    storage
    monitoring
    keyVault
  ]
  params: {
    storageAccountName: storageAccountName
    applicationInsightsName: applicationInsightsName
    keyVaultName: keyVaultName
    identityName: identityName
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

module api 'modules/functionapp.bicep' = {
  name: 'api'
  scope: rg
  // The app must be able to read storage, Key Vault and write telemetry from its first start.
  dependsOn: [
    rbac
    identity
    storage
    monitoring
  ]
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    serviceName: 'api'
    storageAccountName: storageAccountName
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: applicationInsightsName
    identityName: identityName
    keyVaultUri: keyVault.outputs.uri
    keyVaultSecretNames: keyVaultSecretNames
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    settings: {
      CallTracking__FallbackNumber: fallbackNumber
      CallTracking__UnknownNumberMessage: unknownNumberMessage
      CallTracking__CampaignCacheSeconds: string(campaignCacheSeconds)
      CallTracking__DefaultCountry: toUpper(defaultCountry)
      CallTracking__ProcessingDelaySeconds: string(processingDelaySeconds)
      CallTracking__RetentionDays: string(retentionDays)
      // Production always verifies Vonage's signed webhooks.
      Vonage__VerifySignatures: 'true'
      Vonage__ApiKey: vonageApiKey
      Vonage__ApplicationId: vonageApplicationId
      Enrichment__Provider: enrichmentProvider
      Impact__AccountSid: impactAccountSid
      Mixpanel__ApiBaseUrl: mixpanelApiBaseUrl
      Webhooks__Url: webhooksUrl
    }
  }
}

module diagnostics 'modules/diagnostics.bicep' = {
  name: 'diagnostics'
  scope: rg
  dependsOn: [
    api
    keyVault
    monitoring
  ]
  params: {
    functionAppName: functionAppName
    keyVaultName: keyVaultName
    logAnalyticsName: logAnalyticsName
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  // Deployed after what they watch: the poison and worker alerts also read FunctionAppLogs, which diagnostics fills.
  dependsOn: [
    api
    monitoring
    diagnostics
  ]
  params: {
    location: location
    tags: tags
    alertEmail: alertEmail
    logAnalyticsName: logAnalyticsName
    applicationInsightsName: applicationInsightsName
    functionAppName: functionAppName
  }
}

// Outputs become azd environment values (.azure/<env>/.env), read by the postdeploy hook.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output AZURE_FUNCTION_URL string = api.outputs.url
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
// The static website (its $web container) serves fallback-ncco.json, Vonage's fallback answer URL.
output AZURE_STORAGE_WEB_ENDPOINT string = storage.outputs.webEndpoint
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output SERVICE_API_NAME string = api.outputs.name
