/* icecap-host: the host VM's tool for realms (docs/icecap-host.md). A static
 * aarch64 Linux program that asks the resource server for everything
 * through the realm device (docs/resource-server.md), driven through
 * /dev/mem: no kernel module.
 *
 * This file is the shell: the command line, the device tree, mapping the
 * device, taking a slot, copying blocks in and out of it. Blocks, checks and
 * words are block.c's. The slot window is Device memory to this program
 * (Linux maps /dev/mem non-cacheable), so it touches it only with aligned
 * 8-byte volatile accesses, and the registers only with single 32-bit loads
 * and stores. */
#define _GNU_SOURCE
#include "block.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define DT_ROOT "/proc/device-tree"
#define DEFAULT_DEVICE "/dev/mem"
#define LOCK_FILE "/run/icecap-host.lock"
#define MAX_REALMS 65536u       /* more in a LIST is an answer not to believe */
#define CREATE_TRIES 8          /* create-realm: ids taken by others meanwhile */
#define BROKEN 0xffffu          /* not a status: the answer was not a response */

static const char *prog = "icecap-host";
static volatile sig_atomic_t interrupted;
static bool progress_shown;

/* The device, mapped, and the slot this process holds. */
struct dev {
    volatile uint8_t *regs;
    volatile uint64_t *slot;
    uint32_t slots, slot_size, index;
    uint8_t *buf;               /* private: a block is built and checked here */
    char why[256];              /* the last failure, in words */
};

/* ---- errors and progress */

static void progress_clear(void)
{
    if (progress_shown)
        fputs("\r\033[K", stderr);
    progress_shown = false;
}

static _Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    progress_clear();
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void progress(uint32_t id, uint64_t done, uint64_t total)
{
    static unsigned last = ~0u;
    unsigned pct = (unsigned)(total ? done * 100 / total : 100);
    char a[32], b[32];
    if (!isatty(STDERR_FILENO) || pct == last)
        return;
    last = pct;
    fprintf(stderr, "\rloading realm %u: %3u%% (%s of %s MiB)", id, pct, rb_mib_tenths(done, a, sizeof(a)),
            rb_mib_tenths(total, b, sizeof(b)));
    progress_shown = true;
}

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* While a realm loads, SIGINT and SIGTERM only set a flag (without
 * SA_RESTART, a read in progress returns): the transfer stops between two
 * requests. Otherwise they end the program as usual. */
static void catch_signals(bool on)
{
    struct sigaction sa = { .sa_handler = on ? on_signal : SIG_DFL };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- finding and mapping the device */

/* Up to max bytes of a small file; -1 if it cannot be read. */
static ssize_t read_small(const char *path, uint8_t *buf, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    if (fd < 0)
        return -1;
    n = read(fd, buf, max);
    close(fd);
    return n;
}

/* The device-tree node whose compatible is REALM_DEV_COMPATIBLE: its regions. */
static void find_device(uint64_t addr[2], uint64_t size[2])
{
    DIR *dir = opendir(DT_ROOT);
    struct dirent *e;
    uint8_t prop[512];
    char path[512];
    ssize_t n;
    if (!dir)
        die("no realm device: cannot read " DT_ROOT ": %s (is this the host VM?)", strerror(errno));
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), DT_ROOT "/%s/compatible", e->d_name);
        n = read_small(path, prop, sizeof(prop));
        if (n <= 0 || !rb_compatible_has(prop, (size_t)n, REALM_DEV_COMPATIBLE))
            continue;
        snprintf(path, sizeof(path), DT_ROOT "/%s/reg", e->d_name);
        n = read_small(path, prop, sizeof(prop));
        if (n < 0 || !rb_parse_reg(prop, (size_t)n, addr, size))
            die("the realm device %s has no register page and slot window in its reg", e->d_name);
        closedir(dir);
        return;
    }
    closedir(dir);
    die("no realm device: no node under " DT_ROOT " is compatible with \"" REALM_DEV_COMPATIBLE "\"");
}

