#!/usr/bin/env bash
# Starts MailPackr the way a newcomer does (`npm start`, nothing configured, empty data folder),
# waits for the banner, calls GraphQL with the printed owner key, and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
log="$work/start.log"
# The capture server's port beside the API's, so parallel runs (and a running `npm start`) never collide.
(cd "$work" && exec env -u DATABASE_URL -u EVENTSTORE_URL -u SMTP_URL PORT="$port" MAILPACKR_SMTP_CAPTURE_PORT="$((port + 1))" MAILPACKR_DATA_DIR="$work/.mailpackr" \
  node "$OLDPWD/dist/apps/api/src/main.js" >"$log" 2>&1) &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 90); do grep -q 'GraphQL at' "$log" && break; sleep 1; done
key=$(grep -o 'mpk_[A-Za-z0-9_-]*' "$log" | head -n 1)
[ -n "$key" ] || { echo "smoke: no API key printed"; cat "$log"; exit 1; }
answer=$(curl -sf "http://127.0.0.1:$port/graphql" -H 'content-type: application/json' \
  -H "authorization: Bearer $key" -d '{"query":"{ viewer { tenant { name } role } }"}')
echo "smoke: $answer"
[ "$answer" = '{"data":{"viewer":{"tenant":{"name":"Default"},"role":"OWNER"}}}' ] || { cat "$log"; exit 1; }
[ -f "$work/.mailpackr/kek.key" ] || { echo "smoke: no key file generated"; exit 1; }

# The operator CLI shares the running server's embedded database; the new key works at once.
created=$(env -u DATABASE_URL -u EVENTSTORE_URL MAILPACKR_DATA_DIR="$work/.mailpackr" node bin/mailpackr.js tenant create "Smoke Test Ltd" --plan pro)
echo "smoke: $created" | sed 's/mpk_[A-Za-z0-9_-]*/mpk_…/'
tenant_key=$(echo "$created" | grep -o 'mpk_[A-Za-z0-9_-]*')
answer=$(curl -sf "http://127.0.0.1:$port/graphql" -H 'content-type: application/json' \
  -H "authorization: Bearer $tenant_key" -d '{"query":"{ viewer { tenant { name plan } } }"}')
[ "$answer" = '{"data":{"viewer":{"tenant":{"name":"Smoke Test Ltd","plan":"pro"}}}}' ] || { echo "smoke: $answer"; cat "$log"; exit 1; }
echo "smoke: mailpackr tenant create against the running server works"

# Support staff: import a CSV into a list, erase one person, export another, with the real CLI.
tenant_id=$(echo "$created" | grep -o 'Tenant created: [0-9a-f-]*' | cut -d' ' -f3)
list_id=$(curl -sf "http://127.0.0.1:$port/graphql" -H 'content-type: application/json' \
  -H "authorization: Bearer $tenant_key" -d '{"query":"mutation { createContactList(input: { name: \"Smoke\" }) { id } }"}' \
  | grep -o '"id":"[0-9a-f-]*"' | cut -d'"' -f4)
printf 'email,name\nsmoke.one@example.org,One\nsmoke.two@example.org,Two\nbroken,Nobody\n' >"$work/contacts.csv"
# Tenant commands run as an API key of the tenant (here its owner key), with its role.
cli() { env -u DATABASE_URL -u EVENTSTORE_URL MAILPACKR_DATA_DIR="$work/.mailpackr" MAILPACKR_API_KEY="$tenant_key" node bin/mailpackr.js "$@"; }
imported=$(cli import "$work/contacts.csv" --tenant "$tenant_id" --list "$list_id" 2>/dev/null)
echo "smoke: $imported" | head -n 2
echo "$imported" | grep -q '2 added, 0 updated.*1 invalid' || { echo "smoke: import failed"; cat "$log"; exit 1; }
cli erase --tenant "$tenant_id" --email ' SMOKE.ONE@example.org ' --reference SMOKE-1 | grep -q '"receiptHash"' \
  || { echo "smoke: erase failed"; exit 1; }
cli export --tenant "$tenant_id" --email smoke.two@example.org | grep -q '"email": "smoke.two@example.org"' \
  || { echo "smoke: export failed"; exit 1; }
echo "smoke: mailpackr import, erase and export work against the running server"

