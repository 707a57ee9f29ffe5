-- The unit's 2021 priority targets (TARGET PRIORITAS PEMBANGUNAN ZONA INTEGRITAS
-- TAHUN 2021), one row per action row of the source table.
--
-- The source is a PDF extraction. Rows are reassembled against the LKE structure of
-- PermenPAN-RB 10/2019; every repair is noted beside the row it touches. Wording is
-- otherwise kept as written (including the source's spelling).
--
-- A later year is seeded the same way: a new migration file that fills seed_rows
-- for that year and runs the same INSERT ... SELECT block at the bottom.

INSERT INTO target_years (year, title)
VALUES (2021, 'Target Prioritas Pembangunan Zona Integritas Tahun 2021');

CREATE TEMP TABLE seed_rows (
    c_pos INTEGER, c_num TEXT, c_name TEXT,
    a_pos INTEGER, a_name TEXT,
    i_pos INTEGER, i_text TEXT,
    s_pos INTEGER, s_text TEXT,
    authority TEXT
);

INSERT INTO seed_rows VALUES
-- I. Repair: the component is numbered "1" in the source; the LKE numbers it "I".
(1, 'I', 'MANAJEMEN PERUBAHAN', 1, 'Tim Kerja',
    1, 'SK Tim Kerja ZI telah dibuat sesuai prosedur yang telah ditetapkan',
    1, 'Penetapan SK dan Menyusun SOP pemilihan tim kerja ZI',
    'Instansi yang berwenang mengelola ZI'),
-- Repair: the KEWENANGAN cell of this row sits one column to the right in the source.
(1, 'I', 'MANAJEMEN PERUBAHAN', 1, 'Tim Kerja',
    1, 'SK Tim Kerja ZI telah dibuat sesuai prosedur yang telah ditetapkan',
    2, 'Pemilihan calon anggota Tim Kerja ZI sesuai prosedur pembentukan Tim ZI',
    'Instansi yang berwenang mengelola ZI'),
-- Repair: the KEWENANGAN cell is empty in the source (it spans the indicator's rows in
-- the PDF table); the indicator's authority, written on the rows above, applies.
(1, 'I', 'MANAJEMEN PERUBAHAN', 1, 'Tim Kerja',
    1, 'SK Tim Kerja ZI telah dibuat sesuai prosedur yang telah ditetapkan',
    3, 'Terbentuknya Tim Kerja ZI',
    'Instansi yang berwenang mengelola ZI'),
(1, 'I', 'MANAJEMEN PERUBAHAN', 2, 'Dokumen Rencana Pembangunan ZI',
    1, 'Dokumen rencana kerja pembangunan ZI telah dibuat dan disosialisasikan',
    1, 'Penyusunan dokumen rencana kerja pembangunan ZI, menentukan rencana aksi tahun 2019, mensosialisasikan kepada seluruh pegawai, sosialisasi melalui website',
    'Instansi yang berwenang mengelola ZI'),
(1, 'I', 'MANAJEMEN PERUBAHAN', 3, 'Pemantauan dan Evaluasi pembangunan WBK/WBBM',
    1, 'Pemantauan dan Evaluasi pembangunan WBK/WBBM secara berkala per semester',
    1, 'Rapat Evaluasi pembangunan WBK/WBBM setiap 6 bulan sekali, Tindak lanjut hasil Monev sebelumnya',
    'Instansi yang berwenang mengelola ZI'),
(1, 'I', 'MANAJEMEN PERUBAHAN', 4, 'Perubahan pola pikir dan budaya kerja',
    1, 'Pimpinan berperan sebagai role model dalam pelaksanaan pembangunan WBK/WBBM',
    1, 'Pimpinan memberi teladan dengan mengisi / mencatat kehadiran setiap hari seperti pegawai lain.',
    'Instansi yang berwenang mengelola ZI'),
(1, 'I', 'MANAJEMEN PERUBAHAN', 4, 'Perubahan pola pikir dan budaya kerja',
    2, 'Agen perubahan sudah ditetapkan',
    1, 'Menyusun SOP Pemilihan anggota Tim Agen Perubahan; Menetapkan SK Tim Agen perubahan',
    'Instansi yang berwenang mengelola ZI'),
(1, 'I', 'MANAJEMEN PERUBAHAN', 4, 'Perubahan pola pikir dan budaya kerja',
    3, 'Budaya kerja dan pola pikir sudah dibangun di lingkungan organisasi',
    1, 'Pengarahan Kepala Balai untuk membangun budaya kerja pelayanan prima dan mendorong partisipasi pegawai dalam pembangunan ZI melalui rapat, apel, dan pengarahan setelah senam pagi',
    'Instansi yang berwenang mengelola ZI'),
(1, 'I', 'MANAJEMEN PERUBAHAN', 4, 'Perubahan pola pikir dan budaya kerja',
    4, 'Anggota organisasi terlibat dalam pembangunan Zona Integritas menuju WBK/WBBM',
    1, 'Daftar Hadir Rapat Tinjauan Dokumen; Notulen; Usulan; Nota Dinas Perbaikan (Keputusan) Ka Balai, Laporan Kaji ulang manajemen ISO 9001:2015',
    'Instansi yang berwenang mengelola ZI'),

-- II.
(2, 'II', 'PENATAAN TATALAKSANA', 1, 'Prosedur operasional tetap (SOP) kegiatan utama',
    1, 'SOP telah mengacu pada proses bisnis instansi dan dipahami seluruh pegawai. SOP telah dievaluasi.',
    1, 'Seluruh pegawai telah memiliki SOP yang telah ditetapkan, SOP tersedia diruang pelayanan. Melaksanakan evaluasi dokumen SOP',
    'Instansi yang berwenang mengelola ZI'),
-- Repair: the area is written "E- Office (2)" in the source; "(2)" is its LKE weight
-- (bobot), not part of the name, and the stray space after the hyphen is dropped.
(2, 'II', 'PENATAAN TATALAKSANA', 2, 'E-Office',
    1, 'Operasionalisasi manajemen SDM sudah menggunakan teknologi informasi',
    1, 'Absen finger print, Penggunaan SIM ASN pada manajemen kepegawaian, Penggunaan WA Grup untuk komunikasi internal',
    'Instansi yang berwenang mengelola ZI'),
(2, 'II', 'PENATAAN TATALAKSANA', 2, 'E-Office',
    2, 'Pemberian pelayanan kepada publik sudah menggunakan teknologi informasi',
    1, 'Penggunaan aplikasi SMS center, website',
    'Instansi yang berwenang mengelola ZI'),
(2, 'II', 'PENATAAN TATALAKSANA', 2, 'E-Office',
    3, 'Pemanfaatan teknologi informasi dalam pengukuran kinerja unit, operasionalisasi SDM, dan pemberian layanan publik telah dilakukan monev secara berkala',
    1, 'Melakukan Monev pemanfaatan IT setiap enam bulan sekali dengan mengisi formulir MONEV Pemanfaatan IT',
    'Instansi yang berwenang mengelola ZI'),
(2, 'II', 'PENATAAN TATALAKSANA', 3, 'Keterbukaan informasi Publik',
    1, 'Kebijakan informasi publik telah sesuai dengan peraturan perundangundangan',
    1, 'Balai Penelitian Ternak menerapkan keterbukaan informasi publik. Kepala Balai Menyediakan informasi publik secara jelas, akurat dan tepat waktu. Arsip dan dokumentasi secara rapi, jelas, dan akurat Menampilkan Standar pelayanan publik dalam website, Dibentuknya PPID , menyediakan form pengaduan, kotak pengaduan, sms centre, dan pengaduan melalui website',
    'Instansi yang berwenang mengelola ZI'),
(2, 'II', 'PENATAAN TATALAKSANA', 3, 'Keterbukaan informasi Publik',
    2, 'Pelaksanaan kebijakan keterbukaan informasi publik telah dimonitoring dan dievaluasi secara berkala',
    1, 'Mengevaluasi dokumen SPP, Menyusun laporan PPID, Menyusun laporan pengaduan',
    'Instansi yang berwenang mengelola ZI'),

-- III.
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 1, 'Perencanaan kebutuhan pegawai sesuai dengan kebutuhan',
    1, 'Kebutuhan pegawai yang disusun oleh unit kerja mengacu kepada peta jabatan dan hasil analisis beban kerja untuk masing-masing jabatan',
    1, 'Menyusun analisa kebutuhan pegawai, Menyusun ANJAB ABK',
    'Instansi yang berwenang mengelola ZI'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 1, 'Perencanaan kebutuhan pegawai sesuai dengan kebutuhan',
    2, 'Penempatan pegawai hasil rekrutmen murni mengacu kepada kebutuhan pegawai yang telah disusun per jabatan',
    1, 'Menyusun analisa kebutuhan pegawai, Menyusun ANJAB ABK',
    'Instansi yang berwenang mengelola ZI'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 1, 'Perencanaan kebutuhan pegawai sesuai dengan kebutuhan',
    3, 'Monitoring dan evaluasi terhadap penempatan pegawai rekrutmen untuk memenuhi kebutuhan jabatan dalam organisasi telah memberikan perbaikan terhadap kinerja unit kerja',
    1, 'Membuat Analisa SKP',
    'Instansi yang berwenang mengelola ZI'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 2, 'Pola Mutasi Internal',
    1, 'Mutasi pegawai antar jabatan sebagai upaya pengembangan karir pegawai',
    1, 'Analisa kebutuhan pegawai di Setiap bagian',
    'Instansi yang berwenang mengelola ZI'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 2, 'Pola Mutasi Internal',
    2, 'Mutasi pegawai antar jabatan telah memperhatikan kompetensi jabatan dan mengikuti pola mutasi yang telah ditetapkan',
    1, 'Prosedur Mutasi internal',
    'Instansi yang berwenang mengelola ZI'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 2, 'Pola Mutasi Internal',
    3, 'Monitoring dan evaluasi terhadap kegiatan mutasi yang telah dilakukan dalam kaitannya dengan perbaikan kinerja dilakukan secara berkala',
    1, 'Membuat monitoring dan evaluasi efektifitas penempatan pegawai',
    'Instansi yang berwenang mengelola ZI'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 3, 'Pengembangan pegawai berbasis kompetensi',
    1, 'Unit kerja melakukan training need analysis untuk pengembangan kompetensi',
    1, 'Menyusun rencana pengembangan kompetensi pegawai melalui TOR, Form perencanaan pendidikan dan pelatihan, Analisa kebutuhan diklat fungsional tertentu dan fungsional umum',
    'Instansi yang berwenang mengelola ZI'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 3, 'Pengembangan pegawai berbasis kompetensi',
    2, 'Penyusunan rencana pengembangan kompetensi pegawai sudah mempertimbangkan hasil pengelolaan kinerja pegawai',
    1, 'Mengisi Form perencanaan pendidikan dan pelatihan sesuai fromulir pada ISO.',
    'Instansi yang berwenang mengelola ZI'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 3, 'Pengembangan pegawai berbasis kompetensi',
    3, 'Persentase kesenjangan kompetensi pegawai yang ada dengan standar kompetensi yang ditetapkan untuk masing-masing jabatan kurang dari 25%',
    1, 'Menyusun evaluasi kinerja pegawai',
    'Instansi yang berwenang mengelola ZI'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 3, 'Pengembangan pegawai berbasis kompetensi',
    4, 'Pegawai di unit kerja telah memperoleh kesempatan/hak untuk mengikuti diklat maupun pengembangan kompetensi lainnya',
    1, 'Menyusun rekapitulasi pegawai yang telah mengikuti diklat/magang',
    'Instansi yang berwenang mengelola ZI'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 3, 'Pengembangan pegawai berbasis kompetensi',
    5, 'Pelaksanaan pengembangan kompetensi pegawai telah dilakukan melalui pengikutsertaan pada lembaga pelatihan, in house training atau melalui coaching atau mentoring , dll)',
    1, 'Melaksanakan inhouse training, mengikutsertakan pegawai pada pelatihan dan pendidikan. Mengikutsertakan pegawai pada pelatihan eksternal, mengadakan Bimtek',
    'Instansi yang berwenang mengelola ZI dan ada juga kewenangan dari pusat (Topdown)'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 3, 'Pengembangan pegawai berbasis kompetensi',
    6, 'Monitoring dan evaluasi terhadap hasil pengembangan kompetensi dalam kaitannya dengan perbaikan kinerja dilakukan secara berkala',
    1, 'Melakukan monev terhadap kegiatan pendidikan dan pelatihan yang telah diikuti',
    'Instansi yang berwenang mengelola ZI dan ada juga kewenangan dari pusat Berdasarkan Tusinya'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 4, 'Penetapan Kinerja Individu',
    1, 'Terdapat penetapan kinerja individu yang terkait dengan kinerja organisasi',
    1, 'Melakukan penilaian SKP tahunan, DUPAK fungsional',
    'Instansi yang berwenang mengelola ZI'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 4, 'Penetapan Kinerja Individu',
    2, 'Ukuran kinerja individu telah memiliki kesesuaian dengan indikator kinerja individu level atasnya',
    1, 'Penilaian SKP struktural dan SKP Ka UPT',
    'Instansi yang berwenang mengelola ZI'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 4, 'Penetapan Kinerja Individu',
    3, 'Pengukuran kinerja individu dilakukan secara periodic',
    1, 'Penilaian DUPAK Fungsional tertentu per semester',
    'Instansi yang berwenang mengelola ZI'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 4, 'Penetapan Kinerja Individu',
    4, 'Hasil penilaian kinerja individu telah dijadikan dasar untuk pemberian reward (pengembangan karir individu, penghargaan, dll)',
    1, 'Menyusun mekanisme Penilaian Pegawai Teladan; Tim Penilai; Kriteria yang jelas (SKP menjadi salah satu kriteria)',
    'Instansi yang berwenang mengelola ZI dan ada juga kewenangan dari pusat Berdasarkan Tugasnya'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 5, 'Penegakan aturan disiplin/kode etik/kode perilaku pegawai',
    1, 'Aturan disiplin/kode etik/kode perilaku telah dilaksanakan/diimplementasikan',
    1, 'Daftar hadir pegawai yang manual dibuat pada kertas kosong sehingga tampak urutan kehadiran pegawai, Absensi 3 kali sehari untuk memantau keberadaan pegawai pada jam istirahat. Menyusun SOP penjatuhan sanksi pelanggaran kode etik, Membuat rekapitulasi pegawai yang melakukan pelanggaran kode etik pegawai',
    'Instansi yang berwenang mengelola ZI'),
