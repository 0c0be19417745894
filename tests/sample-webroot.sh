#!/bin/sh
# tests/sample-webroot.sh DIR — create a small PHP web root in DIR for
# Lifeboat's tests and demo.
#
# DIR must be empty or not exist yet.  The content is the same on every run,
# including modes and times (every entry's mtime is 2024-05-01 12:00:00 UTC),
# so tests can compare snapshots byte for byte.  It holds what a files job must
# not miss or mangle:
#   * hidden files (.htaccess, .user.ini) and a nested hidden directory
#     (.well-known/acme-challenge/);
#   * binary files (a valid 1x1 PNG, a file holding all 256 byte values);
#   * an executable (cgi-bin/script.cgi, 0755), a 0640 config.php, an empty file;
#   * a relative symlink (logo.png -> wp-content/uploads/2024/05/logo.png);
#   * names with a space and with UTF-8 characters.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: sample-webroot.sh DIR" >&2
    exit 2
fi
DIR=$1
if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR")" ]; then
    echo "sample-webroot.sh: $DIR exists and is not empty" >&2
    exit 1
fi

umask 022
STAMP=202405011200.00   # touch -t format, interpreted in UTC below
mkdir -p "$DIR"
chmod 0755 "$DIR"       # a mktemp -d directory would be 0700
cd "$DIR"

mkdir -p css js includes cgi-bin cache downloads \
    wp-content/uploads/2024/05 wp-content/themes/plain \
    .well-known/acme-challenge

cat > index.php <<'EOF'
<?php
// Front controller of the sample shop.
require __DIR__ . '/config.php';
require __DIR__ . '/includes/db.php';
require __DIR__ . '/includes/functions.php';

$db = shop_db();
$products = $db->query('SELECT id, name, price FROM products ORDER BY id')->fetchAll();
?><!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title><?= h(SITE_NAME) ?></title>
  <link rel="stylesheet" href="/css/style.css">
</head>
<body>
  <h1><?= h(SITE_NAME) ?></h1>
  <ul>
  <?php foreach ($products as $p): ?>
    <li><?= h($p['name']) ?> — <?= money($p['price']) ?></li>
  <?php endforeach; ?>
  </ul>
  <script src="/js/app.js"></script>
</body>
</html>
EOF

cat > config.php <<'EOF'
<?php
// Site configuration. Not world-readable: it holds the database password.
define('SITE_NAME', 'Sample Shop ☕');
define('DB_HOST', 'localhost');
define('DB_NAME', 'shop');
define('DB_USER', 'shop_web');
define('DB_PASS', 'not-a-real-password');
define('DEBUG', false);
EOF
chmod 0640 config.php

cat > .htaccess <<'EOF'
# Apache rules for the sample shop.
Options -Indexes
<Files "config.php">
    Require all denied
</Files>
RewriteEngine On
RewriteCond %{REQUEST_FILENAME} !-f
RewriteRule ^ index.php [L]
EOF

cat > .user.ini <<'EOF'
; PHP-FPM per-directory settings
upload_max_filesize = 8M
post_max_size = 8M
display_errors = Off
EOF

cat > robots.txt <<'EOF'
User-agent: *
Disallow: /cgi-bin/
Disallow: /wp-content/uploads/private/
EOF

cat > css/style.css <<'EOF'
body { font-family: sans-serif; margin: 2em auto; max-width: 40em; }
h1 { color: #2a4d69; }
li { line-height: 1.6; }
EOF

cat > js/app.js <<'EOF'
document.addEventListener('DOMContentLoaded', function () {
  console.log('sample shop loaded');
});
EOF

cat > includes/db.php <<'EOF'
<?php
function shop_db(): PDO {
    static $pdo = null;
    if ($pdo === null) {
        $pdo = new PDO('mysql:host=' . DB_HOST . ';dbname=' . DB_NAME . ';charset=utf8mb4',
                       DB_USER, DB_PASS,
                       [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
                        PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC]);
    }
    return $pdo;
}
EOF

cat > includes/functions.php <<'EOF'
<?php
function h(string $s): string {
    return htmlspecialchars($s, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
}

function money($amount): string {
    return number_format((float)$amount, 2) . ' €';
}
EOF

cat > cgi-bin/script.cgi <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
echo "Hello from the sample shop's CGI."
EOF
chmod 0755 cgi-bin/script.cgi

cat > wp-content/themes/plain/style.css <<'EOF'
/*
Theme Name: Plain
Version: 1.0
*/
EOF

cat > wp-content/uploads/.htaccess <<'EOF'
# Never execute uploaded PHP.
<FilesMatch "\.(php|phtml|phar)$">
    Require all denied
</FilesMatch>
EOF

# A valid 1x1 transparent PNG (67 bytes).
printf '\211PNG\r\n\032\n\000\000\000\rIHDR\000\000\000\001\000\000\000\001\010\006\000\000\000\037\025\304\211' \
    > wp-content/uploads/2024/05/logo.png
printf '\000\000\000\nIDATx\234c\000\001\000\000\005\000\001\r\n-\264\000\000\000\000IEND\256B`\202' \
    >> wp-content/uploads/2024/05/logo.png

# Every byte value 0..255 once, in order (256 bytes).
i=0
while [ "$i" -lt 256 ]; do
    # shellcheck disable=SC2059  # the format is the octal escape itself
    printf "\\$(printf '%03o' "$i")"
    i=$((i + 1))
done > wp-content/uploads/2024/05/all-bytes.bin

printf 'Order #1001 invoice placeholder\n' > 'downloads/price list 2024.txt'
printf 'Menú del día: café, crème brûlée 🍮\n' > 'downloads/menú.txt'

printf 'sample-acme-token.sample-key-thumbprint\n' \
    > .well-known/acme-challenge/sample-token
printf '# security contact\nContact: mailto:security@example.com\n' \
    > .well-known/security.txt

: > cache/.keep

ln -s wp-content/uploads/2024/05/logo.png logo.png

# Fixed times on everything (symlinks themselves included), deepest first so a
# directory's time is not bumped by touching its children afterwards.
find . -depth -exec env TZ=UTC touch -h -t "$STAMP" {} +
