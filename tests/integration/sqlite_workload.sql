-- Workload (b) of the live sandbox's integration tests: the sqlite3 CLI
-- creating a database of about 50 MB and querying it.  Every value is a
-- function of the row number (no random(), no dates), every result is
-- ordered, so the output is deterministic.  The page cache is made large
-- (cache_size = -200000: 200 MB) so that the database lives in the process's
-- anonymous memory (malloc'd cache pages), which is what the pager manages.
-- Under a budget of ~15% of the peak, the scans and sorts below go through
-- the cache in order; the random phases are bounded (the 'range' query's
-- 64,000 row lookups by key).  PRAGMA integrity_check would look every row up
-- in every index at random: quick_check checks the pages without that.
PRAGMA cache_size = -200000;
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA temp_store = MEMORY;

CREATE TABLE item(id INTEGER PRIMARY KEY, k TEXT, grp INTEGER, v INTEGER, pad TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 320000)
INSERT INTO item
SELECT x,
       printf('key%08d', (x * 7919) % 1000003),
       x % 1000,
       (x * 104729) % 1000003,
       printf('%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x',
              (x * 2654435761) % 4294967296, (x * 40503) % 4294967296,
              (x * 2246822519) % 4294967296, (x * 3266489917) % 4294967296,
              (x * 668265263) % 4294967296, (x * 374761393) % 4294967296,
              (x * 1103515245 + 12345) % 4294967296, (x * 69069 + 1) % 4294967296,
              (x * 22695477 + 1) % 4294967296, (x * 1664525 + 1013904223) % 4294967296,
              (x * 134775813 + 1) % 4294967296, (x * 214013 + 2531011) % 4294967296)
FROM c;
CREATE INDEX item_k ON item(k);
CREATE INDEX item_grp_v ON item(grp, v);

SELECT 'rows', count(*), sum(v), sum(length(pad)) FROM item;
SELECT 'groups', grp, count(*), sum(v), min(v), max(v) FROM item GROUP BY grp ORDER BY sum(v) DESC, grp LIMIT 5;
SELECT 'top', id, k, v FROM item ORDER BY v DESC, id LIMIT 5;
SELECT 'range', count(*), sum(v) FROM item WHERE k BETWEEN 'key00100000' AND 'key00300000';
SELECT 'join', count(*), sum(a.v - b.v) FROM item a JOIN item b ON b.id = a.id + 1 WHERE a.grp = b.grp - 1;
SELECT 'pad', substr(pad, 1, 24), count(*) FROM item GROUP BY substr(pad, 1, 3) ORDER BY count(*) DESC, 2 LIMIT 3;

UPDATE item SET v = (v * 3 + grp) % 1000003 WHERE id % 3 = 0;
DELETE FROM item WHERE id % 10 = 7;
SELECT 'after', count(*), sum(v), total(length(k)) FROM item;
SELECT 'median', v FROM item ORDER BY v LIMIT 1 OFFSET (SELECT count(*) / 2 FROM item);
PRAGMA quick_check;
SELECT 'pages', page_count * page_size / 1048576 FROM pragma_page_count, pragma_page_size;