(3, 'III', 'PENATAAN SISTEM MANAJEMEN SDM', 6, 'Sistem Informasi kepegawaian',
    1, 'Data informasi kepegawaian unit kerja telah dimutakhirkan secara berkala',
    1, 'Pemutakhiran informasi kepegawaian melalui SIM ASN',
    'Instansi yang berwenang mengelola ZI'),

-- IV.
(4, 'IV', 'PENGUATAN AKUNTABILITAS', 1, 'Keterlibatan Pimpinan',
    1, 'Pimpinan terlibat secara langsung pada saat penyusunan perencanaan',
    1, 'Ka Balai memberikan pengarahan dan menandatangani Lembar Pengesahan Usulan Proposal dan Rencana Kerja Kegiatan TA.2021',
    'Instansi yang berwenang mengelola ZI'),
(4, 'IV', 'PENGUATAN AKUNTABILITAS', 1, 'Keterlibatan Pimpinan',
    2, 'Pimpinan terlibat secara langsung pada saat penyusunan penetapan kinerja',
    1, 'Ka Balai terlibat dalam penyusunan RENSTRA, Rencana Kerja Tahunan. Dokumen Indikator Kinerja Utama, dan LAKIP',
    'Instansi yang berwenang mengelola ZI'),
(4, 'IV', 'PENGUATAN AKUNTABILITAS', 1, 'Keterlibatan Pimpinan',
    3, 'Pimpinan memantau pencapaian kinerja secara berkala',
    1, 'Menyusun monitoring dan evaluasi akuntabilitas kinerja yang disahkan pimpinan',
    'Instansi yang berwenang mengelola ZI'),
