#!/bin/sh
# How far the binary log of {{node}} goes, the primary its replicas copy: a
# line each time it moves (asked once a second), read by the lab. With the
# replicas' own lines it tells how far behind each one is.
#   primary binlog=0-4-42
last=
while :; do
	while :; do
		printf 'SELECT @@gtid_binlog_pos AS Binlog\\G\n'
		sleep 1
	done | /usr/bin/mariadb --no-defaults --socket=/run/mysqld/mysqld.sock -u root -n --batch 2>/dev/null |
	while IFS= read -r l; do
		case $l in
		Binlog:*)
			v=${l#*:}
			v=${v# }
			line="primary binlog=${v:--}"
			if [ "$line" != "$last" ]; then
				echo "$line"
				last=$line
			fi
			;;
		esac
	done
	sleep 1
done
