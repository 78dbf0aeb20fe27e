-- Run by MariaDB on {{node}} at every start (--init-file) when it is a
-- replica: copy the primary, {{primary_node}} ({{primary_addr}}), from the
-- GTID this replica last applied, retrying each second while it is away.
CHANGE MASTER TO MASTER_HOST = '{{primary_addr}}', MASTER_PORT = 3306,
    MASTER_USER = 'repl', MASTER_PASSWORD = 'repl-lab',
    MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1;
START SLAVE;