(4, 'IV', 'PENGUATAN AKUNTABILITAS', 2, 'Pengelolaan Akuntabilitas Kinerja',
    1, 'Dokumen perencanaan sudah ada',
    1, 'Menyusun Renstra, RKT, Penetapan Kinerja',
    'Instansi yang berwenang mengelola ZI'),
(4, 'IV', 'PENGUATAN AKUNTABILITAS', 2, 'Pengelolaan Akuntabilitas Kinerja',
    2, 'Dokumen perencanaan telah berorientasi hasil',
    1, 'Menyusun Renstra, RKT, Penetapan Kinerja',
    'Instansi yang berwenang mengelola ZI'),
(4, 'IV', 'PENGUATAN AKUNTABILITAS', 2, 'Pengelolaan Akuntabilitas Kinerja',
    3, 'Terdapat indikator Kinerja Utama (IKU)',
    1, 'Menyusun penetapan IKU di RENSTRA',
    'Instansi yang berwenang mengelola ZI'),
(4, 'IV', 'PENGUATAN AKUNTABILITAS', 2, 'Pengelolaan Akuntabilitas Kinerja',
    4, 'Indikator kinerja telah SMART',
    1, 'Menyusun RENSTRA, RKT, RKAKL',
    'Instansi yang berwenang mengelola ZI'),
