/*
 * libotr-bench: the OTR benchmark workloads (bench/otr.ts, WORKLOAD.md) on real libotr 4.1.x.
 * Built by bench/otr.ts like the interop peer (gcc + pkg-config libotr libgcrypt, into build/).
 *
 * One process, one thread, two OtrlUserStates (alice@bench, bob@bench, protocol "irc"),
 * OTRL_POLICY_DEFAULT, one in-memory FIFO per direction, pump() until both are empty.
 *
 *   libotr-bench --keys DIR [--only ake,pingpong,oneway,big,smp,keygen] [--warmup 2] [--n-scale 1]
 *
 * DIR/alice.key and DIR/bob.key are libotr private key files (generated there when missing), so
 * the TypeScript side can load the very same DSA keys.
 * Output: one JSON object on stdout: {"impl":"libotr","version":…,"workloads":{"ake_ms":{…},…}}.
 * Every workload reports wall min/median/mean/p90/max, cpu min/median/mean, wire messages and
 * bytes per iteration, and the number of gcry_mpi_powm calls libotr made per iteration (counted
 * by interposing the symbol; DSA inside libgcrypt is not included). Exit 1 if a check failed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gcrypt.h>
#include <libotr/proto.h>
#include <libotr/context.h>
#include <libotr/message.h>
#include <libotr/privkey.h>
#include <libotr/instag.h>
#include <libotr/userstate.h>
#include <libotr/tlv.h>

#define PROTO "irc"

/* ---------- modexp counting: libotr's calls to gcry_mpi_powm resolve here first ---------- */

static unsigned long g_powm;
typedef void (*powm_fn)(gcry_mpi_t, gcry_mpi_t, gcry_mpi_t, gcry_mpi_t);
void gcry_mpi_powm(gcry_mpi_t w, const gcry_mpi_t b, const gcry_mpi_t e, const gcry_mpi_t m)
{
    static powm_fn real;
    if (!real) real = (powm_fn)dlsym(RTLD_NEXT, "gcry_mpi_powm");
    g_powm++;
    real(w, b, e, m);
}

