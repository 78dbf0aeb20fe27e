<?php
// foobar.com — the site's application code, run by PHP-FPM on an app server.
// Every page reads the database; /guestbook also writes to it. Each SQL
// statement carries the request's id in a comment, so the database's own
// log shows which request sent it.

$t0 = microtime(true);
$node = getenv('FOOBAR_NODE') ?: gethostname();
$rid = $_SERVER['HTTP_X_REQUEST_ID'] ?? '-';
$web = $_SERVER['SERVED_BY_WEB'] ?? '-';
$lb = $_SERVER['HTTP_X_VIA_LB'] ?? '-';
$vip = $_SERVER['HTTP_X_VIA_VIP'] ?? '';
$db_ms = 0.0;
$db_queries = 0;
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH);
$method = $_SERVER['REQUEST_METHOD'] ?? 'GET';
$cfg = parse_ini_file('/etc/foobar/site.ini', true)['db'];

header("X-Served-By-App: $node");
header("X-Request-ID: $rid");

function finish(int $status, string $body, int $rows): void
{
    global $t0, $node, $rid, $method, $path;
    http_response_code($status);
    header("X-Foobar-Rows: $rows");
    echo $body;
    error_log(sprintf('foobar app=%s rid=%s "%s %s" %d rows=%d time=%.1fms',
        $node, $rid, $method, $path, $status, $rows, (microtime(true) - $t0) * 1000));
}

function q(mysqli $db, string $sql, string $types = '', array $args = []): mysqli_stmt
{
    global $rid, $db_ms, $db_queries;
    $t = microtime(true);
    $id = preg_replace('/[^A-Za-z0-9-]/', '', $rid);
    $st = $db->prepare("/* rid=$id */ " . $sql);
    if ($types !== '') {
        $st->bind_param($types, ...$args);
    }
    $st->execute();
    $db_ms += (microtime(true) - $t) * 1000;
    $db_queries++;
    return $st;
}

// The whole chain this request took, in large type: which load balancer
// held the virtual IP, which web, app and database server answered, how
// long the app and the database took, and the request's id (the one
// `stacklab trace` and the daemons' logs show).
function chain(string $failed = ''): string
{
    global $node, $web, $lb, $vip, $rid, $t0, $db_ms, $db_queries, $cfg;
    $e = 'htmlspecialchars';
    $tier = function (string $what, string $name, string $note = '', bool $bad = false) use ($e): string {
        return '<div class="tier' . ($bad ? ' failed' : '') . '"><small>' . $e($what) . '</small><b>' . $e($name)
            . '</b>' . ($note !== '' ? '<small>' . $e($note) . '</small>' : '') . '</div>';
    };
    $app_ms = (microtime(true) - $t0) * 1000;
    $db_note = $failed === 'db' ? 'no answer' : sprintf('%.1f ms, %d quer%s', $db_ms, $db_queries, $db_queries === 1 ? 'y' : 'ies');
    return '<div class="chain">'
        . $tier('you', 'client') . '<span class="arrow">→</span>'
        . ($lb === '-' ? '' : $tier('load balancer' . ($vip !== '' ? " · VIP $vip" : ''), $lb,
            $vip !== '' ? 'holds the VIP' : 'HAProxy') . '<span class="arrow">→</span>')
        . $tier('web server', $web, 'Nginx') . '<span class="arrow">→</span>'
        . $tier('app server', $node, sprintf('PHP, %.1f ms', $app_ms)) . '<span class="arrow">→</span>'
        . $tier('database', $cfg['node'] ?? $cfg['host'], $db_note, $failed === 'db')
        . "</div>\n<p class=\"rid\">request id <code>" . $e($rid) . '</code> · stacklab trace shows this path hop by hop</p>';
}

function page(string $title, string $content, string $failed = '', bool $live = false): string
{
    $t = htmlspecialchars($title);
    // The front page reloads itself: open it during a failover and watch.
    $refresh = $live ? "<meta http-equiv=\"refresh\" content=\"2\">\n" : '';
    return "<!doctype html>\n<meta charset=\"utf-8\">\n$refresh<title>$t</title>\n"
        . "<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
        . "<h1>$t</h1>\n" . chain($failed) . "\n$content\n"
        . "<p class=\"nav\"><a href=\"/\">home</a> · <a href=\"/guestbook\">guestbook</a> · <a href=\"/visit\">visits</a>"
        . " · <a href=\"/static/about.html\">about (a static file)</a></p>\n";
}

mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
try {
    // Give up on a silent database after 2 s: the page says so, rather
    // than leaving the user waiting for PHP's default minute.
    $db = mysqli_init();
    $db->options(MYSQLI_OPT_CONNECT_TIMEOUT, 2);
    $db->real_connect($cfg['host'], $cfg['user'], $cfg['password'], $cfg['name'], (int)$cfg['port']);
} catch (mysqli_sql_exception $e) {
    $what = sprintf('%s could not reach the database on %s (%s): %s', $node, $cfg['node'] ?? $cfg['host'], $cfg['host'],
        $e->getMessage());
    finish(503, page('Database unavailable', '<p class="error">' . htmlspecialchars($what) . '</p>', 'db'), 0);
    exit;
}

// Writes go to the primary database; reads to the one this server reads
// (its own replica, on a full server of a replicated design). They are the
// same database but where a replica exists.
function writer(mysqli $db): mysqli
{
    global $cfg, $node;
    static $w = null;
    if ($w !== null) {
        return $w;
    }
    if (($cfg['write_host'] ?? $cfg['host']) === $cfg['host']) {
        return $w = $db;
    }
    try {
        $w = mysqli_init();
        $w->options(MYSQLI_OPT_CONNECT_TIMEOUT, 2);
        $w->real_connect($cfg['write_host'], $cfg['user'], $cfg['password'], $cfg['name'], (int)$cfg['port']);
        return $w;
    } catch (mysqli_sql_exception $e) {
        $what = sprintf('%s could not reach the primary database on %s (%s) to write: %s. Reads from %s go on.',
            $node, $cfg['write_node'], $cfg['write_host'], $e->getMessage(), $cfg['node']);
        finish(503, page('Writes unavailable', '<p class="error">' . htmlspecialchars($what) . '</p>', 'db'), 0);
        exit;
    }
}

try {
    if ($path === '/' || $path === '/index.php') {
        $res = q($db, 'SELECT name, price FROM products ORDER BY id')->get_result();
        $rows = $res->fetch_all(MYSQLI_ASSOC);
        $html = "<table>\n<tr><th>product</th><th>price</th></tr>\n";
        foreach ($rows as $r) {
            $html .= '<tr><td>' . htmlspecialchars($r['name']) . '</td><td>' . $r['price'] . "</td></tr>\n";
        }
        finish(200, page('foobar.com', $html . "</table>", '', true), count($rows));
    } elseif ($path === '/guestbook') {
        if ($method === 'POST') {
            $name = substr($_POST['name'] ?? 'anonymous', 0, 64);
            $message = substr($_POST['message'] ?? '', 0, 500);
            q(writer($db), 'INSERT INTO guestbook (name, message) VALUES (?, ?)', 'ss', [$name, $message]);
        }
        $res = q($db, 'SELECT name, message, created FROM guestbook ORDER BY id DESC LIMIT 20')->get_result();
        $rows = $res->fetch_all(MYSQLI_ASSOC);
        $html = "<form method=\"post\" action=\"/guestbook\">\n"
            . "<label>name <input name=\"name\" maxlength=\"64\" required></label>\n"
            . "<label>message <input name=\"message\" maxlength=\"500\" required></label>\n"
            . "<button>sign</button>\n</form>\n<p>Signing writes to the primary database (an INSERT on "
            . htmlspecialchars($cfg['write_node'] ?? $cfg['node']) . "'s general log).</p>\n<ul>\n";
        foreach ($rows as $r) {
            $html .= '<li><b>' . htmlspecialchars($r['name']) . '</b>: ' . htmlspecialchars($r['message'])
                . ' <small>' . $r['created'] . "</small></li>\n";
        }
        finish(200, page('Guestbook', $html . '</ul>'), count($rows));
    } elseif ($path === '/visit') {
        q(writer($db), 'UPDATE visits SET count = count + 1 WHERE id = 1');
        $count = q($db, 'SELECT count FROM visits WHERE id = 1')->get_result()->fetch_row()[0];
        finish(200, page('Visits', "<p>visit number $count</p>"), 1);
    } else {
        finish(404, page('Not found', '<p>No page at ' . htmlspecialchars($path) . '</p>'), 0);
    }
} catch (mysqli_sql_exception $e) {
    finish(500, page('Database error', '<p class="error">' . htmlspecialchars("$node: " . $e->getMessage()) . '</p>', 'db'), 0);
}