(4, 'IV', 'PENGUATAN AKUNTABILITAS', 2, 'Pengelolaan Akuntabilitas Kinerja',
    5, 'Laporan kinerja telah disusun tepat waktu',
    1, 'Menyusun LAKIN 2020',
    'Instansi yang berwenang mengelola ZI'),
(4, 'IV', 'PENGUATAN AKUNTABILITAS', 2, 'Pengelolaan Akuntabilitas Kinerja',
    6, 'Pelaporan kinerja telah memberikan informasi tentang kinerja',
    1, 'Menyusun LAKIN 2020',
    'Instansi yang berwenang mengelola ZI'),
(4, 'IV', 'PENGUATAN AKUNTABILITAS', 2, 'Pengelolaan Akuntabilitas Kinerja',
    7, 'Terdapat upaya peningkatan kapasitas SDM yang menangani akuntabilitas kinerja',
    1, 'Menyusun LAKIN 2021',
    'Instansi yang berwenang mengelola ZI'),
(4, 'IV', 'PENGUATAN AKUNTABILITAS', 2, 'Pengelolaan Akuntabilitas Kinerja',
    8, 'Pengelolaan akuntabilitas kinerja dilaksanakan oleh SDM yang kompeten',
    1, 'Menyusun SK Penyusun LAKIN dan Surat Tugas Pelatihan/workshop Penyusunan LAKIN',
    'Instansi yang berwenang mengelola ZI'),

