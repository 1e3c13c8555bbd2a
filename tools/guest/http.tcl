# A random file served over HTTP by busybox httpd on the build machine, for
# the guests' network checks (QEMU user networking shows the build machine
# as 10.0.2.2). Sets ::tmpdir, ::want (the file's sha256), ::port ("" if no
# server could start) and ::httpd_pid; the caller kills the server and
# deletes ::tmpdir when it is done.
set tmpdir [exec mktemp -d]
exec head -c 2097152 /dev/urandom > $tmpdir/blob
set want [lindex [exec sha256sum $tmpdir/blob] 0]

# A free port: let the kernel choose one, then give it to httpd (a second
# attempt covers the small window in which someone else could take it).
proc free_port {} {
    set s [socket -server {apply {{c a p} {close $c}}} -myaddr 127.0.0.1 0]
    set port [lindex [fconfigure $s -sockname] 2]
    close $s
    return $port
}
proc serving {port} {
    if {[catch {socket 127.0.0.1 $port} s]} { return 0 }
    close $s
    return 1
}
set port ""
set httpd_pid ""
for {set try 0} {$try < 3 && $port eq ""} {incr try} {
    set p [free_port]
    if {[catch {exec busybox httpd -f -p 127.0.0.1:$p -h $tmpdir 2>@1 &} pid]} { break }
    for {set i 0} {$i < 20 && ![serving $p]} {incr i} { after 100 }
    if {[serving $p]} {
        set httpd_pid $pid
        set port $p
    } else {
        catch {exec busybox kill $pid}
    }
}
if {$port eq ""} {
    puts stderr "cannot start busybox httpd (is the busybox package installed? scripts/setup.sh)"
}