# Support staff as themselves: an account of the support role logs in with the real CLI (the
# password piped in), runs a command with its session, and logs out; the ended session is refused.
curl -sf "http://127.0.0.1:$port/graphql" -H 'content-type: application/json' -H "authorization: Bearer $tenant_key" \
  -d '{"query":"mutation { registerAccount(input: {email: \"smoke.desk@example.org\", name: \"Desk\", company: \"Smoke\", password: \"correct horse battery staple\", role: SUPPORT}) { id } }"}' \
  | grep -q '"registerAccount":{"id"' || { echo "smoke: registerAccount failed"; exit 1; }
as_session() { env -u DATABASE_URL -u EVENTSTORE_URL -u MAILPACKR_API_KEY MAILPACKR_DATA_DIR="$work/.mailpackr" "$@"; }
session=$(printf 'correct horse battery staple\n' | as_session node bin/mailpackr.js login --email smoke.desk@example.org 2>/dev/null)
case "$session" in mps_*) ;; *) echo "smoke: mailpackr login printed no session token"; exit 1 ;; esac
as_session MAILPACKR_SESSION_TOKEN="$session" node bin/mailpackr.js requests --status completed | grep -q 'erasure' \
  || { echo "smoke: a command with the session failed"; exit 1; }
as_session MAILPACKR_SESSION_TOKEN="$session" node bin/mailpackr.js logout 2>/dev/null || { echo "smoke: logout failed"; exit 1; }
code=0; as_session MAILPACKR_SESSION_TOKEN="$session" node bin/mailpackr.js requests >/dev/null 2>&1 || code=$?
[ "$code" -eq 4 ] || { echo "smoke: an ended session was not refused (exit $code)"; exit 1; }
echo "smoke: mailpackr login, a command as the account's session, and logout work"

# A campaign to that list is sent over SMTP to the embedded capture server: one .eml, to the one
# person left (the other was erased), with the one-click unsubscribe headers.
gql() { curl -sf "http://127.0.0.1:$port/graphql" -H 'content-type: application/json' -H "authorization: Bearer $tenant_key" -d "$1"; }
mjml='<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{firstName}}</mj-text></mj-column></mj-section></mj-body></mjml>'
campaign_id=$(gql '{"query":"mutation($m: String!, $l: ID!) { draftCampaign(input: {name: \"Smoke\", subject: \"Hello\", fromAddress: \"news@smoke.example\", mjmlBody: $m, listIds: [$l]}) { id } }","variables":{"m":"'"$mjml"'","l":"'"$list_id"'"}}' \
  | grep -o '"id":"[0-9a-f-]*"' | cut -d'"' -f4)
gql '{"query":"mutation($id: ID!) { launchCampaign(input: {id: $id}) { status } }","variables":{"id":"'"$campaign_id"'"}}' | grep -q '"SENDING"' \
  || { echo "smoke: launch failed"; cat "$log"; exit 1; }
outbox="$work/.mailpackr/outbox"
for _ in $(seq 1 30); do [ -n "$(ls "$outbox" 2>/dev/null)" ] && break; sleep 1; done
mails=$(ls "$outbox" 2>/dev/null | wc -l)
[ "$mails" -eq 1 ] || { echo "smoke: expected 1 mail in the outbox, found $mails"; cat "$log"; exit 1; }
eml="$outbox/$(ls "$outbox")"
grep -q '^To: smoke.two@example.org' "$eml" && grep -q '^List-Unsubscribe-Post: List-Unsubscribe=One-Click' "$eml" \
  && grep -q '^Return-Path: <bounces+' "$eml" || { echo "smoke: the mail lacks its headers"; cat "$eml"; exit 1; }
echo "smoke: a launched campaign was sent to the capture server ($(basename "$eml"))"
echo "smoke: npm start on an empty data folder works"

# A worker killed mid-campaign (SIGKILL) and restarted: every recipient gets the campaign, and the
# only duplicates are the logged crash window. Two processes need PostgreSQL (not the embedded PGlite).
if [ -n "${DATABASE_URL:-}" ]; then
  node scripts/worker-kill.smoke.mjs || { echo "smoke: a worker killed mid-campaign lost or duplicated mail"; exit 1; }
else
  echo "smoke: worker kill: skipped: needs DATABASE_URL"
fi
