#!/usr/bin/env python3
"""webroot-gen.py DIR [--files N] [--seed S] — a deterministic web-root-like
tree for the files benchmark: N files (default 20000) in nested directories
(sites/*/wp-content/... style, 3-6 levels), 95% text of 1-30 KB (slices of a
generated PHP/HTML-ish corpus, each with a unique header so no two files are
equal), 5% binaries of 50-500 KB (random bytes: images, archives).  About
600 MB for 20000 files.  The same seed gives the same tree, byte for byte.

  --change-percent P   instead of generating, modify P% of the files of an
                       existing DIR (append a line), chosen by the seed
"""
import os
import random
import sys


def corpus(rng):
    words = ("function echo return array include require_once foreach while if else "
             "$post $wpdb $user get_option add_action esc_html wp_enqueue_script <div> "
             "</div> <span class=\"meta\"> the_content apply_filters __( 'text-domain' ) "
             "=> ; { } ( ) -> :: null true false 0 1 42 'string' \"value\" // comment "
             "/* block */ <?php ?> <a href=\"/page\"> </a> <li> </li> style.css main.js").split()
    out = []
    size = 0
    while size < 4 << 20:
        line = " ".join(rng.choice(words) for _ in range(rng.randint(3, 14))) + "\n"
        out.append(line)
        size += len(line)
    return "".join(out).encode()


def generate(root, n, seed):
    rng = random.Random(seed)
    text = corpus(rng)
    os.makedirs(root, exist_ok=True)
    dirs = []
    for s in range(8):
        for a in ("wp-content/plugins", "wp-content/themes", "wp-content/uploads/2024", "wp-includes", "cgi-bin"):
            for k in range(6):
                d = os.path.join(root, "site%d" % s, a, "d%02d" % k)
                os.makedirs(d, exist_ok=True)
                dirs.append(d)
    total = 0
    for i in range(n):
        d = dirs[rng.randrange(len(dirs))]
        if rng.random() < 0.05:
            size = rng.randint(50 << 10, 500 << 10)
            data = rng.randbytes(size)
            name = "asset%05d.%s" % (i, rng.choice(("jpg", "png", "zip")))
        else:
            size = rng.randint(1 << 10, 30 << 10)
            off = rng.randrange(len(text) - size)
            data = (b"<?php /* file %d */\n" % i) + text[off:off + size]
            name = "file%05d.%s" % (i, rng.choice(("php", "html", "css", "js")))
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        total += len(data)
    print("%d files, %.0f MiB in %s" % (n, total / 1048576, root))


def change(root, percent, seed):
    rng = random.Random(seed + 1)
    files = []
    for dp, dn, fn in os.walk(root):
        dn.sort()
        for f in sorted(fn):
            files.append(os.path.join(dp, f))
    k = max(1, int(len(files) * percent / 100))
    for p in rng.sample(files, k):
        with open(p, "ab") as f:
            f.write(b"\n/* changed */\n")
    print("changed %d of %d files" % (k, len(files)))


def main():
    args = sys.argv[1:]
    root, n, seed, pct = None, 20000, 1, None
    while args:
        a = args.pop(0)
        if a == "--files":
            n = int(args.pop(0))
        elif a == "--seed":
            seed = int(args.pop(0))
        elif a == "--change-percent":
            pct = float(args.pop(0))
        else:
            root = a
    if not root:
        sys.exit(__doc__)
    if pct is not None:
        change(root, pct, seed)
    else:
        generate(root, n, seed)


main()