-- V.
-- Repair: HTML markup <i>public campaign</i> removed from the indicator.
(5, 'V', 'PENGUATAN PENGAWASAN', 1, 'Pengendalian Gratifikasi',
    1, 'public campaign tentang pengendalian gratifikasi telah dilakukan',
    1, 'Menetapkan SK Sub UPG, Menyusun SOP, Memasang poster tentang gratifikasi di lingkungan Balai Penelitian Ternak, Mensosialisasikan gratifikasi via website',
    'Instansi yang berwenang mengelola ZI'),
(5, 'V', 'PENGUATAN PENGAWASAN', 1, 'Pengendalian Gratifikasi',
    2, 'Pengendalian gratifikasi telah diimplementasikan',
    1, 'Membuat laporan Sub UPG setiap bulan sekali dan pelaporan juga disampaikan di website Balai Penelitian Ternak. Menyusun rencana aksi atas hasil pengendalian atas pelaksanaan Program Pengendalian Gratifikasi',
    'Instansi yang berwenang mengelola ZI'),
(5, 'V', 'PENGUATAN PENGAWASAN', 2, 'Penerapan SPIP',
    1, 'Pengendalian internal telah dibangun di lingkungan Balai Penelitian Ternak',
    1, 'Menyusun dokumen SPIP, Menetapkan Tim SPIP, menggunakan WA grup sebagai media pengendalian internal',
    'Instansi yang berwenang mengelola ZI'),
(5, 'V', 'PENGUATAN PENGAWASAN', 2, 'Penerapan SPIP',
    2, 'Telah dilakukan penilaian risiko atas pelaksanaan kebijakan',
    1, 'Menyusun Petunjuk Pelaksanaan Pengendalian Pelayanan Inovasi teknologi peternakan',
    'Instansi yang berwenang mengelola ZI'),
(5, 'V', 'PENGUATAN PENGAWASAN', 2, 'Penerapan SPIP',
    3, 'Telah dilakukan kegiatan pengendalian untuk meminimalisir risiko yang telah diidentifikasi',
    1, 'Tim SPIP melaksanakan kegiatan pengendalian di Wilayah Kerja',
    'Instansi yang berwenang mengelola ZI'),
(5, 'V', 'PENGUATAN PENGAWASAN', 2, 'Penerapan SPIP',
    4, 'SPI telah diinformasikan dan dikomunikasikan kepada seluruh pihak',
    1, 'Sosialisasi SPIP kepada seluruh pegawai',
    'Instansi yang berwenang mengelola ZI'),
(5, 'V', 'PENGUATAN PENGAWASAN', 3, 'Pengaduan Masyarakat',
    1, 'Kebijakan pengaduan masyarakat telah diimplemntasikan',
    1, 'Menyusun pedoman Penanganan pengaduan masyarakat yang telah Dibuat Koordinasi antar pejabat terkait mekanisme, tata kerja dan prosedur penanganan pengaduan masyarakat',
    'Kewenangan Biro HUMAS kementan sebagai pembina dalam penanganan DUMAS dan penyusunan pedoman yang terkait dengal hal tersebut sesuai Tusi'),
