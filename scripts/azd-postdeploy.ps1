# azd postdeploy hook (Windows): prints the URLs to paste into the Vonage application and the remaining manual steps.
# azd passes the Bicep outputs as environment variables; run by hand, they are read with `azd env get-value`.
$ErrorActionPreference = 'Continue'

function Get-AzdValue([string] $Name) {
    $current = [Environment]::GetEnvironmentVariable($Name)
    if (-not $current -and (Get-Command azd -ErrorAction SilentlyContinue)) {
        $current = (azd env get-value $Name 2>$null)
    }
    return $current
}

$url = Get-AzdValue 'AZURE_FUNCTION_URL'
$app = Get-AzdValue 'AZURE_FUNCTION_NAME'
$group = Get-AzdValue 'AZURE_RESOURCE_GROUP'
$vault = Get-AzdValue 'AZURE_KEY_VAULT_NAME'
$applicationId = Get-AzdValue 'VONAGE_APPLICATION_ID'
if (-not $applicationId) { $applicationId = '<vonage-application-id>' }

if (-not $url) {
    Write-Warning "AZURE_FUNCTION_URL is not set: run 'azd provision' first."
    exit 0
}

$secrets = 'vonage-signature-secret', 'vonage-api-secret', 'vonage-private-key', 'mixpanel-token', 'impact-auth-token', 'segment-write-key'
$present = $null
if (Get-Command az -ErrorAction SilentlyContinue) {
    $present = @(az keyvault secret list --vault-name $vault --query "[].name" -o tsv 2>$null)
}

Write-Host @"

CallTracking is deployed: $url

1. Point your Vonage application at it (Voice capability). Webhooks are anonymous functions authenticated
   by Vonage's signed JWT, so no '?code=' is needed:
     Answer URL    $url/api/answer      (GET or POST)
     Event URL     $url/api/event       (POST)
     Fallback URL  $url/api/fallback    (GET or POST)
   The recording ($url/api/recording) and whisper ($url/api/whisper) URLs are put into each NCCO by the app.
   With the Vonage CLI:
     vonage apps capabilities update $applicationId voice ``
       --voice-answer-url='$url/api/answer' ``
       --voice-event-url='$url/api/event' ``
       --voice-fallback-url='$url/api/fallback'

2. Secrets live in Key Vault '$vault' and reach the app as Key Vault references:
"@

foreach ($secret in $secrets) {
    $state = ''
    if ($null -ne $present -and $present.Count -gt 0) {
        $state = if ($present -contains $secret) { '  [set]' } else { '  [missing]' }
    }
    Write-Host ('     {0,-24}{1}' -f $secret, $state)
}

Write-Host @"
   Set one (the private key from its file), then restart so the app reads it:
     az keyvault secret set --vault-name $vault --name vonage-signature-secret --value '<signature secret>'
     az keyvault secret set --vault-name $vault --name vonage-private-key --file private.key
     az functionapp restart --resource-group $group --name $app
   (or: azd env set VONAGE_SIGNATURE_SECRET '<signature secret>'; azd provision)
   The app cannot verify Vonage's signed webhooks until vonage-signature-secret is set. A missing optional
   secret turns its feature off (Mixpanel, impact.com, Segment).

3. Buy numbers and link them to the Vonage application:
     vonage numbers search US
     vonage numbers buy US <number>
     vonage apps numbers link $applicationId <number>

4. Import campaigns (admin API, function key):
     `$key = az functionapp keys list --resource-group $group --name $app --query functionKeys.default -o tsv
     curl.exe -X POST "$url/api/campaigns/import?code=`$key" -H 'Content-Type: application/json' --data '@campaigns.sample.json'

"@
