-- tests/sql/exact-roundtrip.sql — values and objects that a dump restores
-- wrong unless it takes care: loaded into a database that
-- tests/sql/types-roundtrip.sql has made (it does not create or drop it).
--
--   sed 's/@DB@/rt_1/g' tests/sql/exact-roundtrip.sql |
--       mariadb --no-defaults --socket=$LIFEBOAT_TEST_MYSQL_SOCKET -uroot
--
-- MariaDB 10.11 or later (history insert, application periods).  What each
-- part asks of a dump:
--   * permissive_dates: values stored under ALLOW_INVALID_DATES and without
--     NO_ZERO_DATE / NO_ZERO_IN_DATE; a restore session whose sql_mode lacks
--     ALLOW_INVALID_DATES turns 2021-02-30 into 0000-00-00 without an error.
--   * sequences: start, bounds, increment, cache and cycle, and the state
--     (next value, cycles done); SHOW CREATE TABLE of a sequence restores it
--     as start 1 increment 1.
--   * system-versioned tables (implicit ROW_START/ROW_END, explicit
--     timestamp columns, invisible ones) with history rows; an application
--     period table and a bitemporal one.  Their row start/end times are
--     those of the load, so a restore that does not insert history shows
--     other times (and loses the old row versions).
--   * partitions, an invisible column, CHECK constraints, DEFAULT
--     expressions, COMPRESSED columns, triggers ordered with FOLLOWS and
--     PRECEDES, columns in latin1, cp1251, sjis, ucs2 and ascii, spatial and
--     full-text indexes on InnoDB, AUTO_INCREMENT counters past the highest
--     row, events with their status and ON COMPLETION.

SET NAMES utf8mb4;
SET time_zone = '+00:00';
USE `@DB@`;

-- --------------------------------------------------------------- dates
SET sql_mode = 'ALLOW_INVALID_DATES';
CREATE TABLE permissive_dates (
  id INT PRIMARY KEY,
  d DATE,
  dt DATETIME(3),
  ts TIMESTAMP NULL DEFAULT NULL
) ENGINE=InnoDB;
INSERT INTO permissive_dates VALUES
  (1, '2021-02-30', '2019-04-31 12:00:00.125', '2020-02-30 01:02:03'),
  (2, '0000-00-00', '0000-00-00 00:00:00.000', '0000-00-00 00:00:00'),
  (3, '2020-00-15', '2020-05-00 10:00:00.000', NULL),
  (4, '2020-02-29', '9999-12-31 23:59:59.999', '2038-01-19 03:14:07');
SET sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

-- ----------------------------------------------------------- sequences
CREATE SEQUENCE seq_plain START WITH 100 INCREMENT BY 5 MINVALUE 10 MAXVALUE 100000 NOCACHE NOCYCLE;
DO NEXTVAL(seq_plain), NEXTVAL(seq_plain), NEXTVAL(seq_plain);
CREATE SEQUENCE seq_cycle START WITH 3 INCREMENT BY 2 MINVALUE 1 MAXVALUE 9 NOCACHE CYCLE;
DO NEXTVAL(seq_cycle), NEXTVAL(seq_cycle), NEXTVAL(seq_cycle), NEXTVAL(seq_cycle), NEXTVAL(seq_cycle);
CREATE SEQUENCE seq_down START WITH -1 INCREMENT BY -3 MINVALUE -1000 MAXVALUE -1 CACHE 20;
CREATE SEQUENCE seq_unused START WITH 7;
-- Run out: must stay so (its state is past its maximum).
CREATE SEQUENCE seq_spent START WITH 1 MAXVALUE 3 NOCACHE NOCYCLE;
DO NEXTVAL(seq_spent), NEXTVAL(seq_spent), NEXTVAL(seq_spent);

-- ------------------------------------------------------------- history
CREATE TABLE hist_implicit (
  id INT PRIMARY KEY,
  v VARCHAR(20)
) ENGINE=InnoDB WITH SYSTEM VERSIONING;
INSERT INTO hist_implicit VALUES (1, 'one'), (2, 'two'), (3, 'three');
UPDATE hist_implicit SET v = 'ONE' WHERE id = 1;
UPDATE hist_implicit SET v = 'One' WHERE id = 1;
DELETE FROM hist_implicit WHERE id = 2;