/* ---------- small helpers ---------- */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("libotr-bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static double clock_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct { char **v; size_t head, len, cap; } Fifo;

static void fifo_push(Fifo *f, const char *s)
{
    if (f->head + f->len == f->cap) {
        if (f->head) { memmove(f->v, f->v + f->head, f->len * sizeof *f->v); f->head = 0; }
        else { f->cap = f->cap ? f->cap * 2 : 32; f->v = realloc(f->v, f->cap * sizeof *f->v); }
    }
    f->v[f->head + f->len++] = strdup(s);
}

static char *fifo_pop(Fifo *f)
{
    if (!f->len) return NULL;
    char *s = f->v[f->head++];
    if (--f->len == 0) f->head = 0;
    return s;
}

static void fifo_clear(Fifo *f)
{
    char *s;
    while ((s = fifo_pop(f))) free(s);
}

/* ---------- the two sides ---------- */

typedef struct Side {
    const char *account;
    OtrlUserState us;
    struct Side *other;
    Fifo inbox;
    unsigned long sent_msgs, sent_bytes;
    int secure, smp_success, smp_bad, hb, plain_count;
    char *last_plain;
    ConnContext *smp_ask;   /* answered from the pump loop */
    char err[256];
} Side;

static Side alice = { .account = "alice@bench" }, bob = { .account = "bob@bench" };
static int g_mms;

static void side_fail(Side *s, const char *fmt, ...)
{
    if (s->err[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
}

static void side_reset(Side *s)
{
    s->sent_msgs = s->sent_bytes = 0;
    s->secure = s->smp_success = s->smp_bad = s->hb = s->plain_count = 0;
    free(s->last_plain);
    s->last_plain = NULL;
    s->smp_ask = NULL;
    s->err[0] = '\0';
}

static OtrlPolicy op_policy(void *o, ConnContext *c) { (void)o; (void)c; return OTRL_POLICY_DEFAULT; }
static void op_create_privkey(void *o, const char *a, const char *p) { side_fail(o, "no key for %s/%s", a, p); }
static int op_logged_in(void *o, const char *a, const char *p, const char *r) { (void)o; (void)a; (void)p; (void)r; return 1; }
static void op_inject(void *o, const char *a, const char *p, const char *r, const char *msg)
{
    Side *s = o;
    (void)a; (void)p; (void)r;
    fifo_push(&s->other->inbox, msg);
    s->sent_msgs++;
    s->sent_bytes += strlen(msg);
}
static void op_update(void *o) { (void)o; }
static void op_new_fp(void *o, OtrlUserState u, const char *a, const char *p, const char *n, unsigned char f[20])
{ (void)o; (void)u; (void)a; (void)p; (void)n; (void)f; }
static void op_write_fps(void *o) { (void)o; }
static void op_gone_secure(void *o, ConnContext *c) { (void)c; ((Side *)o)->secure++; }
static void op_gone_insecure(void *o, ConnContext *c) { (void)c; side_fail(o, "gone insecure"); }
static void op_still_secure(void *o, ConnContext *c, int r) { (void)o; (void)c; (void)r; }
static int op_mms(void *o, ConnContext *c) { (void)o; (void)c; return g_mms; }
static const char *op_errmsg(void *o, ConnContext *c, OtrlErrorCode code)
{ (void)c; side_fail(o, "libotr wants to send error %d", (int)code); return "error"; }
static void op_errmsg_free(void *o, const char *m) { (void)o; (void)m; }
static void op_smp(void *o, OtrlSMPEvent ev, ConnContext *c, unsigned short prog, char *q)
{
    Side *s = o;
    (void)prog; (void)q;
    if (ev == OTRL_SMPEVENT_ASK_FOR_SECRET || ev == OTRL_SMPEVENT_ASK_FOR_ANSWER) s->smp_ask = c;
    else if (ev == OTRL_SMPEVENT_SUCCESS) s->smp_success++;
    else if (ev != OTRL_SMPEVENT_IN_PROGRESS) { s->smp_bad++; side_fail(s, "SMP event %d", (int)ev); }
}
static void op_msg_event(void *o, OtrlMessageEvent ev, ConnContext *c, const char *m, gcry_error_t e)
{
    Side *s = o;
    (void)c; (void)m; (void)e;
    if (ev == OTRL_MSGEVENT_LOG_HEARTBEAT_SENT) s->hb++;
    else if (ev != OTRL_MSGEVENT_LOG_HEARTBEAT_RCVD && ev != OTRL_MSGEVENT_NONE) side_fail(s, "message event %d", (int)ev);
}
static void op_create_instag(void *o, const char *a, const char *p) { side_fail(o, "no instag for %s/%s", a, p); }

static OtrlMessageAppOps ops = {
    .policy = op_policy, .create_privkey = op_create_privkey, .is_logged_in = op_logged_in,
    .inject_message = op_inject, .update_context_list = op_update, .new_fingerprint = op_new_fp,
    .write_fingerprints = op_write_fps, .gone_secure = op_gone_secure, .gone_insecure = op_gone_insecure,
    .still_secure = op_still_secure, .max_message_size = op_mms, .otr_error_message = op_errmsg,
    .otr_error_message_free = op_errmsg_free, .handle_smp_event = op_smp, .handle_msg_event = op_msg_event,
    .create_instag = op_create_instag,
};

static const char *g_secret = "s3cret";

static void deliver(Side *s)
{
    char *wire = fifo_pop(&s->inbox), *plain = NULL;
    OtrlTLV *tlvs = NULL;
    int ignore = otrl_message_receiving(s->us, &ops, s, s->account, PROTO, s->other->account, wire,
            &plain, &tlvs, NULL, NULL, NULL);
    if (!ignore) {
        if (plain) { s->plain_count++; free(s->last_plain); s->last_plain = strdup(plain); }
        else side_fail(s, "plaintext on the wire: %.40s", wire);
    }
    if (plain) otrl_message_free(plain);
    if (tlvs) otrl_tlv_free(tlvs);
    free(wire);
    if (s->smp_ask) {
        ConnContext *c = s->smp_ask;
        s->smp_ask = NULL;
        otrl_message_respond_smp(s->us, &ops, s, c, (const unsigned char *)g_secret, strlen(g_secret));
    }
}

static void pump(void)
{
    for (int rounds = 0; alice.inbox.len || bob.inbox.len; rounds++) {
        if (rounds > 100000) die("pump does not converge");
        while (bob.inbox.len) deliver(&bob);
        while (alice.inbox.len) deliver(&alice);
    }
}

static void send_text(Side *s, const char *text)
{
    char *out = NULL;
    gcry_error_t err = otrl_message_sending(s->us, &ops, s, s->account, PROTO, s->other->account,
            OTRL_INSTAG_BEST, text, NULL, &out, OTRL_FRAGMENT_SEND_ALL, NULL, NULL, NULL);
    if (out) otrl_message_free(out);
    if (err) side_fail(s, "otrl_message_sending: %s", gcry_strerror(err));
}

static ConnContext *best(Side *s)
{
    return otrl_context_find(s->us, s->other->account, s->account, PROTO, OTRL_INSTAG_BEST, 0, NULL, NULL, NULL);
}

static int check_encrypted(char *why, size_t n)
{
    ConnContext *a = best(&alice), *b = best(&bob);
    if (!a || !b || a->msgstate != OTRL_MSGSTATE_ENCRYPTED || b->msgstate != OTRL_MSGSTATE_ENCRYPTED)
        return snprintf(why, n, "not ENCRYPTED on both sides"), -1;
    if (a->protocol_version != 3 || b->protocol_version != 3)
        return snprintf(why, n, "protocol version %u/%u", a->protocol_version, b->protocol_version), -1;
    if (a->their_instance != b->our_instance || b->their_instance != a->our_instance)
        return snprintf(why, n, "instance tags do not match"), -1;
    return 0;
}

static void forget_all(void)
{
    fifo_clear(&alice.inbox);
    fifo_clear(&bob.inbox);
    otrl_context_forget_all(alice.us);
    otrl_context_forget_all(bob.us);
}

/* The same deterministic text bench/otr.ts makes: tag, 8-digit sequence, ':', filler. */
static void make_text(char *buf, size_t len, char tag, long seq)
{
    static const char filler[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-";
    size_t n = (size_t)snprintf(buf, len + 1, "%c%08ld:", tag, seq);
    for (size_t i = n; i < len; i++) buf[i] = filler[(i * 7 + (size_t)seq) % (sizeof filler - 1)];
    buf[len] = '\0';
}

/* ---------- results ---------- */

typedef struct {
    const char *key, *unit;
    int n, ok;
    double *wall, *cpu;
    double a2b_msgs, b2a_msgs, a2b_bytes, b2a_bytes, powm;
    int heartbeats;
    char error[300];
} Result;

static int cmpd(const void *x, const void *y) { double a = *(const double *)x, b = *(const double *)y; return a < b ? -1 : a > b; }

static void print_stats(const char *name, double *v, int n, int full)
{
    double *s = malloc(sizeof(double) * (size_t)(n ? n : 1)), sum = 0;
    memcpy(s, v, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmpd);
    for (int i = 0; i < n; i++) sum += s[i];
    double med = n ? (n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : 0;
    if (name) printf("\"%s\":{", name);
    printf("\"min\":%.4f,\"median\":%.4f,\"mean\":%.4f", n ? s[0] : 0, med, n ? sum / n : 0);
    if (full) printf(",\"p90\":%.4f,\"max\":%.4f", n ? s[(int)((n - 1) * 0.9)] : 0, n ? s[n - 1] : 0);
    if (name) printf("}");
    free(s);
}

static void print_result(Result *r, int first)
{
    printf("%s\"%s\":{\"ok\":%s,\"unit\":\"%s\",\"n\":%d,", first ? "" : ",", r->key, r->ok ? "true" : "false", r->unit, r->n);
    print_stats(NULL, r->wall, r->ok ? r->n : 0, 1);
    printf(",");
    print_stats("cpu", r->cpu, r->ok ? r->n : 0, 0);
    printf(",\"wire_msgs_per_iter\":{\"a2b\":%.2f,\"b2a\":%.2f},\"wire_bytes_per_iter\":{\"a2b\":%.1f,\"b2a\":%.1f}",
            r->a2b_msgs, r->b2a_msgs, r->a2b_bytes, r->b2a_bytes);
    printf(",\"modexps_per_iter\":%.2f,\"heartbeats\":%d", r->powm, r->heartbeats);
    if (!r->ok) {
        printf(",\"error\":\"");
        for (const char *p = r->error; *p; p++) { if (*p == '"' || *p == '\\') putchar('\\'); putchar(*p); }
        printf("\"");
    }
    printf("}");
}

static void fail(Result *r, const char *fmt, ...)
{
    if (!r->ok) return;
    r->ok = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    fprintf(stderr, "libotr-bench: %s: %s\n", r->key, r->error);
}

static int side_errors(Result *r, int iter)
{
    if (alice.err[0]) { fail(r, "iteration %d: alice: %s", iter, alice.err); return -1; }
    if (bob.err[0]) { fail(r, "iteration %d: bob: %s", iter, bob.err); return -1; }
    return 0;
}

static int g_warmup = 2;

typedef int (*IterFn)(Result *r, long i, double *wall, double *cpu);

/* Runs warm-ups then n timed iterations; totals (wire, modexps) count the timed ones only. */
static void run(Result *r, IterFn fn)
{
    unsigned long a_msgs = 0, b_msgs = 0, a_bytes = 0, b_bytes = 0, powm = 0;
    for (long i = -g_warmup; i < r->n && r->ok; i++) {
        alice.sent_msgs = bob.sent_msgs = alice.sent_bytes = bob.sent_bytes = 0;
        unsigned long p0 = g_powm;
        double w = 0, c = 0;
        if (fn(r, i, &w, &c) < 0 || side_errors(r, (int)i) < 0) return;
        if (i < 0) continue;
        r->wall[i] = w;
        r->cpu[i] = c;
        a_msgs += alice.sent_msgs; b_msgs += bob.sent_msgs;
        a_bytes += alice.sent_bytes; b_bytes += bob.sent_bytes;
        powm += g_powm - p0;
    }
    r->a2b_msgs = (double)a_msgs / r->n; r->b2a_msgs = (double)b_msgs / r->n;
    r->a2b_bytes = (double)a_bytes / r->n; r->b2a_bytes = (double)b_bytes / r->n;
    r->powm = (double)powm / r->n;
    r->heartbeats = alice.hb + bob.hb;
}

/* The CPU clock is read outside the wall-clock window, as WORKLOAD.md's otrbench does (and as bench/otr.ts
 * reads process.cpuUsage()): CLOCK_PROCESS_CPUTIME_ID is a system call, not a vDSO read, and inside the window
 * it added ~1.2 us to every one-way message here (libotr 3.6-3.7 us against 2.4 with it outside). */
#define TIMED(scale, body) do { \
    double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID); \
    double w0 = clock_s(CLOCK_MONOTONIC); \
    body; \
    double w1 = clock_s(CLOCK_MONOTONIC); \
    *cpu = (clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0) * (scale); \
    *wall = (w1 - w0) * (scale); \
} while (0)

static int fresh_ake(Result *r)
{
    char why[200];
    forget_all();
    side_reset(&alice);
    side_reset(&bob);
    send_text(&alice, "?OTRv3?");
    pump();
    if (check_encrypted(why, sizeof why) < 0) { fail(r, "setup AKE: %s", why); return -1; }
    if (side_errors(r, -99) < 0) return -1;
    side_reset(&alice);
    side_reset(&bob);
    return 0;
}

static int it_ake(Result *r, long i, double *wall, double *cpu)
{
    char why[200];
    forget_all();
    side_reset(&alice);
    side_reset(&bob);
    TIMED(1e3, { send_text(&alice, "?OTRv3?"); pump(); });
    if (check_encrypted(why, sizeof why) < 0) { fail(r, "iteration %ld: %s", i, why); return -1; }
    if (alice.secure != 1 || bob.secure != 1) { fail(r, "iteration %ld: gone_secure %d/%d", i, alice.secure, bob.secure); return -1; }
    return 0;
}

static char text_a[4096], text_b[4096];
static size_t g_len;

static int check_plain(Result *r, Side *s, const char *want, long i)
{
    if (!s->last_plain || strcmp(s->last_plain, want)) { fail(r, "iteration %ld: %s decrypted the wrong text", i, s->account); return -1; }
    return 0;
}

static int it_pingpong(Result *r, long i, double *wall, double *cpu)
{
    make_text(text_a, 100, 'A', i + 1000000);
    make_text(text_b, 100, 'B', i + 1000000);
    int bad = 0;
    TIMED(1e6, {
        send_text(&alice, text_a); pump(); bad |= check_plain(r, &bob, text_a, i);
        send_text(&bob, text_b); pump(); bad |= check_plain(r, &alice, text_b, i);
    });
    return bad;
}

static int it_oneway(Result *r, long i, double *wall, double *cpu)
{
    make_text(text_a, g_len, 'A', i + 1000000);
    int bad = 0;
    TIMED(1e6, { send_text(&alice, text_a); pump(); bad |= check_plain(r, &bob, text_a, i); });
    return bad;
}

static int it_smp(Result *r, long i, double *wall, double *cpu)
{
    alice.smp_success = bob.smp_success = 0;
    ConnContext *c = best(&alice);
    TIMED(1e3, {
        otrl_message_initiate_smp(alice.us, &ops, &alice, c, (const unsigned char *)g_secret, strlen(g_secret));
        pump();
    });
    if (alice.smp_success != 1 || bob.smp_success != 1) { fail(r, "iteration %ld: SMP success %d/%d", i, alice.smp_success, bob.smp_success); return -1; }
    return 0;
}

static char g_scratch[512];

static int it_keygen(Result *r, long i, double *wall, double *cpu)
{
    char acct[64];
    snprintf(acct, sizeof acct, "keygen%ld@bench", i);
    OtrlUserState us = otrl_userstate_create();
    gcry_error_t err = 0;
    TIMED(1e3, { err = otrl_privkey_generate(us, g_scratch, acct, PROTO); });
    unlink(g_scratch);
    otrl_userstate_free(us);
    if (err) { fail(r, "otrl_privkey_generate: %s", gcry_strerror(err)); return -1; }
    return 0;
}

static Result *new_result(const char *key, const char *unit, int n, double scale)
{
    Result *r = calloc(1, sizeof *r);
    r->key = key; r->unit = unit; r->ok = 1;
    r->n = (int)(n * scale + 0.5);
    if (r->n < 1) r->n = 1;
    r->wall = calloc((size_t)r->n, sizeof(double));
    r->cpu = calloc((size_t)r->n, sizeof(double));
    return r;
}

static void setup_side(Side *s, const char *keyfile)
{
    s->us = otrl_userstate_create();
    if (access(keyfile, R_OK) != 0 && otrl_privkey_generate(s->us, keyfile, s->account, PROTO))
        die("cannot generate %s", keyfile);
    if (otrl_privkey_read(s->us, keyfile)) die("cannot read %s", keyfile);
    char human[OTRL_PRIVKEY_FPRINT_HUMAN_LEN];
    if (!otrl_privkey_fingerprint(s->us, human, s->account, PROTO)) die("%s has no key for %s", keyfile, s->account);
    FILE *f = tmpfile();
    if (!f || otrl_instag_generate_FILEp(s->us, f, s->account, PROTO)) die("cannot make an instance tag");
    fclose(f);
}

static int wants(const char *only, const char *name)
{
    if (!only) return 1;
    size_t n = strlen(name);
    for (const char *p = only; (p = strstr(p, name)); p += n)
        if ((p == only || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *keys = NULL, *only = NULL;
    double scale = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--keys") && i + 1 < argc) keys = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) g_warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--n-scale") && i + 1 < argc) scale = atof(argv[++i]);
        else die("usage: libotr-bench --keys DIR [--only LIST] [--warmup N] [--n-scale X]");
    }
    if (!keys) die("--keys DIR is required");
    OTRL_INIT;
    char path[600];
    snprintf(path, sizeof path, "%s/alice.key", keys);
    setup_side(&alice, path);
    snprintf(path, sizeof path, "%s/bob.key", keys);
    setup_side(&bob, path);
    alice.other = &bob;
    bob.other = &alice;
    snprintf(g_scratch, sizeof g_scratch, "%s/keygen.%d.tmp", keys, (int)getpid());

    Result *res[8];
    int nres = 0;
    if (wants(only, "ake")) { Result *r = res[nres++] = new_result("ake_ms", "ms", 50, scale); run(r, it_ake); }
    if (wants(only, "pingpong")) {
        Result *r = res[nres++] = new_result("msg_us_pingpong", "us", 2000, scale);
        g_mms = 0;
        if (fresh_ake(r) == 0) run(r, it_pingpong);
    }
    if (wants(only, "oneway")) {
        Result *r = res[nres++] = new_result("msg_us_oneway", "us", 2000, scale);
        g_mms = 0; g_len = 100;
        if (fresh_ake(r) == 0) run(r, it_oneway);
    }
    if (wants(only, "big")) {
        Result *r = res[nres++] = new_result("msg_us_big", "us", 500, scale);
        g_mms = 0; g_len = 2000;
        if (fresh_ake(r) == 0) { g_mms = 400; run(r, it_oneway); g_mms = 0; }
    }
    if (wants(only, "smp")) {
        Result *r = res[nres++] = new_result("smp_ms", "ms", 30, scale);
        if (fresh_ake(r) == 0) run(r, it_smp);
    }
    if (wants(only, "keygen")) {
        Result *r = res[nres++] = new_result("keygen_ms", "ms", 3, scale);
        int w = g_warmup;
        g_warmup = 0;
        run(r, it_keygen);
        g_warmup = w;
    }

    int ok = 1;
    printf("{\"impl\":\"libotr\",\"version\":\"%s\",\"gcrypt\":\"%s\",\"warmup\":%d,\"n_scale\":%g,\"workloads\":{",
            otrl_version(), gcry_check_version(NULL), g_warmup, scale);
    for (int i = 0; i < nres; i++) { print_result(res[i], i == 0); ok &= res[i]->ok; }
    printf("},\"ok\":%s}\n", ok ? "true" : "false");
    return ok ? 0 : 1;
}
