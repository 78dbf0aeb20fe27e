<?php
// foobar.com — the site's application code, run by PHP-FPM on an app server.
// Every page reads the database; /guestbook also writes to it. Each SQL
// statement carries the request's id in a comment, so the database's own
// log shows which request sent it.

$t0 = microtime(true);
$node = getenv('FOOBAR_NODE') ?: gethostname();
$rid = $_SERVER['HTTP_X_REQUEST_ID'] ?? '-';
$web = $_SERVER['SERVED_BY_WEB'] ?? '-';
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
    global $rid;
    $id = preg_replace('/[^A-Za-z0-9-]/', '', $rid);
    $st = $db->prepare("/* rid=$id */ " . $sql);
    if ($types !== '') {
        $st->bind_param($types, ...$args);
    }
    $st->execute();
    return $st;
}

function page(string $title, string $content): string
{
    global $node, $web;
    $t = htmlspecialchars($title);
    return "<!doctype html>\n<title>$t</title>\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
        . "<h1>$t</h1>\n$content\n"
        . "<p class=\"served\">served by web $web and app $node</p>\n";
}

mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
try {
    $db = new mysqli($cfg['host'], $cfg['user'], $cfg['password'], $cfg['name'], (int)$cfg['port']);
} catch (mysqli_sql_exception $e) {
    finish(503, page('Database unavailable', '<p>' . htmlspecialchars($e->getMessage()) . '</p>'), 0);
    exit;
}

try {
    if ($path === '/' || $path === '/index.php') {
        $res = q($db, 'SELECT name, price FROM products ORDER BY id')->get_result();
        $rows = $res->fetch_all(MYSQLI_ASSOC);
        $html = "<table>\n<tr><th>product</th><th>price</th></tr>\n";
        foreach ($rows as $r) {
            $html .= '<tr><td>' . htmlspecialchars($r['name']) . '</td><td>' . $r['price'] . "</td></tr>\n";
        }
        finish(200, page('foobar.com', $html . "</table>\n<p><a href=\"/guestbook\">guestbook</a></p>"), count($rows));
    } elseif ($path === '/guestbook') {
        if ($method === 'POST') {
            $name = substr($_POST['name'] ?? 'anonymous', 0, 64);
            $message = substr($_POST['message'] ?? '', 0, 500);
            q($db, 'INSERT INTO guestbook (name, message) VALUES (?, ?)', 'ss', [$name, $message]);
        }
        $res = q($db, 'SELECT name, message, created FROM guestbook ORDER BY id DESC LIMIT 20')->get_result();
        $rows = $res->fetch_all(MYSQLI_ASSOC);
        $html = "<ul>\n";
        foreach ($rows as $r) {
            $html .= '<li><b>' . htmlspecialchars($r['name']) . '</b>: ' . htmlspecialchars($r['message'])
                . ' <small>' . $r['created'] . "</small></li>\n";
        }
        finish(200, page('Guestbook', $html . '</ul>'), count($rows));
    } elseif ($path === '/visit') {
        q($db, 'UPDATE visits SET count = count + 1 WHERE id = 1');
        $count = q($db, 'SELECT count FROM visits WHERE id = 1')->get_result()->fetch_row()[0];
        finish(200, page('Visits', "<p>visit number $count</p>"), 1);
    } else {
        finish(404, page('Not found', '<p>No page at ' . htmlspecialchars($path) . '</p>'), 0);
    }
} catch (mysqli_sql_exception $e) {
    finish(500, page('Database error', '<p>' . htmlspecialchars($e->getMessage()) . '</p>'), 0);
}
