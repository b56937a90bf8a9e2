# azd postdeploy hook (Windows): publishes Vonage's fallback answer NCCO as a static file, then prints the URLs to
# paste into the Vonage application and the remaining manual steps.
# azd passes the Bicep outputs as environment variables; run by hand, they are read with `azd env get-value`.
$ErrorActionPreference = 'Continue'

function Get-AzdValue([string] $Name) {
    $current = [Environment]::GetEnvironmentVariable($Name)
    if (-not $current -and (Get-Command azd -ErrorAction SilentlyContinue)) {
        $current = (azd env get-value $Name 2>$null)
    }
    return $current
}

# Windows twin of scripts/fallback-ncco (bash, the reference, tested against the app by
# CallTracking.IntegrationTests/Deployment/FallbackNccoFileTests): same texts, same rules, same NCCO. Change both together.
# Returns the NCCO's JSON, or throws when the number is not in international form.
function New-FallbackNcco([string] $BaseUrl, [string] $Number) {
    $eventUrl = $BaseUrl.TrimEnd('/') + '/api/event'
    if (-not $Number) {
        $ncco = @([ordered]@{ action = 'talk'; text = 'Sorry, we cannot take your call right now. Please try again later.' })
    }
    else {
        if ($Number.Contains('(0)')) { throw "'$Number': drop the '(0)' (write the number as +<country code><number>)" }
        $digits = $Number -replace '[\s().\/-]', ''
        if ($digits.StartsWith('+')) { $digits = $digits.Substring(1) }
        elseif ($digits.StartsWith('00')) { $digits = $digits.Substring(2) }
        else { throw "'$Number' is not in international form (+<country code><number>): only the app can read national numbers" }
        if ($digits -notmatch '^[1-9][0-9]{6,14}$') { throw "'$Number' is not a phone number (E.164: 7 to 15 digits)" }
        # No "from": the static file cannot know which tracking number was called; the app leaves it out too then.
        $ncco = @(
            [ordered]@{ action = 'talk'; text = 'Please hold while we connect your call.' },
            [ordered]@{
                action = 'connect'
                timeout = 30
                eventUrl = @($eventUrl)
                endpoint = @([ordered]@{ type = 'phone'; number = $digits })
            }
        )
    }
    return (ConvertTo-Json -InputObject $ncco -Depth 10 -Compress)
}

$url = Get-AzdValue 'AZURE_FUNCTION_URL'
$app = Get-AzdValue 'AZURE_FUNCTION_NAME'
$group = Get-AzdValue 'AZURE_RESOURCE_GROUP'
$vault = Get-AzdValue 'AZURE_KEY_VAULT_NAME'
$account = Get-AzdValue 'AZURE_STORAGE_ACCOUNT_NAME'
$web = Get-AzdValue 'AZURE_STORAGE_WEB_ENDPOINT'
$fallbackNumber = Get-AzdValue 'CALLTRACKING_FALLBACK_NUMBER'
$applicationId = Get-AzdValue 'VONAGE_APPLICATION_ID'
if (-not $applicationId) { $applicationId = '<vonage-application-id>' }
$retrySeconds = 10
if ($env:FALLBACK_UPLOAD_RETRY_SECONDS) { $retrySeconds = [int]$env:FALLBACK_UPLOAD_RETRY_SECONDS }

if (-not $url) {
    Write-Warning "AZURE_FUNCTION_URL is not set: run 'azd provision' first."
    exit 0
}

# ---- The fallback answer NCCO, served by the storage account's static website ----
# Vonage fetches fallback_answer_url when the answer URL failed twice. Pointing it at the app itself (/api/fallback)
# fails exactly when it is needed (app down, cold start, deployment). A static file in storage does not depend on the app.
$blob = 'fallback-ncco.json'
$webBase = if ($web) { $web } else { 'https://<storage account>.<zone>.web.core.windows.net/' }
$fallbackUrl = $webBase.TrimEnd('/') + '/' + $blob
try {
    $ncco = New-FallbackNcco $url $fallbackNumber
}
catch {
    Write-Warning "$($_.Exception.Message)"
    Write-Warning ("The static fallback only apologises: set CALLTRACKING_FALLBACK_NUMBER in international form " +
        "(azd env set CALLTRACKING_FALLBACK_NUMBER '+<country code><number>'), then run 'azd provision' and this hook again ('azd hooks run postdeploy').")
    $fallbackNumber = ''
    $ncco = New-FallbackNcco $url ''
}
$nccoFile = New-TemporaryFile
# UTF-8 without a byte order mark: Vonage parses the file as JSON.
[IO.File]::WriteAllText($nccoFile.FullName, $ncco, (New-Object System.Text.UTF8Encoding($false)))