CREATE TABLE hist_explicit (
  id INT PRIMARY KEY,
  price DECIMAL(10,2),
  valid_from TIMESTAMP(6) GENERATED ALWAYS AS ROW START,
  valid_to TIMESTAMP(6) GENERATED ALWAYS AS ROW END INVISIBLE,
  PERIOD FOR SYSTEM_TIME (valid_from, valid_to)
) ENGINE=InnoDB WITH SYSTEM VERSIONING;
INSERT INTO hist_explicit (id, price) VALUES (1, 9.99), (2, 19.99);
UPDATE hist_explicit SET price = price * 2;
DELETE FROM hist_explicit WHERE id = 2;

-- More row versions than a chunk (the tests dump 100 rows a query): read in
-- key ranges along (id, ROW_END), as the key alone repeats in the history.
CREATE TABLE hist_many (
  id INT PRIMARY KEY,
  n INT
) ENGINE=InnoDB WITH SYSTEM VERSIONING;
INSERT INTO hist_many WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 150) SELECT i, 0 FROM c;
UPDATE hist_many SET n = 1;
UPDATE hist_many SET n = 2 WHERE id % 2 = 0;
DELETE FROM hist_many WHERE id > 140;

-- History in partitions of its own, by time (p0 holds 2000, p1 the rest).
-- (Not by LIMIT: the server moves to the next history partition when one is
-- full at the start of a statement, so where a history row lands depends on
-- how the statements that wrote it were cut; a restore puts them elsewhere.)
CREATE TABLE hist_parts (
  id INT PRIMARY KEY,
  v INT
) ENGINE=InnoDB WITH SYSTEM VERSIONING
  PARTITION BY SYSTEM_TIME INTERVAL 1 YEAR STARTS '2000-01-01 00:00:00'
  (PARTITION p0 HISTORY, PARTITION p1 HISTORY, PARTITION pn CURRENT);
INSERT INTO hist_parts VALUES (1, 0), (2, 0);
UPDATE hist_parts SET v = v + 1;
UPDATE hist_parts SET v = v + 1;

-- A history without a key: streamed.
CREATE TABLE hist_nokey (
  note VARCHAR(20)
) ENGINE=InnoDB WITH SYSTEM VERSIONING;
INSERT INTO hist_nokey VALUES ('a'), ('a'), ('b');
UPDATE hist_nokey SET note = 'c' WHERE note = 'b';

-- Application time.
CREATE TABLE app_period (
  id INT,
  room VARCHAR(10),
  date_from DATE,
  date_to DATE,
  PERIOD FOR booked (date_from, date_to),
  PRIMARY KEY (id, booked WITHOUT OVERLAPS)
) ENGINE=InnoDB;
INSERT INTO app_period VALUES (1, 'blue', '2024-01-01', '2024-12-31'), (2, 'red', '2024-03-01', '2024-03-08');
DELETE FROM app_period FOR PORTION OF booked FROM '2024-06-01' TO '2024-07-01' WHERE id = 1;

-- Both: application time and system versioning.
CREATE TABLE bitemporal (
  id INT,
  rate DECIMAL(5,2),
  date_from DATE,
  date_to DATE,
  PERIOD FOR valid (date_from, date_to),
  PRIMARY KEY (id, date_from)
) ENGINE=InnoDB WITH SYSTEM VERSIONING;
INSERT INTO bitemporal VALUES (1, 1.50, '2024-01-01', '2025-01-01');
UPDATE bitemporal FOR PORTION OF valid FROM '2024-07-01' TO '2025-01-01' SET rate = 2.00;

-- ------------------------------------------------------- other objects
CREATE TABLE parts_range (
  id INT NOT NULL,
  y SMALLINT NOT NULL,
  v VARCHAR(10),
  PRIMARY KEY (id, y)
) ENGINE=InnoDB
  PARTITION BY RANGE (y) (
    PARTITION p2020 VALUES LESS THAN (2021),
    PARTITION p2021 VALUES LESS THAN (2022) COMMENT 'last year',
    PARTITION pmax VALUES LESS THAN MAXVALUE);
INSERT INTO parts_range VALUES (1, 2019, 'a'), (2, 2021, 'b'), (3, 2030, 'c');

CREATE TABLE parts_hash (
  id INT PRIMARY KEY,
  v INT
) ENGINE=InnoDB PARTITION BY HASH (id) PARTITIONS 3;
INSERT INTO parts_hash VALUES (1, 1), (2, 2), (3, 3), (4, 4);

