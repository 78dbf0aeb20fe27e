#!/bin/sh
# The replica's state on {{node}}, copying {{primary_node}}: one line each time
# it changes, read by the lab (stacklab status, the TUI, lessons).
#   replica io=Yes sql=Yes behind=0 received=0-1-42 applied=0-1-42 error=-
# received: the last transaction fetched from the primary (Gtid_IO_Pos);
# applied: the last one this database ran (gtid_slave_pos). One client asks
# once a second; the shell reads its answers line by line as they come.
last=
while :; do
	while :; do
		printf 'SHOW SLAVE STATUS\\G\nSELECT @@gtid_slave_pos AS Applied\\G\n'
		sleep 1
	done | /usr/bin/mariadb --no-defaults --socket=/run/mysqld/mysqld.sock -u root -n --batch 2>/dev/null |
	while IFS= read -r l; do
		v=${l#*:}
		v=${v# }
		case $l in
		*Slave_IO_Running:*) io=$v ;;
		*Slave_SQL_Running:*) sq=$v ;;
		*Seconds_Behind_Master:*) behind=$v ;;
		*Last_IO_Error:*) ioerr=$v ;;
		*Last_SQL_Error:*) sqlerr=$v ;;
		*Gtid_IO_Pos:*) received=$v ;;
		Applied:*)
			err=${ioerr:-$sqlerr}
			line="replica io=${io:--} sql=${sq:--} behind=${behind:-NULL} received=${received:--} applied=${v:--} error=${err:--}"
			if [ "$line" != "$last" ]; then
				echo "$line"
				last=$line
			fi
			io= sq= behind= received= ioerr= sqlerr=
			;;
		esac
	done
	echo "replica io=- sql=- behind=NULL received=- applied=- error=the local database does not answer"
	sleep 1
done