/* Maps size bytes of the device file at physical address addr. */
static volatile void *map(int fd, const char *file, uint64_t addr, uint64_t size)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), skip = addr % page;
    uint64_t len = (skip + size + page - 1) / page * page;
    void *p;
    if (len < size || addr - skip > (uint64_t)INT64_MAX)
        die("cannot map 0x%llx of %s: out of range", (unsigned long long)addr, file);
    p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)(addr - skip));
    if (p == MAP_FAILED)
        die("cannot map %llu bytes at 0x%llx of %s: %s", (unsigned long long)size, (unsigned long long)addr, file,
            strerror(errno));
    return (volatile uint8_t *)p + skip;
}

/* Single 32-bit accesses, without writeback, which a trapping VMM can
 * decode from the syndrome alone. */
static uint32_t reg_read(const struct dev *d, uint32_t off)
{
    uint32_t v;
    __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(d->regs + off) : "memory");
    return v;
}

static void reg_write(const struct dev *d, uint32_t off, uint32_t v)
{
    __asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(d->regs + off) : "memory");
}

/* Locks byte i of the lock file for the first free slot i, or waits for
 * slot pid % slots when all are taken. The lock goes with the process. */
static uint32_t take_slot(uint32_t slots)
{
    int fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1 };
    if (fd < 0)
        die("cannot open " LOCK_FILE ": %s", strerror(errno));
    for (uint32_t i = 0; i < slots; i++) {
        fl.l_start = i;
        if (fcntl(fd, F_SETLK, &fl) == 0)
            return i;
        if (errno != EAGAIN && errno != EACCES)
            die("cannot lock " LOCK_FILE ": %s", strerror(errno));
    }
    fl.l_start = getpid() % slots;
    while (fcntl(fd, F_SETLKW, &fl) != 0)
        if (errno != EINTR)
            die("cannot lock " LOCK_FILE ": %s", strerror(errno));
    return (uint32_t)fl.l_start;
}

static void dev_open(struct dev *d, const char *file)
{
    uint64_t addr[2], size[2];
    char why[200];
    int fd;
    find_device(addr, size);
    fd = open(file, O_RDWR | O_SYNC | O_CLOEXEC);
    if (fd < 0)
        die("cannot open %s: %s", file, strerror(errno));
    if (size[0] < RB_REGS_SIZE)
        die("the realm device's register page at 0x%llx is %llu bytes", (unsigned long long)addr[0],
            (unsigned long long)size[0]);
    d->regs = map(fd, file, addr[0], RB_REGS_SIZE);
    d->slots = reg_read(d, REALM_REG_SLOTS);
    d->slot_size = reg_read(d, REALM_REG_SLOT_SIZE);
    if (rb_check_device(reg_read(d, REALM_REG_MAGIC), reg_read(d, REALM_REG_VERSION), d->slots, d->slot_size, size[1],
                        why, sizeof(why)))
        die("%s (at 0x%llx of %s)", why, (unsigned long long)addr[0], file);
    d->index = take_slot(d->slots);
    d->slot = map(fd, file, addr[1] + (uint64_t)d->index * d->slot_size, d->slot_size);
    close(fd);
    d->buf = malloc(d->slot_size);
    if (!d->buf)
        die("out of memory");
}

/* Where a request's payload goes before call(), and a response's is after. */
static uint8_t *payload(struct dev *d)
{
    return d->buf + RB_HEADER_SIZE;
}

/* ---- requests */

static void copy_out(struct dev *d, size_t bytes)
{
    for (size_t i = 0; i < (bytes + 7) / 8; i++) {
        uint64_t w;
        memcpy(&w, d->buf + 8 * i, 8);
        d->slot[i] = w;
    }
}

static void copy_in(struct dev *d, size_t from, size_t bytes)
{
    for (size_t i = from / 8; i < (from + bytes + 7) / 8; i++) {
        uint64_t w = d->slot[i];
        memcpy(d->buf + 8 * i, &w, 8);
    }
}