$published = $false
if (-not $account -or -not $web) {
    Write-Warning "AZURE_STORAGE_ACCOUNT_NAME / AZURE_STORAGE_WEB_ENDPOINT are not set: run 'azd provision' to publish the fallback."
}
elseif (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Write-Warning 'The Azure CLI (az) is not installed: the fallback NCCO was not published.'
}
else {
    # Blob data-plane calls with Entra ID (--auth-mode login): the account has shared keys disabled. The deploying
    # user holds Storage Blob Data Owner; a role assigned by this very provision can take minutes to apply: retries.
    for ($attempt = 1; $attempt -le 6; $attempt++) {
        az storage blob upload --auth-mode login --account-name $account --container-name '$web' --name $blob `
            --file $nccoFile.FullName --content-type application/json --overwrite --only-show-errors | Out-Null
        if ($LASTEXITCODE -eq 0) { $published = $true; break }
        if ($attempt -eq 6) { break }
        if ($attempt -eq 1) {
            # Bicep enables the static website (API 2025-08-01), which creates $web; should that not have taken
            # effect, switch it on through the data plane, the only way before that API version.
            az storage blob service-properties update --auth-mode login --account-name $account `
                --static-website true --only-show-errors 2>$null | Out-Null
        }
        Write-Warning "Upload of $blob failed (attempt $attempt of 6); retrying in ${retrySeconds}s (new role assignments take a few minutes)."
        Start-Sleep -Seconds $retrySeconds
    }
    if ($published) {
        # Vonage fetches it anonymously: check that exactly this file is what the public endpoint serves.
        try {
            $served = (Invoke-WebRequest -Uri $fallbackUrl -UseBasicParsing -TimeoutSec 15).Content
            if ($served -is [byte[]]) { $served = [Text.Encoding]::UTF8.GetString($served) }
        }
        catch { $served = $null }
        if ($served -ne $ncco) {
            Write-Warning "$fallbackUrl does not serve the uploaded NCCO (yet). Check the storage account's static website."
        }
    }
}
Remove-Item $nccoFile.FullName -ErrorAction SilentlyContinue

if (-not $published) {
    $numberArgument = if ($fallbackNumber) { " --number '$fallbackNumber'" } else { '' }
    $accountName = if ($account) { $account } else { '<storage account>' }
    Write-Warning @"
The fallback NCCO was NOT published. After 'az login', publish it with (bash, e.g. Git Bash, for the generator):
  scripts/fallback-ncco --base-url '$url'$numberArgument > $blob
  az storage blob upload --auth-mode login --account-name '$accountName' --container-name '`$web' --name $blob --file $blob --content-type application/json --overwrite
"@
}

$secrets = 'vonage-signature-secret', 'vonage-api-secret', 'vonage-private-key', 'mixpanel-token', 'impact-auth-token', 'segment-write-key'
$present = $null
if (Get-Command az -ErrorAction SilentlyContinue) {
    $present = @(az keyvault secret list --vault-name $vault --query "[].name" -o tsv 2>$null)
}

$fallbackDoes = if ($fallbackNumber) { "connects callers to $fallbackNumber" } else { 'apologises and hangs up' }

Write-Host @"

CallTracking is deployed: $url

1. Point your Vonage application at it (Voice capability). Webhooks are anonymous functions authenticated
   by Vonage's signed JWT, so no '?code=' is needed:
     Answer URL    POST  $url/api/answer
     Event URL     POST  $url/api/event
     Fallback URL  GET   $fallbackUrl
   Answer with POST: the signed JWT's payload_hash then covers the request body (a GET query is not covered).
   The fallback is a static file in storage (a static website serves GET only): it answers even when the app
   is down, and $fallbackDoes.
   The recording ($url/api/recording) and whisper ($url/api/whisper) URLs are put into each NCCO by the app.
   With the Vonage CLI:
     vonage apps capabilities update $applicationId voice ``
       --voice-answer-url='$url/api/answer' --voice-answer-http=POST ``
       --voice-event-url='$url/api/event' --voice-event-http=POST ``
       --voice-fallback-url='$fallbackUrl' --voice-fallback-http=GET

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
   vonage-signature-secret is required: azd asked for it (VONAGE_SIGNATURE_SECRET) and writes it on every
   provision, so change it with: azd env set VONAGE_SIGNATURE_SECRET '<signature secret>'; azd provision
   Set another one (the private key from its file), then restart so the app reads it:
     az keyvault secret set --vault-name $vault --name vonage-private-key --file private.key
     az functionapp restart --resource-group $group --name $app
   (or: azd env set MIXPANEL_TOKEN '<token>'; azd provision)
   A missing optional secret turns its feature off (Mixpanel, impact.com, Segment).

3. Buy numbers and link them to the Vonage application:
     vonage numbers search US
     vonage numbers buy US <number>
     vonage apps numbers link $applicationId <number>

4. Keys (send them as the x-functions-key header, or ?code=):
   - the master key (admin level): campaign writes (PUT/DELETE /api/campaigns/{id}, POST /api/campaigns/import),
     POST /api/ops/replay and POST /api/reports/rebuild. Keep it to operators: it can re-route calls.
       `$master = az functionapp keys list --resource-group $group --name $app --query masterKey -o tsv
   - the function key: reports, campaign reads and the dashboard ($url/api/dashboard). Give marketers this one.
       `$key = az functionapp keys list --resource-group $group --name $app --query functionKeys.default -o tsv
   Import campaigns (admin API, master key):
     curl.exe -X POST "$url/api/campaigns/import" -H "x-functions-key: `$master" -H 'Content-Type: application/json' --data '@campaigns.sample.json'

"@
