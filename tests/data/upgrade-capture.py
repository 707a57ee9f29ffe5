# Made with: zi-tracker demo-data --years 6 --staff 2 --seed 7 (password "Rahasia-demo-123"),
# then this script against the server on that data dir (release of 29 November 2026,
# before units became tenants): python3 upgrade-capture.py URL golden DATA/zi-tracker.db
# Captures what the current release shows for a demo data dir: pages as HTML,
# exports and evidence downloads as bytes, listed in manifest.txt.
import http.cookiejar, urllib.request, urllib.parse, re, sys, os, sqlite3
base, out, db = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
cj = http.cookiejar.CookieJar()
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cj))
def get(p):
    r = op.open(base + p); return r.read()
html = get('/login').decode()
csrf = re.search(r'name="csrf" value="([^"]+)"', html) or re.search(r'name="_csrf" value="([^"]+)"', html)
fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
fields.update(username='admin-demo', password='Rahasia-demo-123', next='')
op.open(base + '/login', urllib.parse.urlencode(fields).encode())
con = sqlite3.connect(db)
steps = [r[0] for r in con.execute("SELECT s.id FROM action_steps s JOIN indicators i ON i.id=s.indicator_id JOIN areas a ON a.id=i.area_id JOIN components c ON c.id=a.component_id WHERE c.year IN (2021, 2026) AND s.id % 7 = 0 ORDER BY s.id")]
comps = [r[0] for r in con.execute("SELECT id FROM components WHERE year = 2021 ORDER BY id")]
ev = [r[0] for r in con.execute("SELECT id FROM evidence WHERE removed_at IS NULL ORDER BY id")]
qs = [r[0] for r in con.execute("SELECT id FROM lke_questions WHERE year = 2026 AND id % 10 = 0 ORDER BY id")]
pages = ['/katalog?tahun=2021', '/katalog?tahun=2026', '/dashboard?periode=2021-2', '/dashboard/daftar?periode=2021-2', '/dashboard?periode=2026-1',
         '/laporan?periode=2021-2', '/laporan/cetak?periode=2021-2', '/penugasan?periode=2021-2', '/audit', '/admin/pengguna',
         '/lke/2026', '/lke/2026/soal', '/lke/2026/kelompok', '/lke/2026/catatan-tpi', '/admin/predikat', '/admin/periode', '/admin/bobot']
pages += ['/katalog/komponen/%d' % c for c in comps]
pages += ['/langkah/%d' % s for s in steps]
pages += ['/lke/2026/soal/%d' % q for q in qs]
files = ['/laporan/target.csv?periode=2021-2', '/laporan/target.csv?periode=2026-1', '/katalog/ekspor.csv?tahun=2021', '/katalog/ekspor.csv?tahun=2026']
files += ['/bukti/%d/unduh' % e for e in ev]
with open(os.path.join(out, 'manifest.txt'), 'w') as m:
    for kind, lst in (('page', pages), ('file', files)):
        for i, p in enumerate(lst):
            name = '%s-%03d' % (kind, i)
            data = get(p)
            if p.startswith('/bukti/'):
                import hashlib
                m.write('sha256\t%s\t%s\n' % (hashlib.sha256(data).hexdigest(), p))
                continue
            open(os.path.join(out, name), 'wb').write(data)
            m.write('%s\t%s\t%s\n' % (kind, name, p))
print(len(pages), len(files))