(5, 'V', 'PENGUATAN PENGAWASAN', 3, 'Pengaduan Masyarakat',
    2, 'Hasil penanganan pengaduan masyarakat telah ditindaklanjuti',
    1, 'Menyusun Laporan Tindak Lanjut Pengaduan setiap bulan sekali',
    'Instansi yang berwenang mengelola ZI'),
(5, 'V', 'PENGUATAN PENGAWASAN', 3, 'Pengaduan Masyarakat',
    3, 'Telah dilakukan monitoring dan evaluasi atas penanganan pengaduan masyarakat',
    1, 'Menyusun monitoring dan evaluasi atas penanganan pengaduan masyarakat per semester',
    'Instansi yang berwenang mengelola ZI'),
(5, 'V', 'PENGUATAN PENGAWASAN', 3, 'Pengaduan Masyarakat',
    4, 'Hasil evaluasi atas penanganan pengaduan masyarakat telah ditindaklanjuti',
    1, 'Menindaklanjuti hasil evaluasi atas penanganan pengaduan masyarakat',
    'Instansi yang berwenang mengelola ZI'),
-- Repair: this row is broken over two lines by a page break. The second line
-- ("sudah diinternalisasikan" | "Whistleblower di lingkungan instansi, ...") continues
-- the indicator and the action step of the first; markup <i>...</i> removed.
(5, 'V', 'PENGUATAN PENGAWASAN', 4, 'Whistle Blowing System',
    1, 'Whistleblowing system sudah diinternalisasikan',
    1, 'Membuat pedoman pelaksanaan Whistleblower di lingkungan instansi, Menetapkan pengelola WBS yang diperkuat dengan penetapan SK oleh pimpinan, Mensosialisasikan pedoman pelaksanaan whistle blower system',
    'Instansi yang berwenang mengelola ZI dan dalam penyusunan pedoman WBS merupakan kewenangan Biro HUMAS Kementan sesuai Tusnya'),
-- Repair: markup <i>whistle blowing systemsudah dilakukan</i> removed, and the space the
-- markup boundary swallowed ("systemsudah") restored.
(5, 'V', 'PENGUATAN PENGAWASAN', 4, 'Whistle Blowing System',
    2, 'Evaluasi atas penerapan whistle blowing system sudah dilakukan',
    1, 'Menyusun program pengendalian pelaksanaan WBS; Menyusun program monev atas hasil pengendalian pelaksanaan WBS',
    'Instansi yang berwenang mengelola ZI dan dalam penyusunan program WBS merupakan kewenangan Biro HUMAS Kementan sesuai Tusnya'),
(5, 'V', 'PENGUATAN PENGAWASAN', 4, 'Whistle Blowing System',
    3, 'Hasil evaluasi atas penerapan whistle blowing system telah ditindaklanjuti',
    1, 'Menyusun program monev atas hasil pengendalian pelaksanaan WBS',
    'Instansi yang berwenang mengelola ZI'),
-- Repair: this row is broken over three lines by a page break: the area name
-- ("Penanganan" / "Benturan Kepentingan"), the indicator ("Telah terdapat" /
-- "identifikasi/pemetaan ...") and the action step ("Menyusun pedoman penanganan" /
-- "benturan kepentingan ... PerMenPAN dan RB no" / "37/2012; Pembentukan tim ...")
-- are each rejoined.
(5, 'V', 'PENGUATAN PENGAWASAN', 5, 'Penanganan Benturan Kepentingan',
    1, 'Telah terdapat identifikasi/pemetaan benturan kepentingan dalam tugas fungsi utama',
    1, 'Menyusun pedoman penanganan benturan kepentingan di lingkungan instansi mengacu pada PerMenPAN dan RB no 37/2012; Pembentukan tim Penanganan benturan kepentingan.',
    'Penyusunan pedoman Penanganan benturan kepentingan merupakan kewenangan Biro HUMAS Kementan sesuai Tusnya'),
-- (The line "Dilakukan reviu dan perbaikan atas standar" that stands here in the source
-- belongs to VI.1 Standar Pelayanan; see there.)
(5, 'V', 'PENGUATAN PENGAWASAN', 5, 'Penanganan Benturan Kepentingan',
    2, 'Penanganan benturan kepentingan telah disosialisasikan/internalisasi',
    1, 'Sosialisasi pedoman penanganan benturan kepentingan di Balai Penelitian Ternak',
    'Instansi yang berwenang mengelola ZI'),