/* Sends rq with the rq->len bytes at payload(d) through the slot and checks
 * the answer into *r, its payload at payload(d). True if it succeeded;
 * otherwise d->why says why and r->status is the status, or BROKEN for an
 * answer that is not one. */
static bool call(struct dev *d, const struct rb_request *rq, struct rb_response *r)
{
    uint32_t max = d->slot_size - RB_HEADER_SIZE;
    rb_encode_request(rq, d->buf);
    memset(payload(d) + rq->len, 0, (8 - rq->len % 8) % 8);    /* up to 8 bytes; a slot is whole words */
    copy_out(d, RB_HEADER_SIZE + rq->len);
    __asm__ volatile("dsb sy" ::: "memory");
    reg_write(d, REALM_REG_CALL, d->index);
    __asm__ volatile("dsb sy" ::: "memory");
    copy_in(d, 0, RB_HEADER_SIZE);
    if (rb_decode_response(d->buf, rq, max, r, d->why, sizeof(d->why))) {
        r->status = BROKEN;
        return false;
    }
    copy_in(d, RB_HEADER_SIZE, r->len);
    if (r->status != RB_OK) {
        rb_status_words(rq, r, d->why, sizeof(d->why));
        return false;
    }
    if (rb_check_payload(r, d->why, sizeof(d->why))) {
        r->status = BROKEN;
        return false;
    }
    return true;
}

/* A request without payload. */
static bool simple(struct dev *d, uint16_t op, uint32_t realm, uint64_t arg0, uint64_t arg1, struct rb_response *r)
{
    struct rb_request rq = { .op = op, .realm = realm, .arg = { arg0, arg1 } };
    return call(d, &rq, r);
}

/* Every realm, in the order LIST gives them; *count of them. */
static struct rb_list_entry *list_all(struct dev *d, size_t *count)
{
    struct rb_list_entry *all = NULL;
    struct rb_response r;
    size_t n = 0;
    do {
        if (!simple(d, RB_OP_LIST, 0, n, 0, &r))
            die("%s", d->why);
        if (r.val[1] == 0 && n < r.val[0])
            die("the resource server listed no realms from entry %zu of %llu", n, (unsigned long long)r.val[0]);
        if (n + r.val[1] > MAX_REALMS)
            die("the resource server lists more than %u realms", MAX_REALMS);
        if (r.val[1] && !(all = realloc(all, (n + r.val[1]) * sizeof(*all))))
            die("out of memory");
        for (uint32_t i = 0; i < r.val[1]; i++)
            rb_list_entry(payload(d), i, &all[n++]);
    } while (n < r.val[0]);
    *count = n;
    return all;
}

/* ---- creating a realm */

/* After a failure since CREATE: ABORT, unless the answer said the realm is
 * gone, and what became of the realm added to d->why. */
static void abort_after(struct dev *d, uint32_t id, uint16_t status, uint16_t op)
{
    char first[sizeof(d->why)];
    struct rb_response r;
    if (status == RB_NO_SUCH_REALM || (op == RB_OP_FINISH && (status == RB_BAD_SPEC || status == RB_NO_MEMORY)))
        return;         /* the realm is gone */
    memcpy(first, d->why, sizeof(first));
    if (simple(d, RB_OP_ABORT, id, 0, 0, &r) || r.status == RB_NO_SUCH_REALM)
        snprintf(d->why, sizeof(d->why), "%s; realm %u aborted", first, id);
    else if (r.status == RB_BAD_STATE)
        snprintf(d->why, sizeof(d->why), "%s; realm %u is no longer loading and was left as it is", first, id);
    else
        snprintf(d->why, sizeof(d->why), "%s; realm %u may be left loading ('icecap-host destroy %u' removes it)",
                 first, id, id);
}

/* A failure of our own (not an answer) while loading. */
static bool fail_load(struct dev *d, struct rb_response *r, const char *why)
{
    snprintf(d->why, sizeof(d->why), "%s", why);
    r->status = BROKEN;
    return false;
}

/* LOAD of the whole file in pieces of a slot's payload; a signal stops it
 * before the next piece or FINISH. */
