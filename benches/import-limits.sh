#!/usr/bin/env bash
# The workbook attacks of the second hardening round against the release build (not a
# test): a 15 KB sheet with cells at A1 and XFD1048576 (once a 512 GiB allocation), and a
# small package whose sheet inflates to 600 MB, each uploaded to /lke/2026/impor by an
# admin, two at once. Prints each answer's status and time and the server's RSS before
# and after. Needs python3 and curl.
# Usage: benches/import-limits.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
BIN=target/release/zi-tracker
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
PASS='sandi-uji-impor-panjang'
DATA="$WORK/data"

echo "$PASS" | "$BIN" user add --data-dir "$DATA" --username penguji --role admin-instansi \
  --name "Penguji" --password-stdin >/dev/null
"$BIN" serve --bind 127.0.0.1:0 --data-dir "$DATA" > "$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 100); do grep -q 'buka http' "$WORK/server.log" 2>/dev/null && break; sleep 0.1; done
BASE=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/server.log" | head -1)

python3 - "$WORK" <<'PY'
import sys, zipfile
work = sys.argv[1]
ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/>'
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
      '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
wb = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
      '<sheet name="Jawaban" sheetId="1" r:id="rId1"/></sheets></workbook>')
wbrels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
          '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
def sheet(rows, pad=0):
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + ' ' * pad + rows + '</sheetData></worksheet>')
def book(name, sheet_xml):
    with zipfile.ZipFile(f'{work}/{name}', 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr('[Content_Types].xml', ct); z.writestr('_rels/.rels', rels)
        z.writestr('xl/workbook.xml', wb); z.writestr('xl/_rels/workbook.xml.rels', wbrels)
        z.writestr('xl/worksheets/sheet1.xml', sheet_xml)
book('sparse.xlsx', sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
                          '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'))
book('deflate.xlsx', sheet('<row r="6"><c r="K6" t="inlineStr"><is><t>ya</t></is></c></row>', pad=600 << 20))
PY

JAR="$WORK/jar"
csrf() { grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//'; }
t=$(curl -s -c "$JAR" -b "$JAR" "$BASE/login" | csrf)
curl -s -c "$JAR" -b "$JAR" -o /dev/null --data-urlencode "csrf_token=$t" \
  --data-urlencode "username=penguji" --data-urlencode "password=$PASS" "$BASE/login"
TOKEN=$(curl -s -b "$JAR" "$BASE/lke/2026/impor" | csrf)
rss() { awk '/VmRSS/ { print $2 " kB" }' "/proc/$PID/status"; }
printf '%-14s %s\n' "file" "size"
for f in sparse deflate; do printf '%-14s %s bytes\n' "$f.xlsx" "$(stat -c %s "$WORK/$f.xlsx")"; done
echo "RSS before: $(rss)"
for f in sparse deflate sparse deflate; do
  curl -s -b "$JAR" -o /dev/null -w "$f.xlsx -> %{http_code} in %{time_total} s\n" \
    -F "csrf_token=$TOKEN" -F "file=@$WORK/$f.xlsx" "$BASE/lke/2026/impor" &
done
wait $(jobs -p | grep -v "^$PID$") 2>/dev/null || true
echo "RSS after:  $(rss) (peak $(awk '/VmHWM/ { print $2 " kB" }' "/proc/$PID/status"))"
curl -s -o /dev/null -w "server still answers: %{http_code}\n" "$BASE/login"
