#!/bin/sh
# Replication on {{node}} as it goes, read by the lab (stacklab status, the
# TUI, lessons): a line each time it changes, asked once a second.
#   a replica (of {{primary_node}}):
#     replica io=Yes sql=Yes behind=0 received=0-1-42 applied=0-1-42 error=-
#     received: the last transaction fetched from the primary (Gtid_IO_Pos);
#     applied: the last one this database ran (gtid_slave_pos)
#   a primary:
#     primary binlog=0-4-42   (the last transaction in its binary log)
# One client asks; the shell reads its answers line by line as they come.
replica={{replica}}
primary={{binlog}}
last_replica= last_primary=
while :; do
	while :; do
		printf 'SHOW SLAVE STATUS\\G\nSELECT @@gtid_slave_pos AS Applied, @@gtid_binlog_pos AS Binlog\\G\n'
		sleep 1
	done | /usr/bin/mariadb --no-defaults --socket=/run/mysqld/mysqld.sock -u root -n --batch 2>/dev/null |
	while IFS= read -r l; do
		# "        Slave_IO_Running: Yes": the names are right-aligned
		key=${l%%:*}
		key=${key##* }
		v=${l#*:}
		v=${v# }
		case $key in
		Slave_IO_Running) io=$v ;;
		Slave_SQL_Running) sq=$v ;;
		Seconds_Behind_Master) behind=$v ;;
		Last_IO_Error) ioerr=$v ;;
		Last_SQL_Error) sqlerr=$v ;;
		Gtid_IO_Pos) received=$v ;;
		Applied) applied=$v ;;
		Binlog) # the last answer of the round
			err=${ioerr:-$sqlerr}
			if [ "$replica" = yes ]; then
				line="replica io=${io:--} sql=${sq:--} behind=${behind:-NULL} received=${received:--} applied=${applied:--} error=${err:--}"
				[ "$line" != "$last_replica" ] && echo "$line" && last_replica=$line
			fi
			if [ "$primary" = yes ]; then
				line="primary binlog=${v:--}"
				[ "$line" != "$last_primary" ] && echo "$line" && last_primary=$line
			fi
			io= sq= behind= received= applied= ioerr= sqlerr=
			;;
		esac
	done
	[ "$replica" = yes ] && echo "replica io=- sql=- behind=NULL received=- applied=- error=the local database does not answer"
	sleep 1
done