static bool load(struct dev *d, uint32_t id, int fd, const char *path, uint64_t size, struct rb_response *r)
{
    uint32_t piece = d->slot_size - RB_HEADER_SIZE;
    char why[sizeof(d->why)];
    for (uint64_t off = 0; off < size;) {
        struct rb_request rq = { .op = RB_OP_LOAD, .realm = id, .arg = { off } };
        ssize_t got;
        rq.len = size - off < piece ? (uint32_t)(size - off) : piece;
        do
            got = interrupted ? -1 : pread(fd, payload(d), rq.len, (off_t)off);
        while (got < 0 && errno == EINTR && !interrupted);
        if (interrupted)
            return fail_load(d, r, "interrupted");
        if (got != (ssize_t)rq.len) {
            snprintf(why, sizeof(why), "cannot read %s: %s", path, got < 0 ? strerror(errno) : "it shrank");
            return fail_load(d, r, why);
        }
        if (!call(d, &rq, r))
            return false;
        off += rq.len;
        progress(id, off, size);
    }
    return interrupted ? fail_load(d, r, "interrupted") : true;
}

/* CREATE, LOAD, FINISH of realm id from the spec file; its measurement in
 * m. False with d->why and *status (REALM_EXISTS: the id is taken) on
 * failure, the realm not left loading if it can help it. */
static bool create(struct dev *d, uint32_t id, const char *path, uint8_t m[RB_MEASUREMENT_SIZE], uint16_t *status)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct rb_response r;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        die("cannot open %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        die("%s is not a regular file", path);
    catch_signals(true);
    if (simple(d, RB_OP_CREATE, id, (uint64_t)st.st_size, 0, &r)) {
        if (!load(d, id, fd, path, (uint64_t)st.st_size, &r))
            abort_after(d, id, r.status, RB_OP_LOAD);
        else if (!simple(d, RB_OP_FINISH, id, 0, 0, &r))
            abort_after(d, id, r.status, RB_OP_FINISH);
        else
            memcpy(m, payload(d), RB_MEASUREMENT_SIZE);
    }
    catch_signals(false);
    close(fd);
    progress_clear();
    *status = r.status;
    return r.status == RB_OK;
}

/* ---- commands */

struct opts {
    uint32_t timeout;           /* run --timeout, in ms; 0 none */
};

static struct dev the_dev;

static struct dev *device(const char *file)
{
    dev_open(&the_dev, file);
    return &the_dev;
}

static uint32_t number(const char *s, const char *what)
{
    uint32_t v;
    if (!rb_parse_u32(s, &v))
        die("bad %s '%s': expected a decimal number from 0 to 4294967295 (see %s --help)", what, s, prog);
    return v;
}

static int cmd_status(char **args, const struct opts *o)
{
    struct dev *d = device(DEFAULT_DEVICE);
    struct rb_response r;
    (void)args, (void)o;
    if (!simple(d, RB_OP_STATUS, 0, 0, 0, &r))
        die("%s", d->why);
    printf("pool: %llu of %llu bytes free (%llu MiB of %llu MiB), %llu realms\n", (unsigned long long)r.val[1],
           (unsigned long long)r.val[0], (unsigned long long)(r.val[1] >> 20), (unsigned long long)(r.val[0] >> 20),
           (unsigned long long)r.val[2]);
    return 0;
}

static int cmd_list(char **args, const struct opts *o)
{
    size_t n;
    struct rb_list_entry *all = list_all(device(DEFAULT_DEVICE), &n);
    (void)args, (void)o;
    printf("%10s  %-8s  %5s  %10s  %s\n", "id", "state", "vCPUs", "memory MiB", "measurement");
    for (size_t i = 0; i < n; i++) {
        const char *state = rb_state_name(all[i].state);
        char hex[2 * RB_MEASUREMENT_SIZE + 1], mib[32], other[16];
        if (!state) {
            snprintf(other, sizeof(other), "state %u", all[i].state);
            state = other;
        }
        rb_hex(all[i].measurement, hex);
        printf("%10u  %-8s  %5u  %10s  %s\n", all[i].id, state, all[i].vcpus,
               rb_mib_tenths(all[i].bytes, mib, sizeof(mib)), all[i].state == RB_STATE_LOADING ? "-" : hex);
    }
    free(all);
    return 0;
}