(5, 'V', 'PENGUATAN PENGAWASAN', 5, 'Penanganan Benturan Kepentingan',
    3, 'Penanganan benturan kepentingan telah diimplementasikan',
    1, 'Menyusun laporan mplementasi Penanganan Benturan Kepentingan (berbetuk matriks)',
    'Instansi yang berwenang mengelola ZI'),
(5, 'V', 'PENGUATAN PENGAWASAN', 5, 'Penanganan Benturan Kepentingan',
    4, 'Telah dilakukan evaluasi atas penanganan benturan kepentingan',
    1, 'Menyusun Evaluasi penanganan benturan kepentingan',
    'Instansi yang berwenang mengelola ZI'),
(5, 'V', 'PENGUATAN PENGAWASAN', 5, 'Penanganan Benturan Kepentingan',
    5, 'Hasil evaluasi atas penanganan benturan kepentingan telah ditindaklanjuti',
    1, 'Menindaklanjuti hasil evaluasi dan penanganan benturan kepentingan',
    'Instansi yang berwenang mengelola ZI'),

-- VI.
(6, 'VI', 'PENINGKATAN KUALITAS PELAYANAN PUBLIK', 1, 'Standar Pelayanan',
    1, 'Terdapat kebijakan standar pelayanan',
    1, 'Menyusun standar pelayanan publik; Menetapkan Tim SPP; melengkapi SOP pelayanan difabel. Mengimplementasikan ISO 9001:2015',
    'Instansi yang berwenang mengelola ZI'),
(6, 'VI', 'PENINGKATAN KUALITAS PELAYANAN PUBLIK', 1, 'Standar Pelayanan',
    2, 'Standar pelayanan telah di maklumatkan',
    1, 'Menyusun Maklumat pelayanan; Mensosialisasikan maklumat pelayanan via website',
    'Instansi yang berwenang mengelola ZI'),
(6, 'VI', 'PENINGKATAN KUALITAS PELAYANAN PUBLIK', 1, 'Standar Pelayanan',
    3, 'Terdapat SOP bagi pelaksana standar pelayanan',
    1, 'SOP tersedia di ruang pelayanan',
    'Instansi yang berwenang mengelola ZI'),
-- Repair: this row stands away from its section in the source. Its first part
-- ("Dilakukan reviu dan perbaikan atas standar" | "Melaksanakan kaji ulang dokumen SPP,
-- SOP, kaji ulang dokumen" | authority) appears among V.5 Penanganan Benturan
-- Kepentingan; its continuation ("pelayanan dan SOP" | "ISO 9001:2015, ISO 17025:2005")
-- stands here. It is the LKE's fourth Standar Pelayanan indicator (reviu dan perbaikan
-- atas standar pelayanan dan SOP); the two parts are rejoined.
(6, 'VI', 'PENINGKATAN KUALITAS PELAYANAN PUBLIK', 1, 'Standar Pelayanan',
    4, 'Dilakukan reviu dan perbaikan atas standar pelayanan dan SOP',
    1, 'Melaksanakan kaji ulang dokumen SPP, SOP, kaji ulang dokumen ISO 9001:2015, ISO 17025:2005',
    'Instansi yang berwenang mengelola ZI'),
(6, 'VI', 'PENINGKATAN KUALITAS PELAYANAN PUBLIK', 2, 'Budaya Pelayanan Prima',
    1, 'Telah dilakukan sosialisasi/pelatihan dalam upaya penerapan budaya Pelayanan Prima',
    1, 'Melaksanakan sosialisasi penerapan budaya kerja melalui arahan Kepala Balai pada rapat, apel, atau setelah senam pagi',
    'Instansi yang berwenang mengelola ZI'),
(6, 'VI', 'PENINGKATAN KUALITAS PELAYANAN PUBLIK', 2, 'Budaya Pelayanan Prima',
    2, 'Informasi tentang pelayanan mudah diakses melalui berbagai media',
    1, 'Informasi tentang persyaratan pelayanan karantina ditampilkan di lingkungan Balai Penelitian Ternak disediakan dalam bentuk poster, leaflet dan juga ditayangkan di website',
    'Instansi yang berwenang mengelola ZI'),
