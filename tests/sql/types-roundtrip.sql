-- tests/sql/types-roundtrip.sql — every kind of column, key, object and
-- identifier a db dump has to carry through a restore unchanged.
--
--   sed 's/@DB@/rt_1/g' tests/sql/types-roundtrip.sql |
--       mariadb --no-defaults --socket=$LIFEBOAT_TEST_MYSQL_SOCKET -uroot
--
-- The tests replace @DB@ by a database name of their own, load this with the
-- plain client, dump it, restore it elsewhere and compare CHECKSUM TABLE of
-- every table and SHOW CREATE of every object.  Deterministic (no NOW(),
-- RAND() or UUID()); drops and recreates its database, so it can be re-run.
--
-- What a dump of it has to get right, beyond the obvious:
--   * FLOAT values that MariaDB prints lossily: SELECT shows a FLOAT with six
--     significant digits (16777216 prints as 16777200, the largest float as
--     3.40282e38), so a dumper that copies the text form changes the data;
--     CAST(col AS DOUBLE) gives digits that round-trip.  DOUBLE text is exact.
--   * BIT columns come back from the server as raw bytes, not digits.
--   * bytes 0x00-0xFF in BINARY/VARBINARY/BLOB/LONGBLOB, strings with NUL,
--     CR/LF, tab, Ctrl-Z, quotes, backslashes and 4-byte UTF-8 (emoji);
--     a latin1 column (the dump runs in utf8mb4).
--   * TIMESTAMP(6) values (stored in UTC; the dump's session is at +00:00);
--     TIME outside 0-24 h, negative TIME, DATETIME(6) and DATE at their limits.
--   * generated columns (VIRTUAL and STORED) that an INSERT must leave out,
--     and an INVISIBLE column that SELECT * does not return.
--   * rows over 16 MB (one protocol packet is at most 16 MB - 1).
--   * tables read in key ranges: an INT key with gaps and negative values
--     (2500 rows), a composite key with a string part (1200 rows), a table
--     with only a UNIQUE NOT NULL key (300 rows); tables that must be
--     streamed: no key at all (with duplicate rows), and only a nullable
--     unique key.
--   * InnoDB, MyISAM and Aria tables; foreign keys whose child sorts before
--     its parent; AUTO_INCREMENT counters above the highest id.
--   * names with spaces, backticks and reserved words.
--   * a view on a view whose name sorts first (needs placeholders or
--     ordering), a trigger that rewrites inserted rows (so it must be created
--     after the data), routines created under a non-default sql_mode, an
--     event created under a non-default time zone.

SET NAMES utf8mb4;
SET time_zone = '+00:00';
SET sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION';
SET SESSION max_recursive_iterations = 1000000;   -- 10.11 defaults to 1000

DROP DATABASE IF EXISTS `@DB@`;
-- Not the server's default collation (utf8mb4_unicode_ci): a restore must
-- recreate the database with its own.
CREATE DATABASE `@DB@` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
USE `@DB@`;

-- ---------------------------------------------------------------- numbers
CREATE TABLE ints (
  id INT NOT NULL,
  ti TINYINT, tu TINYINT UNSIGNED,
  si SMALLINT, su SMALLINT UNSIGNED,
  mi MEDIUMINT, mu MEDIUMINT UNSIGNED,
  i INT, iu INT UNSIGNED,
  bi BIGINT, bu BIGINT UNSIGNED,
  zf INT(8) UNSIGNED ZEROFILL,
  bo BOOL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;
INSERT INTO ints VALUES
  (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0, 0, 0),
  (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
      9223372036854775807, 18446744073709551615, 4294967295, 1),
  (3, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, 42, 0),
  (4, 0, 128, 0, 32768, 0, 8388608, 0, 2147483648, 0, 9223372036854775808, 7, -1),
  (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE decimals (
  id INT NOT NULL PRIMARY KEY,
  d65 DECIMAL(65,30),
  d10 DECIMAL(10,0),
  d52 DECIMAL(5,2) NOT NULL DEFAULT 0.00
) ENGINE=InnoDB;
INSERT INTO decimals VALUES
  (1, 99999999999999999999999999999999999.999999999999999999999999999999, 9999999999, 999.99),
  (2, -99999999999999999999999999999999999.999999999999999999999999999999, -9999999999, -999.99),
  (3, 0.000000000000000000000000000001, 1, 0.01),
  (4, -0.000000000000000000000000000001, -1, -0.01),
  (5, 12345678901234567890123456789012345.678901234567890123456789012345, 0, 0),
  (6, NULL, NULL, 0);

CREATE TABLE floats (
  id INT NOT NULL PRIMARY KEY,
  f FLOAT,
  d DOUBLE,
  fu FLOAT UNSIGNED,
  r REAL
) ENGINE=InnoDB;
INSERT INTO floats VALUES
  (1, 0, 0, 0, 0),
  (2, -0e0, -0e0, 0, -0e0),
  (3, 1.17549e-38, 2.2250738585072014e-308, 1.17549e-38, 2.2250738585072014e-308),
  (4, 3.40282e38, 1.7976931348623157e308, 3.40282e38, 1.7976931348623157e308),
  (5, -3.40282e38, -1.7976931348623157e308, 1, -1.7976931348623157e308),
  (6, 0.1, 0.1, 0.1, 0.1),
  (7, 1.4e-45, 4.9e-324, 1.4e-45, 4.9e-324),          -- subnormals
  (8, 16777216, 9007199254740993, 16777217, 0.30000000000000004),
  (9, 1e0/3e0, 1e0/3e0, 2e0/3e0, -1e0/3e0),
  (10, 3.4028234663852886e38, 123456789.12345679, 3.4028234663852886e38, 1e-300),
  (11, -123.456, -123.456e-100, 123.456, 6.02214076e23),
  (12, NULL, NULL, NULL, NULL);

CREATE TABLE bits (
  id INT NOT NULL PRIMARY KEY,
  b1 BIT(1), b7 BIT(7), b64 BIT(64), b13 BIT(13)
) ENGINE=InnoDB;
INSERT INTO bits VALUES
  (1, b'0', b'0000000', b'0', b'0'),
  (2, b'1', b'1111111', b'1111111111111111111111111111111111111111111111111111111111111111', b'1111111111111'),
  (3, b'1', b'0100111', b'1000000000000000000000000000000000000000000000000000000000000000', b'0000001011100'),
  (4, b'0', b'1011100', 0x5C27220D0A1A0009, 39),
  (5, NULL, NULL, NULL, NULL);

-- ---------------------------------------------------------- dates, times
CREATE TABLE times (
  id INT NOT NULL PRIMARY KEY,
  d DATE,
  t TIME,
  t6 TIME(6),
  dt DATETIME,
  dt6 DATETIME(6),
  ts6 TIMESTAMP(6) NULL DEFAULT NULL,
  tsu TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  y YEAR
) ENGINE=InnoDB;
INSERT INTO times VALUES
  (1, '1000-01-01', '-838:59:59', '-838:59:59.000000', '1000-01-01 00:00:00',
      '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000', '1970-01-01 00:00:01', 1901),
  (2, '9999-12-31', '838:59:59', '838:59:59.000000', '9999-12-31 23:59:59',
      '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '2038-01-19 03:14:07', 2155),
  (3, '2024-02-29', '00:00:00', '-00:00:00.000001', '2024-02-29 12:34:56',
      '2024-02-29 12:34:56.123456', '2024-03-31 01:30:00.500000', '2024-10-27 01:30:00', 0),
  (4, '1969-12-31', '-00:00:01', '123:45:56.789012', '1969-12-31 23:59:59',
      '1969-12-31 23:59:59.000001', '2001-09-09 01:46:40.000001', '2001-09-09 01:46:40', 2000),
  (5, NULL, NULL, NULL, NULL, NULL, NULL, '2020-01-01 00:00:00', NULL);

-- --------------------------------------------------------------- strings
CREATE TABLE strings (
  id INT NOT NULL PRIMARY KEY,
  c CHAR(20),
  vc VARCHAR(300),
  tx TEXT,
  mt MEDIUMTEXT,
  vb VARCHAR(40) COLLATE utf8mb4_bin,
  l1 VARCHAR(40) CHARACTER SET latin1,
  note VARCHAR(40)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO strings VALUES
  (1, 'plain', 'plain', 'plain', 'plain', 'plain', 'plain', 'ascii'),
  (2, '😀🎉', 'emoji 😀 and 🐬 and 𝄞 (4-byte)', 'Zürich, Ελληνικά, 日本語, עברית, 😀', '👍🏽 skin tone, 👨‍👩‍👧 ZWJ', '😀', 'Zürich é ñ ß', 'non-ascii'),
  (3, 'it''s', 'single '' double " back ` slash \\ end', 'O''Brien said "hi" \\n is not a newline', '\'\"\\', '\\\\', '''', 'quotes'),
  (4, CONCAT('a', CHAR(0), 'b'), CONCAT('nul', CHAR(0), 'in', CHAR(0, 0), 'middle'), CONCAT(CHAR(0)), CONCAT('x', CHAR(0)), CHAR(0), CONCAT('l', CHAR(0)), 'NUL'),
  (5, 'a\tb', 'line1\nline2\r\nline3\rend', 'tab\there\nand CR\r', CONCAT('ctrl-z', CHAR(26), 'after'), CHAR(26), 'a\r\nb', 'controls'),
  (6, '', '', '', '', '', '', 'empty strings'),
  (7, NULL, NULL, NULL, NULL, NULL, NULL, 'nulls'),
  (8, 'NULL', 'NULL', 'null', '\\N', '\N', 'NULL', 'the word NULL'),
  (9, ' lead', 'trailing spaces   ', '  both  ', CONCAT('trailing tab', CHAR(9)), 'x ', 'y  ', 'spaces'),
  (10, '%_*?', '0x41 b''01'' _binary''x'' /* not a comment */ -- nor this', ';\nDELIMITER ;;\n', '$$ ;; //', 'USE `x`;', 'DROP', 'sql-ish');

-- ---------------------------------------------------------------- binary
SET @all256 = (
  SELECT UNHEX(GROUP_CONCAT(LPAD(HEX(n), 2, '0') ORDER BY n SEPARATOR ''))
  FROM (WITH RECURSIVE s AS (SELECT 0 AS n UNION ALL SELECT n + 1 FROM s WHERE n < 255)
        SELECT n FROM s) AS bytes);

CREATE TABLE binaries (
  id INT NOT NULL PRIMARY KEY,
  bn BINARY(16),
  vb VARBINARY(300),
  tb TINYBLOB,
  bl BLOB,
  lb LONGBLOB
) ENGINE=InnoDB;
INSERT INTO binaries VALUES
  (1, LEFT(@all256, 16), @all256, LEFT(@all256, 255), @all256, @all256),
  (2, UNHEX('FFFEFDFC00000000000000000000005C'), REVERSE(@all256), RIGHT(@all256, 255),
      CONCAT(@all256, @all256, @all256), REPEAT(@all256, 1000)),
  (3, UNHEX('00'), UNHEX('00'), UNHEX('27'), UNHEX('5C'), UNHEX('1A')),
  (4, UNHEX('275C220D0A1A0900'), UNHEX('275C220D0A1A0900'), '', '', ''),
  (5, NULL, NULL, NULL, NULL, NULL),
  (6, UNHEX('F09F9880'), UNHEX('C3'), UNHEX('FF'), UNHEX('EDA080'), UNHEX('80808080'));

-- ------------------------------------------------------ json, enum, set
-- No emoji in ENUM/SET members: MariaDB keeps table definitions in utf8mb3,
-- so SHOW CREATE TABLE prints a 4-byte member as '?' and no dump can restore it.
CREATE TABLE docs (
  id INT NOT NULL PRIMARY KEY,
  j JSON,
  e ENUM('small', 'medium', 'large', 'it''s', 'grün'),
  s SET('a', 'b', 'c', 'd e', ''''),
  e2 ENUM('x', 'y') NOT NULL DEFAULT 'y'
) ENGINE=InnoDB;
INSERT INTO docs VALUES
  (1, '{"a": 1, "b": [true, false, null], "c": {"d": "e"}}', 'small', 'a,c', 'x'),
  (2, '{"quote": "it''s \\"q\\"", "bs": "\\\\", "nl": "a\\nb", "u": "\\u00e9😀"}', 'it''s', '', 'y'),
  (3, '[]', 'grün', 'a,b,c,d e,''', 'x'),
  (4, '"just a string"', 'medium', 'd e', 'y'),
  (5, '12345678901234567890', 'large', 'b', 'x'),
  (6, 'null', NULL, NULL, 'y'),
  (7, NULL, NULL, NULL, 'x'),
  (8, '{"big": 1.7976931348623157e308, "neg": -0.0, "deep": [[[[[[1]]]]]]}', 'small', 'a', 'y');

-- ------------------------------------------------------------- geometry
CREATE TABLE shapes (
  id INT NOT NULL PRIMARY KEY,
  g GEOMETRY,
  p POINT,
  poly POLYGON,
  gc GEOMETRYCOLLECTION
) ENGINE=InnoDB;
INSERT INTO shapes VALUES
  (1, ST_GeomFromText('LINESTRING(0 0, 1 1, 2 0.5)'), ST_GeomFromText('POINT(1 2)'),
      ST_GeomFromText('POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 3 2, 3 3, 2 2))'),
      ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(0 0, 5 5))')),
  (2, ST_GeomFromText('POINT(-122.4194 37.7749)', 4326), ST_GeomFromText('POINT(1e300 -1e-300)'),
      ST_GeomFromText('POLYGON((0 0, 1 0, 0 1, 0 0))', 3857),
      ST_GeomFromText('GEOMETRYCOLLECTION EMPTY')),
  (3, NULL, NULL, NULL, NULL);

-- Spatial index: needs NOT NULL; a key on binary geometry data.
CREATE TABLE places (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  loc POINT NOT NULL,
  SPATIAL KEY sp_loc (loc)
) ENGINE=InnoDB;
INSERT INTO places (loc) VALUES (ST_GeomFromText('POINT(0 0)')), (ST_GeomFromText('POINT(39 92)')),
  (ST_GeomFromText('POINT(13.4050 52.5200)'));

-- ------------------------------------ generated and invisible columns
CREATE TABLE generated (
  id INT NOT NULL PRIMARY KEY,
  price DECIMAL(10,2) NOT NULL,
  qty INT NOT NULL,
  total DECIMAL(12,2) AS (price * qty) VIRTUAL,
  total_s DECIMAL(12,2) AS (price * qty) STORED,
  label VARCHAR(50) AS (CONCAT('#', id, ' x', qty)) PERSISTENT,
  secret INT INVISIBLE DEFAULT 7,
  KEY k_total_s (total_s)
) ENGINE=InnoDB;
INSERT INTO generated (id, price, qty, secret) VALUES
  (1, 9.99, 3, 1), (2, 0.01, 0, 2), (3, 1000.00, 7, NULL), (4, 5.50, 2, 4);

-- ------------------------------------------------------- keys, chunking
-- No key at all, duplicate rows: must be streamed, duplicates kept.
CREATE TABLE nokey (
  a INT,
  b VARCHAR(20),
  c BLOB
) ENGINE=InnoDB;
INSERT INTO nokey VALUES (1, 'dup', 'x'), (1, 'dup', 'x'), (1, 'dup', 'x'), (2, NULL, NULL),
  (2, NULL, NULL), (NULL, NULL, NULL), (3, 'three', UNHEX('00FF'));
INSERT INTO nokey
  SELECT n % 7, CONCAT('r', n % 5), NULL
  FROM (WITH RECURSIVE s AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM s WHERE n < 250)
        SELECT n FROM s) AS seq;

-- Only a nullable unique key (not usable for ranges): streamed too.
CREATE TABLE uniq_nullable (
  u INT NULL,
  v VARCHAR(10),
  UNIQUE KEY uq_u (u)
) ENGINE=InnoDB;
INSERT INTO uniq_nullable VALUES (NULL, 'a'), (NULL, 'b'), (1, 'c'), (2, 'd'), (NULL, 'e');

-- Composite primary key with a string part; 1200 rows.
CREATE TABLE composite (
  tenant VARCHAR(20) NOT NULL,
  seq INT NOT NULL,
  payload VARCHAR(40),
  PRIMARY KEY (tenant, seq)
) ENGINE=InnoDB;
INSERT INTO composite
  SELECT ELT(n % 6 + 1, 'alpha', 'Beta', 'gamma''s', 'delta 😀', '', 'z\\z'), n DIV 6 - 50,
         CONCAT('payload ', n)
  FROM (WITH RECURSIVE s AS (SELECT 0 AS n UNION ALL SELECT n + 1 FROM s WHERE n < 1199)
        SELECT n FROM s) AS seq;

-- Only a UNIQUE NOT NULL key (no primary key); 300 rows.
CREATE TABLE uniq_only (
  code CHAR(8) NOT NULL,
  n INT NOT NULL,
  info TEXT,
  UNIQUE KEY uq_code (code)
) ENGINE=InnoDB;
INSERT INTO uniq_only
  SELECT CONCAT('c', LPAD(n * 7 % 1000, 4, '0'), 'x'), n, IF(n % 10 = 0, NULL, REPEAT('i', n % 37))
  FROM (WITH RECURSIVE s AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM s WHERE n < 300)
        SELECT n FROM s) AS seq;

-- 2500 rows under an INT key with gaps and negative values: many chunks at
-- chunk_rows = 100.
CREATE TABLE many_rows (
  id INT NOT NULL AUTO_INCREMENT,
  grp SMALLINT NOT NULL,
  name VARCHAR(40) NOT NULL,
  amount DECIMAL(12,2),
  flag BIT(1),
  raw VARBINARY(8),
  PRIMARY KEY (id),
  KEY k_grp (grp)
) ENGINE=InnoDB;
INSERT INTO many_rows
  SELECT IF(n % 11 = 0, -n, n * 3), n % 17, CONCAT('row ', n, IF(n % 13 = 0, ' ''quoted''', '')),
         IF(n % 9 = 0, NULL, n * 1.25), n % 2, UNHEX(LPAD(HEX(n * 131), 8, '0'))
  FROM (WITH RECURSIVE s AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM s WHERE n < 2500)
        SELECT n FROM s) AS seq;
-- The counter is well above the highest id (7500).
ALTER TABLE many_rows AUTO_INCREMENT = 9000;

-- An empty table (with a counter that moved).
CREATE TABLE empty_table (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  v VARCHAR(10)
) ENGINE=InnoDB AUTO_INCREMENT=42;

-- Rows over 16 MB.  Names start with "big" (a test excludes big*).
CREATE TABLE big_rows (
  id INT NOT NULL PRIMARY KEY,
  t LONGTEXT,
  b LONGBLOB
) ENGINE=InnoDB;
INSERT INTO big_rows VALUES (1, REPEAT('x', 17 * 1024 * 1024), NULL);
INSERT INTO big_rows VALUES (2, NULL, REPEAT('x', 17 * 1024 * 1024));
INSERT INTO big_rows VALUES (3, 'small', UNHEX('00'));

-- ------------------------------------------------ engines other than InnoDB
CREATE TABLE legacy_myisam (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  body TEXT,
  FULLTEXT KEY ft_body (body)
) ENGINE=MyISAM DEFAULT CHARSET=utf8mb4;
INSERT INTO legacy_myisam (body) VALUES ('myisam one'), ('myisam 😀 two'), (NULL), ('');

CREATE TABLE legacy_aria (
  id INT NOT NULL PRIMARY KEY,
  body VARCHAR(100),
  bin VARBINARY(20)
) ENGINE=Aria DEFAULT CHARSET=utf8mb4;
INSERT INTO legacy_aria VALUES (1, 'aria one', UNHEX('00FF')), (2, 'aria ''two''', NULL), (3, NULL, '');

-- ---------------------------------------------------------- foreign keys
-- The child's name sorts before its parent's.
CREATE TABLE zz_parent (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(40) NOT NULL,
  UNIQUE KEY uq_name (name)
) ENGINE=InnoDB;
CREATE TABLE aa_child (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  parent_id INT NOT NULL,
  parent_name VARCHAR(40) NULL,
  note VARCHAR(40),
  CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES zz_parent (id)
    ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT fk_child_pname FOREIGN KEY (parent_name) REFERENCES zz_parent (name)
    ON DELETE SET NULL
) ENGINE=InnoDB;
INSERT INTO zz_parent (id, name) VALUES (1, 'one'), (2, 'two'), (5, 'five');
INSERT INTO aa_child (parent_id, parent_name, note) VALUES
  (1, 'one', 'first'), (1, NULL, 'second'), (5, 'five', 'third'), (2, 'two', 'fourth');
-- A self-reference.
CREATE TABLE tree (
  id INT NOT NULL PRIMARY KEY,
  parent INT NULL,
  CONSTRAINT fk_tree_parent FOREIGN KEY (parent) REFERENCES tree (id)
) ENGINE=InnoDB;
INSERT INTO tree VALUES (1, NULL), (2, 1), (3, 2), (4, 1);
-- Row 1 now references row 4: in key order a child comes before its parent.
UPDATE tree SET parent = 4 WHERE id = 1;

-- ----------------------------------------------------- awkward identifiers
CREATE TABLE `select` (
  `from` INT NOT NULL PRIMARY KEY,
  `where` VARCHAR(20),
  `order by` INT,
  `key` INT,
  UNIQUE KEY `index` (`key`)
) ENGINE=InnoDB;
INSERT INTO `select` VALUES (1, 'w', 2, 3), (2, NULL, NULL, NULL), (3, 'x', 4, 5);

CREATE TABLE `we``ird name` (
  `col with spaces` INT NOT NULL,
  `back``tick` VARCHAR(20),
  `dot.in.name` INT,
  `-dash` INT,
  `123` INT,
  PRIMARY KEY (`col with spaces`)
) ENGINE=InnoDB;
INSERT INTO `we``ird name` VALUES (1, 'a`b', 1, -1, 123), (2, '``', NULL, NULL, NULL);

CREATE TABLE `table with spaces` (
  `id` INT NOT NULL PRIMARY KEY,
  `group` VARCHAR(10)
) ENGINE=InnoDB;
INSERT INTO `table with spaces` VALUES (1, 'g1'), (2, 'g2');

-- ----------------------------------------------------------------- views
-- The base view's name sorts after the view built on it.
CREATE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW v_zbase AS
  SELECT id, grp, name, amount FROM many_rows WHERE amount IS NOT NULL;
CREATE VIEW v_aontop AS
  SELECT grp, COUNT(*) AS n, SUM(amount) AS total FROM v_zbase GROUP BY grp;
CREATE VIEW `v weird` AS
  SELECT `from` AS `to`, `where` FROM `select` WHERE `key` IS NOT NULL
  WITH CHECK OPTION;
CREATE VIEW v_join AS
  SELECT c.id, c.note, p.name FROM aa_child c JOIN zz_parent p ON p.id = c.parent_id;

-- -------------------------------------------------------------- triggers
-- Rewrites the rows it sees: a dump that creates it before loading the data
-- changes every row on restore.
DELIMITER ;;
CREATE TRIGGER trg_child_note BEFORE INSERT ON aa_child FOR EACH ROW
BEGIN
  SET NEW.note = CONCAT(COALESCE(NEW.note, ''), ' (checked)');
END;;
DELIMITER ;
INSERT INTO aa_child (parent_id, parent_name, note) VALUES (2, NULL, 'fifth');

CREATE TABLE audit (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  what VARCHAR(60) NOT NULL
) ENGINE=InnoDB;
CREATE TRIGGER trg_parent_audit AFTER INSERT ON zz_parent FOR EACH ROW
  INSERT INTO audit (what) VALUES (CONCAT('parent ', NEW.id, ' ', NEW.name));
INSERT INTO zz_parent (id, name) VALUES (7, 'seven');

-- -------------------------------------------------------------- routines
DELIMITER ;;
CREATE PROCEDURE add_parent(IN p_name VARCHAR(40), OUT p_id INT)
  MODIFIES SQL DATA
  COMMENT 'adds a parent; it''s a test'
BEGIN
  DECLARE EXIT HANDLER FOR SQLEXCEPTION SET p_id = -1;
  INSERT INTO zz_parent (name) VALUES (p_name);
  SET p_id = LAST_INSERT_ID();
END;;
DELIMITER ;

-- Under PIPES_AS_CONCAT, || concatenates: the body means something else
-- under the default sql_mode, so the dump must restore the routine's mode.
SET sql_mode = 'PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION';
DELIMITER ;;
CREATE FUNCTION shout(s VARCHAR(100)) RETURNS VARCHAR(120) CHARSET utf8mb4
  DETERMINISTIC NO SQL
BEGIN
  RETURN UPPER(s) || '! 😀';
END;;
DELIMITER ;
SET sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION';

CREATE FUNCTION `select count`(g INT) RETURNS INT READS SQL DATA
  RETURN (SELECT COUNT(*) FROM many_rows WHERE grp = g);

-- ---------------------------------------------------------------- events
-- Disabled (never fires); created at +02:00, which SHOW CREATE EVENT reports.
SET time_zone = '+02:00';
DELIMITER ;;
CREATE EVENT ev_cleanup
  ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00'
  ON COMPLETION PRESERVE
  DISABLE
  COMMENT 'nightly cleanup'
  DO
BEGIN
  DELETE FROM audit WHERE id < 0;
END;;
DELIMITER ;
SET time_zone = '+00:00';
CREATE EVENT ev_once ON SCHEDULE AT '2031-06-01 12:00:00' ON COMPLETION PRESERVE DISABLE
  DO UPDATE zz_parent SET name = name WHERE id = 0;