CREATE TABLE checks_defaults (
  id INT AUTO_INCREMENT PRIMARY KEY,
  qty INT NOT NULL DEFAULT (1 + 1) CHECK (qty >= 0),
  price DECIMAL(8,2) DEFAULT 0.00,
  label VARCHAR(30) DEFAULT (CONCAT('item-', 'x')),
  created DATETIME DEFAULT '2001-02-03 04:05:06',
  hidden_note VARCHAR(10) INVISIBLE DEFAULT 'secret',
  CONSTRAINT price_ok CHECK (price >= 0 AND price < 100000)
) ENGINE=InnoDB AUTO_INCREMENT=1;
INSERT INTO checks_defaults (qty, price) VALUES (3, 1.50), (DEFAULT, 2.00);
INSERT INTO checks_defaults (id, qty, price, hidden_note) VALUES (50, 0, 0, 'seen');
DELETE FROM checks_defaults WHERE id = 50;

CREATE TABLE compressed_cols (
  id INT PRIMARY KEY,
  body BLOB COMPRESSED,
  note VARCHAR(500) COMPRESSED CHARACTER SET latin1
) ENGINE=InnoDB;
INSERT INTO compressed_cols VALUES (1, REPEAT('abc', 300), REPEAT('xyz', 100)), (2, NULL, ''), (3, x'00ff10', 'caf\xe9');

CREATE TABLE charsets (
  id INT PRIMARY KEY,
  l1 VARCHAR(20) CHARACTER SET latin1,
  cyr VARCHAR(20) CHARACTER SET cp1251,
  jp VARCHAR(20) CHARACTER SET sjis,
  wide VARCHAR(20) CHARACTER SET ucs2,
  plain VARCHAR(20) CHARACTER SET ascii,
  u3 VARCHAR(20) CHARACTER SET utf8mb3
) ENGINE=InnoDB DEFAULT CHARSET=latin1;
INSERT INTO charsets VALUES
  (1, 'café €', 'Привет', '日本語', 'ŵide ☃', 'plain', 'ü'),
  (2, CONVERT(x'80818d8f909d' USING latin1), CONVERT(x'c0ff' USING cp1251), CONVERT(x'8260' USING sjis), NULL, '', NULL);

CREATE TABLE geo_ft (
  id INT PRIMARY KEY,
  pt POINT NOT NULL,
  area POLYGON REF_SYSTEM_ID=4326,
  body TEXT,
  SPATIAL KEY sp_pt (pt),
  FULLTEXT KEY ft_body (body)
) ENGINE=InnoDB;
INSERT INTO geo_ft VALUES
  (1, POINT(1, 2), ST_PolygonFromText('POLYGON((0 0,0 1,1 1,1 0,0 0))', 4326), 'the quick brown fox'),
  (2, POINT(-1.5, 1e10), NULL, 'jumps over');

CREATE TABLE counter (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  v INT
) ENGINE=InnoDB;
INSERT INTO counter (v) VALUES (1), (2);
INSERT INTO counter (id, v) VALUES (5000, 3);
DELETE FROM counter WHERE id = 5000;

CREATE TABLE ordered_log (
  id INT AUTO_INCREMENT PRIMARY KEY,
  msg VARCHAR(40)
) ENGINE=InnoDB;
CREATE TABLE ordered (
  id INT PRIMARY KEY,
  v INT
) ENGINE=InnoDB;
INSERT INTO ordered VALUES (1, 1);
-- Created in this order, fire as trg_b, trg_a, trg_c: the dump must
-- recreate them so (ACTION_ORDER 1, 2, 3) and after the rows.
CREATE TRIGGER trg_a BEFORE INSERT ON ordered FOR EACH ROW INSERT INTO ordered_log (msg) VALUES ('a');
CREATE TRIGGER trg_b BEFORE INSERT ON ordered FOR EACH ROW PRECEDES trg_a INSERT INTO ordered_log (msg) VALUES ('b');
CREATE TRIGGER trg_c BEFORE INSERT ON ordered FOR EACH ROW FOLLOWS trg_a INSERT INTO ordered_log (msg) VALUES ('c');

CREATE EVENT ev_disabled_keep ON SCHEDULE EVERY 2 HOUR STARTS '2030-01-01 00:00:00' ENDS '2031-01-01 00:00:00'
  ON COMPLETION PRESERVE DISABLE COMMENT 'kept when done' DO DELETE FROM counter WHERE v < 0;
CREATE EVENT ev_slave ON SCHEDULE AT '2032-02-02 02:02:02' ON COMPLETION NOT PRESERVE DISABLE ON SLAVE
  DO DELETE FROM counter WHERE v < 0;
CREATE EVENT ev_drop_after ON SCHEDULE EVERY 1 DAY STARTS '2030-05-05 05:05:05' ON COMPLETION NOT PRESERVE DISABLE
  DO DELETE FROM counter WHERE v < -1;

SET sql_mode = DEFAULT;
