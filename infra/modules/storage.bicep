// The app's storage account: the Functions host (blob leases, queue trigger), the deployment package
// (blob container), and the app's own tables and queues. Reached only through Entra ID (managed identity):
// shared keys are disabled, so there is no connection string to leak.

param name string
param location string
param tags object = {}

@description('Blob container Flex Consumption deploys the app package to.')
param deploymentContainerName string

@description('Days archived call recordings (container recordings) are kept; the app purges its tables by the same number.')
@minValue(1)
param retentionDays int

resource storage 'Microsoft.Storage/storageAccounts@2025-08-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    dnsEndpointType: 'Standard'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobs 'blobServices' = {
    name: 'default'
    properties: {
      // Static website hosting (container $web, endpoint primaryEndpoints.web) serves Vonage's fallback answer
      // NCCO (fallback-ncco.json, uploaded by the postdeploy hook), so a caller is still answered when the
      // function app is down. Files there are served anonymously, read-only (GET/HEAD), whatever
      // allowBlobPublicAccess says. ARM takes this property from API version 2025-08-01 (2025-06-01 and older
      // lack it: it was a data-plane setting only). No index document: only the file itself is served.
      staticWebsite: {
        enabled: true
      }
    }

    resource deployment 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }

    // Archived call recordings (campaign/yyyy/MM/call.ext), read only through short-lived user-delegation SAS links.
    resource recordings 'containers' = {
      name: 'recordings'
      properties: {
        publicAccess: 'None'
      }
    }
  }

  // Recordings are deleted by age here, as the app's daily purge deletes the calls they belong to.
  resource lifecycle 'managementPolicies' = {
    name: 'default'
    properties: {
      policy: {
        rules: [
          {
            name: 'recordings-retention'
            enabled: true
            type: 'Lifecycle'
            definition: {
              filters: {
                blobTypes: [
                  'blockBlob'
                ]
                prefixMatch: [
                  'recordings/'
                ]
              }
              actions: {
                baseBlob: {
                  delete: {
                    daysAfterCreationGreaterThan: retentionDays
                  }
                }
              }
            }
          }
        ]
      }
    }
  }

  // Queues (calls-completed and its poison queue) and tables (campaigns, calls, ledgers, aggregates) are
  // created by the app at start-up; the services are declared so the account is clearly used for both.
  resource queues 'queueServices' = {
    name: 'default'
  }

  resource tables 'tableServices' = {
    name: 'default'
  }
}

output name string = storage.name
output id string = storage.id
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
output webEndpoint string = storage.properties.primaryEndpoints.web