(6, 'VI', 'PENINGKATAN KUALITAS PELAYANAN PUBLIK', 2, 'Budaya Pelayanan Prima',
    3, 'Telah terdapat sistem punishment (sanksi)/reward bagi pelaksana layanan serta pemberian kompensasi kepada penerima layanan bila layanan tidak sesuai standar',
    1, 'Menyusun prosedur pemberian sanksi/reward bagi pelaksana layanan serta pemberian kompensasi kepada penerima layanan bila layanan tidak sesuai standar; Memberikan sanksi/reward bagi pelaksana layanan',
    'Instansi yang berwenang mengelola ZI'),
(6, 'VI', 'PENINGKATAN KUALITAS PELAYANAN PUBLIK', 2, 'Budaya Pelayanan Prima',
    4, 'Telah terdapat sarana layanan terpadu/terintegrasi',
    1, 'Pelayanan terpadu antar UPT',
    'Instansi yang berwenang mengelola ZI'),
(6, 'VI', 'PENINGKATAN KUALITAS PELAYANAN PUBLIK', 2, 'Budaya Pelayanan Prima',
    5, 'terdapat inovasi pelayanan',
    1, 'Membuat inovasi pelayanan dengan pembuatan draft PC melalui email balitnak@indo.net.id dan sms',
    'Instansi yang berwenang mengelola ZI'),
(6, 'VI', 'PENINGKATAN KUALITAS PELAYANAN PUBLIK', 3, 'Penilaian Kepuasan Pelayanan',
    1, 'Dilakukan survei kepuasan masyarakat terhadap pelayanan',
    1, 'Melakukan survei kepuasan pelanggan melalui IKM per semester',
    'Instansi yang berwenang mengelola ZI'),
(6, 'VI', 'PENINGKATAN KUALITAS PELAYANAN PUBLIK', 3, 'Penilaian Kepuasan Pelayanan',
    2, 'Hasil survei kepuasan masyarakat dapat diakses secara terbuka',
    1, 'Menayangkan hasil survei kepuasan pelanggan pada IKM di website Balai Penelitian Ternak',
    'Instansi yang berwenang mengelola ZI'),
(6, 'VI', 'PENINGKATAN KUALITAS PELAYANAN PUBLIK', 3, 'Penilaian Kepuasan Pelayanan',
    3, 'Dilakukan tindak lanjut atas hasil survei kepuasan masyarakat',
    1, 'Menindaklanjuti hasil IKM',
    'Instansi yang berwenang mengelola ZI');

-- Build the hierarchy from the flat rows.
INSERT INTO components (year, position, numeral, name)
SELECT DISTINCT 2021, c_pos, c_num, c_name FROM seed_rows ORDER BY c_pos;

INSERT INTO areas (component_id, position, name)
SELECT DISTINCT c.id, r.a_pos, r.a_name
FROM seed_rows r JOIN components c ON c.year = 2021 AND c.position = r.c_pos
ORDER BY r.c_pos, r.a_pos;

INSERT INTO indicators (area_id, position, text)
SELECT DISTINCT a.id, r.i_pos, r.i_text
FROM seed_rows r
JOIN components c ON c.year = 2021 AND c.position = r.c_pos
JOIN areas a ON a.component_id = c.id AND a.position = r.a_pos
ORDER BY r.c_pos, r.a_pos, r.i_pos;

INSERT INTO action_steps (indicator_id, position, text, authority_text)
SELECT i.id, r.s_pos, r.s_text, r.authority
FROM seed_rows r
JOIN components c ON c.year = 2021 AND c.position = r.c_pos
JOIN areas a ON a.component_id = c.id AND a.position = r.a_pos
JOIN indicators i ON i.area_id = a.id AND i.position = r.i_pos
ORDER BY r.c_pos, r.a_pos, r.i_pos, r.s_pos;

-- Units named by each KEWENANGAN cell: the unit itself ("Instansi yang berwenang
-- mengelola ZI"), the ministry centre ("kewenangan dari pusat") and Biro HUMAS Kementan.
INSERT INTO step_authorities (step_id, unit_id)
SELECT s.id, u.id
FROM action_steps s
JOIN indicators i ON i.id = s.indicator_id
JOIN areas a ON a.id = i.area_id
JOIN components c ON c.id = a.component_id AND c.year = 2021
JOIN units u ON
       (u.code = 'balitnak'   AND s.authority_text LIKE 'Instansi yang berwenang mengelola ZI%')
    OR (u.code = 'pusat'      AND s.authority_text LIKE '%kewenangan dari pusat%')
    OR (u.code = 'biro-humas' AND s.authority_text LIKE '%Biro HUMAS%');

DROP TABLE seed_rows;
