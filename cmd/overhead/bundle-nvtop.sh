#!/bin/sh
# Bundles nvtop 3.0.1 (Debian bookworm, contrib) with the ncurses libraries it
# needs into DIR (default bin/nvtop), so `overhead -nvtop DIR/nvtop` can run
# it on a GPU machine that has no nvtop and no network. Needs apt-get and
# dpkg-deb here; it changes nothing in the system's apt configuration (its
# package lists go to a temporary directory).
set -eu
dir=${1:-bin/nvtop}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$dir/lib"
echo "deb http://deb.debian.org/debian bookworm main contrib" > "$tmp/sources.list"
opts="-o Dir::Etc::SourceList=$tmp/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$tmp/lists"
# shellcheck disable=SC2086
apt-get $opts update -qq
# shellcheck disable=SC2086
(cd "$tmp" && apt-get $opts download nvtop libncursesw6 libtinfo6)
for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/x"; done
cp "$tmp/x/usr/bin/nvtop" "$dir/nvtop"
# Real files, not symlinks: a bundle may travel where links do not.
cp "$tmp/x/lib/x86_64-linux-gnu/libncursesw.so.6".* "$dir/lib/libncursesw.so.6"
cp "$tmp/x/lib/x86_64-linux-gnu/libtinfo.so.6".* "$dir/lib/libtinfo.so.6"
LD_LIBRARY_PATH="$dir/lib" "$dir/nvtop" --version
