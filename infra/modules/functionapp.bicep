// The Function app on Flex Consumption (FC1, Linux, .NET 10 isolated worker) and its app settings.
// Storage, Application Insights and Key Vault are all reached with the user-assigned managed identity.

param name string
param planName string
param location string
param tags object = {}

@description('The azure.yaml service this app hosts (azd finds the app by this tag).')
param serviceName string = 'api'

param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string

@description('Name of the user-assigned managed identity the app runs as.')
param identityName string

@description('Key Vault URI, with its trailing slash (https://<vault>.vault.azure.net/).')
param keyVaultUri string

@description('App setting name -> Key Vault secret name; each becomes a Key Vault reference.')
param keyVaultSecretNames object

@description('Plain app settings (name -> value). Empty values are left out, so the app keeps its defaults.')
param settings object = {}

@description('Memory of each instance, MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Most instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Always-ready instances for the HTTP functions (the "http" group); 0 for none.')
@minValue(0)
@maxValue(40)
param alwaysReadyHttpInstances int = 0

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
}

resource storage 'Microsoft.Storage/storageAccounts@2025-08-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references in app settings resolve with the app's user-assigned identity.
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        // 0: scale from zero, nothing billed while no call comes in. N > 0: N instances stay warm for every HTTP
        // function (answer, event, fallback...), so no caller waits on a cold start. An explicit empty list, not
        // an omitted one, so lowering the parameter to 0 also removes instances set before.
        alwaysReady: alwaysReadyHttpInstances > 0
          ? [
              {
                name: 'http'
                instanceCount: alwaysReadyHttpInstances
              }
            ]
          : []
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }

  // Publishing with user name and password is off; azd deploys with Entra ID.
  resource ftp 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }

  resource scm 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }

  // Everything the app reads. FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION are not set:
  // Flex Consumption takes the runtime from functionAppConfig and rejects those settings.
  resource appSettings 'config' = {
    name: 'appsettings'
    properties: union(
      {
        // Identity-based AzureWebJobsStorage connection (host and app): no account key anywhere.
        AzureWebJobsStorage__credential: 'managedidentity'
        AzureWebJobsStorage__clientId: identity.properties.clientId
        AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
        AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
        AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
        APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
        // Absolute callback URLs in NCCOs (recording, event, whisper) point back at this app.
        CallTracking__PublicBaseUrl: 'https://${site.properties.defaultHostName}'
        // The host refuses larger request bodies (413) before buffering them for the worker: the app's largest
        // per-function limit, a campaign import of 4 MiB (RequestBodyLimits.Largest). Default: 100 MB.
        FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '4194304'
      },
      toObject(filter(items(settings), setting => !empty(setting.value)), setting => setting.key, setting => setting.value),
      toObject(
        items(keyVaultSecretNames),
        secret => secret.key,
        secret => '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${secret.value}/)'
      )
    )
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output url string = 'https://${site.properties.defaultHostName}'
