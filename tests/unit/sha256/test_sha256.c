/* SHA-256 (lib/sha256): the FIPS 180-4 examples, the empty string, a
 * million 'a's, and random inputs against coreutils' sha256sum, each fed to
 * update() in random pieces. */
#include "harness.h"
#include <sha256/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void hex(const uint8_t d[SHA256_DIGEST_SIZE], char out[2 * SHA256_DIGEST_SIZE + 1])
{
    for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static int one_shot_is(const char *msg, const char *want)
{
    uint8_t d[SHA256_DIGEST_SIZE];
    char h[2 * SHA256_DIGEST_SIZE + 1];
    sha256(msg, strlen(msg), d);
    hex(d, h);
    return strcmp(h, want) == 0;
}

TEST(fips_abc)
{
    CHECK(one_shot_is("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

TEST(fips_two_blocks)
{
    CHECK(one_shot_is("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

TEST(fips_896_bits)
{
    CHECK(one_shot_is("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                      "mnopqrstnopqrstu",
                      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"));
}

TEST(empty)
{
    CHECK(one_shot_is("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

TEST(million_a)
{
    struct sha256_ctx c;
    char block[1000];
    memset(block, 'a', sizeof block);
    sha256_init(&c);
    for (int i = 0; i < 1000; i++)
        sha256_update(&c, block, sizeof block);
    uint8_t d[SHA256_DIGEST_SIZE];
    char h[2 * SHA256_DIGEST_SIZE + 1];
    sha256_final(&c, d);
    hex(d, h);
    CHECK(strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
}

/* Lengths around the padding's edges and a few larger ones, each compared
 * with sha256sum and fed to update() at random split points. */
TEST(random_against_sha256sum)
{
    static const size_t lens[] = { 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, 65537 };
    srand(20261203);
    for (unsigned t = 0; t < sizeof lens / sizeof lens[0]; t++) {
        size_t n = lens[t];
        uint8_t *buf = malloc(n);
        CHECK(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rand();
        char path[] = "/tmp/sha256-test-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        CHECK(write(fd, buf, n) == (ssize_t)n);
        close(fd);
        char cmd[128], want[2 * SHA256_DIGEST_SIZE + 1] = "";
        snprintf(cmd, sizeof cmd, "sha256sum %s", path);
        FILE *p = popen(cmd, "r");
        CHECK(p);
        CHECK(fscanf(p, "%64s", want) == 1);
        pclose(p);
        unlink(path);
        for (int round = 0; round < 20; round++) {
            struct sha256_ctx c;
            sha256_init(&c);
            size_t at = 0;
            while (at < n) {
                size_t piece = (size_t)rand() % (n - at + 1);
                if (round == 0)
                    piece = n; /* one piece */
                else if (round == 1)
                    piece = 1; /* byte by byte */
                sha256_update(&c, buf + at, piece);
                at += piece;
            }
            uint8_t d[SHA256_DIGEST_SIZE];
            char h[2 * SHA256_DIGEST_SIZE + 1];
            sha256_final(&c, d);
            hex(d, h);
            CHECK(strcmp(h, want) == 0);
        }
        free(buf);
    }
}
