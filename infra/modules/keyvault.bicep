// Key Vault (RBAC authorisation, no access policies) holding the third-party credentials the app uses.
// A secret is written only when its value is given: re-running `azd provision` without a value never
// overwrites a secret that was set directly in the vault (`az keyvault secret set`).

param name string
param location string
param tags object = {}

@description('Names of the secrets this deployment may write.')
param secretNames string[]

@description('Secret name -> value. Empty values are skipped (the secret is left as it is, or absent).')
@secure()
param secretValues object

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource secrets 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = [
  for secretName in secretNames: if (!empty(secretValues[?secretName] ?? '')) {
    parent: vault
    name: secretName
    properties: {
      value: secretValues[secretName]
      contentType: 'text/plain'
    }
  }
]

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
