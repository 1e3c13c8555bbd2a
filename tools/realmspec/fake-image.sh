#!/usr/bin/env bash
# Writes a small file that passes for an arm64 Linux Image (the header's
# text_offset 0, image_size 128 KiB, 4K pages, little endian, magic
# "ARM\x64" at 56), then some code and a zero page: test input for the
# realm description compiler, which checks the header and nothing else.
#   tools/realmspec/fake-image.sh OUT
set -eu
{
    printf 'MZ\0\0\0\0\0\0'; printf '\0%.0s' {1..8}
    printf '\0\0\2\0\0\0\0\0'; printf '\2\0\0\0\0\0\0\0'
    printf '\0%.0s' {1..24}; printf 'ARM\x64\0\0\0\0'
    printf 'a kernel that is not one'; head -c 4096 /dev/zero; printf 'its last words'
} >"$1"
