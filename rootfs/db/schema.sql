-- The foobar database: schema and seed data, loaded once into the template
-- datadir that every db node starts from (see /var/lib/stacklab/).
--
-- mariadb-install-db runs this with the grant tables skipped: FLUSH
-- PRIVILEGES loads them, or CREATE USER fails.
FLUSH PRIVILEGES;

CREATE DATABASE foobar;
USE foobar;

CREATE TABLE products (
    id INT PRIMARY KEY AUTO_INCREMENT,
    name VARCHAR(64) NOT NULL,
    price DECIMAL(8, 2) NOT NULL
);
INSERT INTO products (name, price) VALUES
    ('foo', 9.99), ('bar', 19.50), ('foobar deluxe', 99.00);

CREATE TABLE guestbook (
    id INT PRIMARY KEY AUTO_INCREMENT,
    name VARCHAR(64) NOT NULL,
    message VARCHAR(500) NOT NULL,
    created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO guestbook (name, message) VALUES ('holberton', 'first!');

CREATE TABLE visits (
    id INT PRIMARY KEY,
    count BIGINT NOT NULL
);
INSERT INTO visits VALUES (1, 0);

-- The application's user: least privilege, from anywhere in the lab (the
-- database listens on the private network only).
CREATE USER 'foobar'@'%' IDENTIFIED BY 'foobar-lab';
GRANT SELECT ON foobar.products TO 'foobar'@'%';
GRANT SELECT, INSERT ON foobar.guestbook TO 'foobar'@'%';
GRANT SELECT, UPDATE ON foobar.visits TO 'foobar'@'%';

-- The user a replica logs in as to copy the primary's binary log (used only
-- where the topology makes a node a replica: replica_of = NODE).
CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-lab';
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';
