#!/bin/sh
# azd postdeploy hook: prints the URLs to paste into the Vonage application and the remaining manual steps.
# azd passes the Bicep outputs as environment variables; run by hand, they are read with `azd env get-value`.
set -u

value() {
  eval "current=\${$1:-}"
  if [ -z "$current" ] && command -v azd >/dev/null 2>&1; then
    current=$(azd env get-value "$1" 2>/dev/null || true)
  fi
  printf '%s' "$current"
}

url=$(value AZURE_FUNCTION_URL)
app=$(value AZURE_FUNCTION_NAME)
group=$(value AZURE_RESOURCE_GROUP)
vault=$(value AZURE_KEY_VAULT_NAME)
application_id=$(value VONAGE_APPLICATION_ID)
[ -n "$application_id" ] || application_id='<vonage-application-id>'

if [ -z "$url" ]; then
  echo "AZURE_FUNCTION_URL is not set: run 'azd provision' first." >&2
  exit 0
fi

secrets="vonage-signature-secret vonage-api-secret vonage-private-key mixpanel-token impact-auth-token segment-write-key"
present=""
if command -v az >/dev/null 2>&1; then
  present=$(az keyvault secret list --vault-name "$vault" --query "[].name" -o tsv 2>/dev/null || true)
fi

cat <<TEXT

CallTracking is deployed: $url

1. Point your Vonage application at it (Voice capability). Webhooks are anonymous functions authenticated
   by Vonage's signed JWT, so no '?code=' is needed:
     Answer URL    $url/api/answer      (GET or POST)
     Event URL     $url/api/event       (POST)
     Fallback URL  $url/api/fallback    (GET or POST)
   The recording ($url/api/recording) and whisper ($url/api/whisper) URLs are put into each NCCO by the app.
   With the Vonage CLI:
     vonage apps capabilities update $application_id voice \\
       --voice-answer-url='$url/api/answer' \\
       --voice-event-url='$url/api/event' \\
       --voice-fallback-url='$url/api/fallback'

2. Secrets live in Key Vault '$vault' and reach the app as Key Vault references:
TEXT

for secret in $secrets; do
  if [ -z "$present" ]; then
    state=""
  elif printf '%s\n' "$present" | grep -qx "$secret"; then
    state="  [set]"
  else
    state="  [missing]"
  fi
  printf '     %-24s%s\n' "$secret" "$state"
done

cat <<TEXT
   Set one (the private key from its file), then restart so the app reads it:
     az keyvault secret set --vault-name $vault --name vonage-signature-secret --value '<signature secret>'
     az keyvault secret set --vault-name $vault --name vonage-private-key --file private.key
     az functionapp restart --resource-group $group --name $app
   (or: azd env set VONAGE_SIGNATURE_SECRET '<signature secret>' && azd provision)
   The app cannot verify Vonage's signed webhooks until vonage-signature-secret is set. A missing optional
   secret turns its feature off (Mixpanel, impact.com, Segment).

3. Buy numbers and link them to the Vonage application:
     vonage numbers search US
     vonage numbers buy US <number>
     vonage apps numbers link $application_id <number>

4. Import campaigns (admin API, function key):
     key=\$(az functionapp keys list --resource-group $group --name $app --query functionKeys.default -o tsv)
     curl -X POST "$url/api/campaigns/import?code=\$key" -H 'Content-Type: application/json' --data @campaigns.sample.json

TEXT