static int cmd_create(char **args, const struct opts *o)
{
    uint32_t id = number(args[0], "realm id");
    struct dev *d = device(DEFAULT_DEVICE);
    uint8_t m[RB_MEASUREMENT_SIZE];
    char hex[2 * RB_MEASUREMENT_SIZE + 1];
    uint16_t status;
    (void)o;
    if (!create(d, id, args[1], m, &status))
        die("%s", d->why);
    rb_hex(m, hex);
    printf("%s\n", hex);
    return 0;
}

static int cmd_destroy(char **args, const struct opts *o)
{
    uint32_t id = number(args[0], "realm id");
    struct dev *d = device(DEFAULT_DEVICE);
    struct rb_response r;
    char why[sizeof(d->why)];
    (void)o;
    if (simple(d, RB_OP_DESTROY, id, 0, 0, &r)) {
        printf("realm %u destroyed\n", id);
        return 0;
    }
    /* A realm left loading (its creator was killed) goes with ABORT. */
    memcpy(why, d->why, sizeof(why));
    if (r.status == RB_BAD_STATE && simple(d, RB_OP_ABORT, id, 0, 0, &r)) {
        printf("realm %u was loading: aborted\n", id);
        return 0;
    }
    die("%s", why);
}

/* RUN of one vCPU; false if the resource server does not know RUN. */
static bool run(struct dev *d, uint32_t id, uint32_t vcpu, uint32_t timeout)
{
    struct rb_response r;
    if (simple(d, RB_OP_RUN, id, vcpu, timeout, &r)) {
        printf("realm %u vCPU %u: RUN succeeded\n", id, vcpu);
        return true;
    }
    if (r.status == RB_BAD_OP)
        return false;
    die("%s", d->why);
}

static int cmd_run(char **args, const struct opts *o)
{
    uint32_t id = number(args[0], "realm id"), vcpu = number(args[1], "vCPU");
    struct dev *d = device(DEFAULT_DEVICE);
    if (!run(d, id, vcpu, o->timeout))
        die("running realms is not available yet: %s", d->why);
    return 0;
}

/* The seed's form: the lowest free id, then RUN of vCPU 0. */
static int cmd_create_realm(char **args, const struct opts *o)
{
    uint8_t m[RB_MEASUREMENT_SIZE];
    char hex[2 * RB_MEASUREMENT_SIZE + 1];
    uint16_t status = RB_REALM_EXISTS;
    uint32_t id = 0;
    struct dev *d;
    (void)o;
    if (strncmp(args[0], "file:", 5) != 0 || !args[0][5])
        die("expected file:<device>, not '%s' (see %s --help)", args[0], prog);
    d = device(args[0] + 5);
    for (int tries = 0; status == RB_REALM_EXISTS && tries < CREATE_TRIES; tries++) {
        size_t n;
        struct rb_list_entry *all = list_all(d, &n);
        uint32_t *ids = malloc((n + 1) * sizeof(*ids));
        if (!ids)
            die("out of memory");
        for (size_t i = 0; i < n; i++)
            ids[i] = all[i].id;
        if (!rb_lowest_free_id(ids, n, &id))
            die("every realm id is in use");
        free(ids);
        free(all);
        if (create(d, id, args[1], m, &status))
            break;
    }
    if (status != RB_OK)
        die("%s", d->why);
    rb_hex(m, hex);
    printf("realm %u created, measurement %s\n", id, hex);
    fflush(stdout);
    if (!run(d, id, 0, 0))
        printf("realm %u is built; running it is not available yet: %s\n", id, d->why);
    return 0;
}

/* ---- the command line */

struct command {
    const char *name, *args, *help;
    int nargs;
    bool timeout;               /* takes --timeout MS */
    int (*fn)(char **args, const struct opts *o);
};

