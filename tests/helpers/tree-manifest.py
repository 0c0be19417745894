#!/usr/bin/env python3
"""tree-manifest DIR [--skip REL]... [--no-times] [--no-links] — one line per path of DIR:
the escaped relative path, type, mode (with setuid bits), owner, link count,
size, mtime in ns, symlink target, SHA-256 of the content and every xattr
(ACLs included, as system.posix_acl_*).  Two trees are the same when their
manifests are.  Walks with directory descriptors, so paths deeper than
PATH_MAX work; never follows a symlink."""
import hashlib
import os
import stat
import sys


def main():
    args = sys.argv[1:]
    root, skip, times, links = None, set(), True, True
    while args:
        a = args.pop(0)
        if a == "--skip":
            skip.add(os.fsencode(args.pop(0)))
        elif a == "--no-times":
            times = False
        elif a == "--no-links":
            links = False
        else:
            root = a
    out = []
    for dirpath, dirnames, filenames, dirfd in os.fwalk(os.fsencode(root), follow_symlinks=False):
        rel = os.path.relpath(dirpath, os.fsencode(root))
        if rel == b".":
            rel = b""
        names = [(n, True) for n in dirnames] + [(n, False) for n in filenames]
        if rel == b"":
            names.append((b".", True))
        for name, _ in names:
            path = name if rel == b"" else rel + b"/" + name
            if path in skip or any(path.startswith(s + b"/") for s in skip):
                if name in dirnames:
                    dirnames.remove(name)
                continue
            st = os.lstat(name, dir_fd=dirfd)
            kind = stat.S_IFMT(st.st_mode)
            fields = [repr(path), "%o" % st.st_mode, str(st.st_uid), str(st.st_gid)]
            # A directory's link count only counts its subdirectories.
            if kind != stat.S_IFDIR and links:
                fields.append(str(st.st_nlink))
            if times:
                fields.append(str(st.st_mtime_ns))
            if kind == stat.S_IFLNK:
                fields.append(repr(os.readlink(name, dir_fd=dirfd)))
            elif kind == stat.S_IFREG:
                fields.append(str(st.st_size))
                h = hashlib.sha256()
                fd = os.open(name, os.O_RDONLY, dir_fd=dirfd)
                try:
                    while True:
                        b = os.read(fd, 1 << 20)
                        if not b:
                            break
                        h.update(b)
                    fields.append(h.hexdigest())
                    fields.append(xattrs(fd))
                finally:
                    os.close(fd)
            elif kind in (stat.S_IFCHR, stat.S_IFBLK):
                fields.append("%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)))
            elif kind == stat.S_IFDIR:
                fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=dirfd)
                try:
                    fields.append(xattrs(fd))
                finally:
                    os.close(fd)
            out.append(" ".join(fields))
    out.sort()
    sys.stdout.write("\n".join(out) + "\n")


def xattrs(fd):
    pairs = []
    for n in sorted(os.listxattr(fd)):
        pairs.append("%s=%s" % (n, os.getxattr(fd, n).hex()))
    return "{" + ",".join(pairs) + "}"


main()
