-- tests/sql/sample-site.sql — a small PHP shop's database, for Lifeboat's tests
-- and demo.  Deterministic (fixed dates, no RAND()/NOW()) and re-runnable: it
-- drops and recreates its own objects inside database `shop`.
--
--   mariadb --no-defaults --socket=$LIFEBOAT_TEST_MYSQL_SOCKET -uroot < tests/sql/sample-site.sql
--
-- What a dump of it has to get right:
--   * InnoDB tables with foreign keys (orders -> customers, order_items -> orders
--     and products), so restore order and FOREIGN_KEY_CHECKS matter;
--   * a composite primary key (order_items) and a table with no key at all
--     (order_log), for chunked and streamed reads;
--   * utf8mb4 text with accents and emoji, quotes and backslashes, NULLs,
--     DECIMALs, and binary bytes (00, 27 ', 5C \, 22 ") in a VARBINARY column;
--   * a view, a trigger and a stored function.
-- Row counts: customers 12, products 10, orders 12, order_items 24,
-- users 6, order_log 12.

SET NAMES utf8mb4;
CREATE DATABASE IF NOT EXISTS shop
  DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE shop;

SET FOREIGN_KEY_CHECKS = 0;
DROP VIEW IF EXISTS order_totals;
DROP FUNCTION IF EXISTS order_total;
DROP TABLE IF EXISTS order_log, order_items, orders, products, customers, users;
SET FOREIGN_KEY_CHECKS = 1;

CREATE TABLE customers (
  id          INT UNSIGNED NOT NULL AUTO_INCREMENT,
  email       VARCHAR(190) NOT NULL,
  full_name   VARCHAR(120) NOT NULL,
  city        VARCHAR(80)  NULL,
  country     CHAR(2)      NOT NULL,
  created_at  DATETIME     NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_customers_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE products (
  id          INT UNSIGNED NOT NULL AUTO_INCREMENT,
  sku         VARCHAR(32)   NOT NULL,
  name        VARCHAR(160)  NOT NULL,
  description TEXT          NULL,
  price       DECIMAL(10,2) NOT NULL,
  stock       INT           NOT NULL DEFAULT 0,
  thumbnail   VARBINARY(64) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_products_sku (sku)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE orders (
  id          INT UNSIGNED NOT NULL AUTO_INCREMENT,
  customer_id INT UNSIGNED NOT NULL,
  status      ENUM('pending','paid','shipped','cancelled') NOT NULL DEFAULT 'pending',
  placed_at   DATETIME     NOT NULL,
  note        VARCHAR(255) NULL,
  PRIMARY KEY (id),
  KEY ix_orders_customer (customer_id),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE order_items (
  order_id    INT UNSIGNED  NOT NULL,
  line_no     SMALLINT UNSIGNED NOT NULL,
  product_id  INT UNSIGNED  NOT NULL,
  quantity    INT UNSIGNED  NOT NULL,
  unit_price  DECIMAL(10,2) NOT NULL,
  PRIMARY KEY (order_id, line_no),
  KEY ix_items_product (product_id),
  CONSTRAINT fk_items_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
  CONSTRAINT fk_items_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The web site's back-office accounts; hashes are PHP password_hash() bcrypt.
CREATE TABLE users (
  id            INT UNSIGNED NOT NULL AUTO_INCREMENT,
  login         VARCHAR(60)  NOT NULL,
  display_name  VARCHAR(120) NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  role          ENUM('admin','editor','support') NOT NULL,
  last_login    DATETIME     NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_users_login (login)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Filled by the trigger below; deliberately has no key of any kind.
CREATE TABLE order_log (
  order_id    INT UNSIGNED NOT NULL,
  event       VARCHAR(32)  NOT NULL,
  at          DATETIME     NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TRIGGER orders_after_insert AFTER INSERT ON orders
  FOR EACH ROW
  INSERT INTO order_log (order_id, event, at) VALUES (NEW.id, 'created', NEW.placed_at);

INSERT INTO customers (id, email, full_name, city, country, created_at) VALUES
  (1,  'alice.martin@example.com',   'Alice Martin',       'Lyon',       'FR', '2024-01-03 09:12:00'),
  (2,  'bob.okafor@example.net',     'Bob Okafor',         'Lagos',      'NG', '2024-01-05 14:40:10'),
  (3,  'zoe.mueller@example.de',     'Zoë Müller',         'München',    'DE', '2024-01-09 18:02:33'),
  (4,  'jose.garcia@example.es',     'José García',        'Sevilla',    'ES', '2024-01-15 08:55:00'),
  (5,  'sean.obrien@example.ie',     'Seán O''Brien',      'Cork',       'IE', '2024-02-01 11:20:45'),
  (6,  'mei.chen@example.com',       'Mei Chen 陈美',       'Taipei',     'TW', '2024-02-11 03:14:15'),
  (7,  'anna.lukasiewicz@example.pl','Anna Łukasiewicz',   'Kraków',     'PL', '2024-02-20 16:00:00'),
  (8,  'lars.nilsson@example.se',    'Lars Nilsson',       NULL,         'SE', '2024-03-02 07:45:30'),
  (9,  'priya.raman@example.in',     'Priya Raman',        'Chennai',    'IN', '2024-03-14 12:12:12'),
  (10, 'tom.baker@example.co.uk',    'Tom "TB" Baker',     'Bristol',    'GB', '2024-03-30 22:05:00'),
  (11, 'noemie.roy@example.ca',      'Noémie Roy 🚲',      'Montréal',   'CA', '2024-04-04 10:10:10'),
  (12, 'kenji.sato@example.jp',      'Kenji Sato',         'Ōsaka',      'JP', '2024-04-18 19:30:00');

INSERT INTO products (id, sku, name, description, price, stock, thumbnail) VALUES
  (1,  'MUG-001',  'Café crème mug ☕',      'Stoneware, 350 ml. Dishwasher safe.',           12.50, 140, X'89504E470D0A1A0A0000000D49484452'),
  (2,  'TEE-BLK-M','Black T-shirt (M)',      'Organic cotton; "classic" fit.',                19.90,  60, NULL),
  (3,  'TEE-BLK-L','Black T-shirt (L)',      'Organic cotton; "classic" fit.',                19.90,  45, NULL),
  (4,  'BAG-TOTE', 'Canvas tote bag',        'Holds 10 kg. Printed in Zürich.',               9.00,  200, X'FFD8FFE000104A464946000101'),
  (5,  'STK-PACK', 'Sticker pack 🚀',        'Ten vinyl stickers.\nWeatherproof.',             4.25,  500, NULL),
  (6,  'BOOK-PHP', 'Pragmatic PHP, 2nd ed.', 'Paths like C:\\xampp\\htdocs explained.',       34.00,  25, NULL),
  (7,  'CAP-NAVY', 'Navy cap',               NULL,                                            15.00,  80, NULL),
  (8,  'PEN-SET',  'Fountain pen set',       'Includes 6 cartridges; nib size ''F''.',        27.75,  30, X'00275C2200FF0A0D1A'),
  (9,  'POST-A2',  'Poster A2 — Night sky',  'Matte paper, 170 g/m².',                        11.00,  75, NULL),
  (10, 'GIFT-25',  'Gift card €25',          'Valid 12 months.',                              25.00, 999, NULL);

INSERT INTO orders (id, customer_id, status, placed_at, note) VALUES
  (1,  1,  'shipped',   '2024-05-01 10:00:00', NULL),
  (2,  3,  'shipped',   '2024-05-02 12:30:00', 'Bitte beim Nachbarn abgeben.'),
  (3,  4,  'paid',      '2024-05-03 09:15:00', NULL),
  (4,  2,  'cancelled', '2024-05-03 17:45:00', 'Customer changed mind'),
  (5,  5,  'shipped',   '2024-05-05 08:00:00', 'Leave at the door, it''s fine'),
  (6,  6,  'paid',      '2024-05-06 21:21:21', '请小心轻放'),
  (7,  1,  'pending',   '2024-05-07 07:07:07', NULL),
  (8,  7,  'shipped',   '2024-05-08 13:00:00', NULL),
  (9,  11, 'paid',      '2024-05-09 15:30:00', 'Merci! 🎉'),
  (10, 9,  'pending',   '2024-05-10 11:11:11', NULL),
  (11, 10, 'shipped',   '2024-05-11 16:45:00', 'Gift wrap please'),
  (12, 12, 'paid',      '2024-05-12 06:30:00', NULL);

INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price) VALUES
  (1, 1, 1, 2, 12.50), (1, 2, 5, 1,  4.25),
  (2, 1, 2, 1, 19.90), (2, 2, 4, 2,  9.00), (2, 3, 9, 1, 11.00),
  (3, 1, 6, 1, 34.00),
  (4, 1, 10, 1, 25.00),
  (5, 1, 7, 1, 15.00), (5, 2, 1, 1, 12.50),
  (6, 1, 8, 1, 27.75), (6, 2, 5, 3,  4.25),
  (7, 1, 3, 2, 19.90),
  (8, 1, 4, 1,  9.00), (8, 2, 9, 2, 11.00), (8, 3, 5, 1,  4.25),
  (9, 1, 1, 4, 12.50), (9, 2, 10, 1, 25.00),
  (10, 1, 6, 1, 34.00), (10, 2, 8, 1, 27.75),
  (11, 1, 2, 1, 19.90), (11, 2, 7, 1, 15.00),
  (12, 1, 9, 1, 11.00), (12, 2, 5, 2,  4.25), (12, 3, 1, 1, 12.50);

INSERT INTO users (id, login, display_name, password_hash, role, last_login) VALUES
  (1, 'admin',   'Site Admin',     '$2y$10$Kn0jz/CT7nG7LsTdvlnGxu9dVKmg.h0sJ7nEiLCCSc4ziZwyTru/q', 'admin',   '2024-05-12 08:00:00'),
  (2, 'editor',  'Content Editor', '$2y$10$TRKg9ieCEBkce8jSXOl6Seny/qYRa/IHkSs43PHX94DcgMQOnFODW', 'editor',  '2024-05-11 14:22:00'),
  (3, 'zoe',     'Zoë Müller',     '$2y$10$b/8k/1xVjf.5gfsHFag.p.SZrWTk0Ph3E4ldwnGcQlVlrltsemLpS', 'editor',  NULL),
  (4, 'jose',    'José García',    '$2y$10$cCrB1koWbG.rC36sXdR7r.yE1eXC4oS2/Q9nzEvp/3CAU.VaK7qsO', 'support', '2024-04-30 09:00:00'),
  (5, 'support', 'Help Desk 🛟',   '$2y$10$fEBGsZdb2KKdYG9rH8/X0ekxKoMTS3kBvoVhJgDH2I8Z9GRAEYtoC', 'support', '2024-05-12 07:59:59'),
  (6, 'legacy',  'Old Account',    '$2y$10$Cdoyj49EXH4V/XEnAlX.5uHh5eeo8i70aQY5WKWdS1RZFA7wXEQtO', 'admin',   '2019-12-31 23:59:59');

CREATE VIEW order_totals AS
  SELECT o.id AS order_id, c.full_name AS customer, o.status,
         SUM(i.quantity * i.unit_price) AS total
  FROM orders o
  JOIN customers c ON c.id = o.customer_id
  JOIN order_items i ON i.order_id = o.id
  GROUP BY o.id, c.full_name, o.status;

DELIMITER //
CREATE FUNCTION order_total(p_order INT UNSIGNED) RETURNS DECIMAL(12,2)
  READS SQL DATA DETERMINISTIC
BEGIN
  DECLARE t DECIMAL(12,2);
  SELECT COALESCE(SUM(quantity * unit_price), 0) INTO t
    FROM order_items WHERE order_id = p_order;
  RETURN t;
END //
DELIMITER ;