static const struct command commands[] = {
    { "status", "", "Shows the resource server's pool: bytes free of all, and how many realms exist.", 0, false,
      cmd_status },
    { "list", "", "Lists every realm: id, state, vCPUs, pool memory it holds (MiB), measurement.", 0, false,
      cmd_list },
    { "create", "<id> <spec-file>",
      "Creates realm <id> from a realm spec (docs/realm-spec.md) and prints its measurement in hex.\n"
      "On a failure, or SIGINT/SIGTERM, while loading, the realm is aborted.", 2, false, cmd_create },
    { "destroy", "<id>",
      "Destroys realm <id> and gives its memory back to the pool (a realm left loading is aborted).", 1, false,
      cmd_destroy },
    { "run", "<id> <vcpu> [--timeout MS]",
      "Asks the resource server to run vCPU <vcpu> of realm <id> (RUN), for at most MS milliseconds\n"
      "(0, the default: no limit), and says what it answered.", 2, true, cmd_run },
    { "create-realm", "file:<device> <spec-file>",
      "Creates a realm from a realm spec with the lowest free id, through the device file <device>\n"
      "instead of " DEFAULT_DEVICE ", prints \"realm N created, measurement ...\", then runs its vCPU 0.\n"
      "Also run as create-realm (a link to this program).", 2, false, cmd_create_realm },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(void)
{
    printf("usage: icecap-host <command> [arguments]   (icecap-host <command> --help)\n\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  icecap-host %s%s%s\n", commands[i].name, *commands[i].args ? " " : "", commands[i].args);
    printf("\nTalks to the resource server through the realm device (compatible \"" REALM_DEV_COMPATIBLE "\" under\n"
           DT_ROOT "), mapped from " DEFAULT_DEVICE ". Errors: one line on stderr, exit status 1.\n");
}

/* "icecap-host create <id> <spec-file>" ("icecap-host create" without
 * args), or "create-realm ..." when run as such. */
static const char *command_line(const struct command *c, bool args, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%s%s", strcmp(prog, c->name) ? "icecap-host " : "", c->name, args && *c->args ? " " : "",
             args ? c->args : "");
    return buf;
}

static void command_usage(const struct command *c)
{
    char line[128];
    printf("usage: %s\n\n%s\n", command_line(c, true, line, sizeof(line)), c->help);
}

/* Options out of args (in place), then the command with what remains. */
static int dispatch(const struct command *c, int argc, char **argv)
{
    struct opts o = { 0 };
    int n = 0;
    bool more = true;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (more && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
            command_usage(c);
            return 0;
        } else if (more && !strcmp(a, "--")) {
            more = false;
        } else if (more && c->timeout && (!strcmp(a, "--timeout") || !strncmp(a, "--timeout=", 10))) {
            const char *v = a[9] == '=' ? a + 10 : i + 1 < argc ? argv[++i] : NULL;
            if (!v)
                die("--timeout needs a number of milliseconds (see icecap-host %s --help)", c->name);
            o.timeout = number(v, "timeout");
        } else if (more && a[0] == '-' && a[1]) {
            die("unknown option '%s' for %s (see icecap-host %s --help)", a, c->name, c->name);
        } else {
            argv[n++] = argv[i];
        }
    }
    if (n != c->nargs) {
        char line[128];
        die("wrong number of arguments; usage: %s", command_line(c, true, line, sizeof(line)));
    }
    return c->fn(argv, &o);
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
    const struct command *c;
    base = base ? base + 1 : argc > 0 ? argv[0] : "";
    if (!strcmp(base, "create-realm")) {
        prog = "create-realm";
        return dispatch(find_command("create-realm"), argc - 1, argv + 1);
    }
    if (argc < 2)
        die("no command (see %s --help)", prog);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage();
        return 0;
    }
    c = find_command(argv[1]);
    if (!c)
        die("unknown command '%s' (see %s --help)", argv[1], prog);
    return dispatch(c, argc - 2, argv + 2);
}
