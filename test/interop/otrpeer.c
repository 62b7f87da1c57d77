/*
 * otrpeer: real libotr 4.1.x as a scriptable OTR peer, driven by JSON lines.
 *
 * One process = one libotr account (OtrlUserState) that can talk to any number of
 * remote users ("peers", named by string). The test harness carries the wire lines
 * between this process and whatever is on the other side (our engine, another otrpeer,
 * an IRC socket). Built by test/interop/build-peer.ts; wrapped by test/interop/libotr-peer.ts.
 *
 * Input: one JSON object per line on stdin. Every command may carry "id" (number or
 * string); it is echoed in the reply. Commands ("cmd"):
 *
 *   init      {account, protocol="irc", policy=0x76 (int, OTRL_POLICY_* bits),
 *              privkey (path to read), genkey (path: generate a key for the account there),
 *              instags (path: read; generated there when missing or without our account),
 *              instag (int: use this instance tag), fingerprints (path to read),
 *              mms=0 (max_message_size for every peer)}
 *              -> {fingerprint, instag}
 *   policy    {value, peer?}          policy for one peer, or the default
 *   mms       {value, peer?}          max_message_size for one peer, or the default
 *   receive   {from, wire}            otrl_message_receiving -> {ignore, text?, encrypted?, tlvs?}
 *                                     (a user-visible message is also emitted as a "message" event)
 *   send      {to, text, instance?}   otrl_message_sending (FRAGMENT_SEND_ALL)
 *                                     -> {err?, refused?}; an unmodified plaintext is injected as is
 *   query     {to}                    sends "?OTR?", which libotr turns into its query message
 *   raw       {to, wire}              injects a wire line without libotr (e.g. a hand-made "?OTR Error:")
 *   finish    {peer, instance?}       otrl_message_disconnect(_all_instances)
 *   smp_start {peer, secret, question?, instance?}
 *   smp_respond {peer, secret}        answers the pending request (context from the ask event)
 *   smp_abort {peer, instance?}
 *   state     {peer, instance?}       -> {msgstate: plaintext|encrypted|finished, version,
 *                                        our_instance, their_instance, fingerprint?, trust?,
 *                                        smp_expected}
 *   fingerprints {}                   -> {list: [{peer, fingerprint, trust}]}
 *   trust     {peer, fingerprint, trust}   (trust "" = distrust) -> {found}
 *   write_fingerprints {path}         otrl_privkey_write_fingerprints
 *   write_instags {path}              otrl_instag_write
 *   genkey    {path, account?}        otrl_privkey_generate (writes the file) -> {fingerprint}
 *   our_fingerprint {account?}        -> {fingerprint}
 *   forget    {peer}                  forgets every context (and known fingerprint) of that peer
 *   symkey    {peer, use, usedata?(hex), instance?}  otrl_message_symkey -> {key (hex)}
 *   clock     {advance}               moves libotr's clock (time()) forward by that many seconds
 *                                     (heartbeats, resend and AKE timeouts without waiting)
 *   quit      {}
 *
 * Output: one JSON object per line on stdout.
 *   {"ev":"reply","cmd":…,"id":…,"ok":true,…}  or  {"ev":"reply",…,"ok":false,"error":"…"}
 *   {"ev":"inject","to":X,"wire":"…"}           a wire line libotr sends to X (one per fragment)
 *   {"ev":"message","from":X,"text":"…","encrypted":bool,"tlvs":[types]}
 *   {"ev":"msg_event","peer":X,"event":"RCVDMSG_UNENCRYPTED"|…,"message"?,"error"?}
 *   {"ev":"smp_event","peer":X,"event":"ASK_FOR_SECRET"|"ASK_FOR_ANSWER"|"IN_PROGRESS"|
 *        "SUCCESS"|"FAILURE"|"ABORT"|"CHEATED"|"ERROR","progress":N,"question"?}
 *   {"ev":"gone_secure","peer":X,"fingerprint":HEX,"trust":…,"version":N,"their_instance":N}
 *   {"ev":"gone_insecure","peer":X}
 *   {"ev":"still_secure","peer":X,"is_reply":bool}
 *   {"ev":"new_fingerprint","peer":X,"fingerprint":HEX}
 *   {"ev":"write_fingerprints"}                 libotr asked to persist fingerprints
 *   {"ev":"received_symkey","peer":X,"use":N,"usedata":HEX,"key":HEX}
 *   {"ev":"fatal","error":"…"}                  bad input line (the process keeps running)
 * Events caused by a command are printed before its reply. Fingerprints are 40 upper-case hex.
 * SMP requests are answered from the command loop (smp_respond), never inside the callback.
 */
#define _GNU_SOURCE
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

/* ---------- libotr's clock: its calls to time() resolve here first (see the clock command) ---------- */

static long g_clock_offset;

time_t time(time_t *t)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    time_t now = ts.tv_sec + g_clock_offset;
    if (t) *t = now;
    return now;
}

/* ---------- output buffer ---------- */

typedef struct { char *b; size_t len, cap; int first; } Out;
static Out out;

static void ob_grow(size_t need)
{
    if (out.len + need + 1 > out.cap) {
        while (out.len + need + 1 > out.cap) out.cap = out.cap ? out.cap * 2 : 4096;
        out.b = realloc(out.b, out.cap);
        if (!out.b) { fputs("otrpeer: out of memory\n", stderr); exit(2); }
    }
}
static void ob_raw(const char *s, size_t n) { ob_grow(n); memcpy(out.b + out.len, s, n); out.len += n; }
static void ob_cstr(const char *s) { ob_raw(s, strlen(s)); }
static void ob_fmt(const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    ob_raw(tmp, (size_t)n);
}
static void ob_jstr(const char *s)
{
    ob_raw("\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': ob_raw("\\\"", 2); break;
        case '\\': ob_raw("\\\\", 2); break;
        case '\n': ob_raw("\\n", 2); break;
        case '\r': ob_raw("\\r", 2); break;
        case '\t': ob_raw("\\t", 2); break;
        default:
            if (*p < 0x20) ob_fmt("\\u%04x", *p);
            else ob_raw((const char *)p, 1);
        }
    }
    ob_raw("\"", 1);
}
static void ob_key(const char *k)
{
    if (!out.first) ob_raw(",", 1);
    out.first = 0;
    ob_jstr(k);
    ob_raw(":", 1);
}
static void ob_begin(const char *ev) { out.len = 0; out.first = 1; ob_raw("{", 1); ob_key("ev"); ob_jstr(ev); }
static void ob_s(const char *k, const char *v) { ob_key(k); if (v) ob_jstr(v); else ob_cstr("null"); }
static void ob_i(const char *k, long long v) { ob_key(k); ob_fmt("%lld", v); }
static void ob_b(const char *k, int v) { ob_key(k); ob_cstr(v ? "true" : "false"); }
static void ob_end(void)
{
    ob_raw("}\n", 2);
    fwrite(out.b, 1, out.len, stdout);
    out.len = 0;
}

/* ---------- minimal JSON object parser (flat: string, number, bool, null, arrays skipped) ---------- */

typedef enum { J_NULL, J_STR, J_NUM, J_BOOL } JType;
typedef struct { char *key; JType type; char *str; size_t slen; double num; int b; } JField;
typedef struct { JField f[32]; int n; } JObj;

static const char *jp;

static void ws(void) { while (*jp == ' ' || *jp == '\t' || *jp == '\r' || *jp == '\n') jp++; }

static void put_utf8(char **o, unsigned cp)
{
    char *d = *o;
    if (cp < 0x80) *d++ = (char)cp;
    else if (cp < 0x800) { *d++ = (char)(0xc0 | (cp >> 6)); *d++ = (char)(0x80 | (cp & 0x3f)); }
    else if (cp < 0x10000) { *d++ = (char)(0xe0 | (cp >> 12)); *d++ = (char)(0x80 | ((cp >> 6) & 0x3f)); *d++ = (char)(0x80 | (cp & 0x3f)); }
    else { *d++ = (char)(0xf0 | (cp >> 18)); *d++ = (char)(0x80 | ((cp >> 12) & 0x3f)); *d++ = (char)(0x80 | ((cp >> 6) & 0x3f)); *d++ = (char)(0x80 | (cp & 0x3f)); }
    *o = d;
}

static int hex4(const char *s, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        *v <<= 4;
        if (c >= '0' && c <= '9') *v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') *v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') *v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    return 0;
}

/* Parses a JSON string at jp (which points at '"'); returns malloc'd UTF-8, or NULL. */
static char *jstring(size_t *lenp)
{
    if (*jp != '"') return NULL;
    jp++;
    size_t cap = strlen(jp) + 1;
    char *buf = malloc(cap * 2 + 4), *o = buf;
    if (!buf) return NULL;
    while (*jp && *jp != '"') {
        if (*jp == '\\') {
            jp++;
            switch (*jp) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '/': *o++ = '/'; break;
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'n': *o++ = '\n'; break;
            case 'r': *o++ = '\r'; break;
            case 't': *o++ = '\t'; break;
            case 'u': {
                unsigned cp, lo;
                if (hex4(jp + 1, &cp) < 0) { free(buf); return NULL; }
                jp += 4;
                if (cp >= 0xd800 && cp < 0xdc00 && jp[1] == '\\' && jp[2] == 'u' && hex4(jp + 3, &lo) == 0 &&
                        lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    jp += 6;
                }
                put_utf8(&o, cp);
                break;
            }
            default: free(buf); return NULL;
            }
            jp++;
        } else {
            *o++ = *jp++;
        }
    }
    if (*jp != '"') { free(buf); return NULL; }
    jp++;
    *o = '\0';
    if (lenp) *lenp = (size_t)(o - buf);
    return buf;
}

static int jskip_value(void)
{
    ws();
    if (*jp == '"') { char *s = jstring(NULL); if (!s) return -1; free(s); return 0; }
    if (*jp == '[' || *jp == '{') {
        char close = *jp == '[' ? ']' : '}';
        jp++;
        ws();
        if (*jp == close) { jp++; return 0; }
        for (;;) {
            ws();
            if (close == '}') {
                char *k = jstring(NULL);
                if (!k) return -1;
                free(k);
                ws();
                if (*jp++ != ':') return -1;
            }
            if (jskip_value() < 0) return -1;
            ws();
            if (*jp == ',') { jp++; continue; }
            if (*jp == close) { jp++; return 0; }
            return -1;
        }
    }
    while (*jp && *jp != ',' && *jp != '}' && *jp != ']' && *jp != ' ') jp++;
    return 0;
}

static void jobj_free(JObj *o)
{
    for (int i = 0; i < o->n; i++) { free(o->f[i].key); free(o->f[i].str); }
    o->n = 0;
}

static int jparse(const char *line, JObj *o)
{
    o->n = 0;
    jp = line;
    ws();
    if (*jp++ != '{') return -1;
    ws();
    if (*jp == '}') return 0;
    for (;;) {
        ws();
        char *k = jstring(NULL);
        if (!k) return -1;
        ws();
        if (*jp++ != ':') { free(k); return -1; }
        ws();
        JField fld = { .key = k, .type = J_NULL };
        if (*jp == '"') {
            fld.str = jstring(&fld.slen);
            if (!fld.str) { free(k); return -1; }
            fld.type = J_STR;
        } else if (!strncmp(jp, "true", 4)) { fld.type = J_BOOL; fld.b = 1; jp += 4; }
        else if (!strncmp(jp, "false", 5)) { fld.type = J_BOOL; fld.b = 0; jp += 5; }
        else if (!strncmp(jp, "null", 4)) { jp += 4; }
        else if (*jp == '-' || (*jp >= '0' && *jp <= '9')) {
            char *end;
            fld.num = strtod(jp, &end);
            if (end == jp) { free(k); return -1; }
            jp = end;
            fld.type = J_NUM;
        } else {
            if (jskip_value() < 0) { free(k); return -1; }
        }
        if (o->n < 32) o->f[o->n++] = fld;
        else { free(fld.key); free(fld.str); }
        ws();
        if (*jp == ',') { jp++; continue; }
        if (*jp == '}') return 0;
        return -1;
    }
}

static JField *jget(JObj *o, const char *k)
{
    for (int i = 0; i < o->n; i++) if (!strcmp(o->f[i].key, k)) return &o->f[i];
    return NULL;
}
static const char *jstr(JObj *o, const char *k)
{
    JField *f = jget(o, k);
    return f && f->type == J_STR ? f->str : NULL;
}
static long long jnum(JObj *o, const char *k, long long dflt)
{
    JField *f = jget(o, k);
    return f && f->type == J_NUM ? (long long)f->num : dflt;
}

/* ---------- state ---------- */

typedef struct {
    char *name;
    int has_policy, has_mms;
    OtrlPolicy policy;
    int mms;
    ConnContext *smp_ctx;   /* context of the last SMP request from this peer */
} PeerCfg;

static OtrlUserState us;
static char *g_account;
static char *g_protocol;
static char *g_fpfile;          /* fingerprints file given at init, rewritten on request */
static OtrlPolicy g_policy = OTRL_POLICY_DEFAULT;
static int g_mms = 0;
static PeerCfg *peers;
static size_t npeers;
static int g_unencrypted_flag;  /* set by RCVDMSG_UNENCRYPTED during one receive */
static const OtrlMessageAppOps *g_ops;

static PeerCfg *peer_cfg(const char *name, int create)
{
    for (size_t i = 0; i < npeers; i++) if (!strcmp(peers[i].name, name)) return &peers[i];
    if (!create) return NULL;
    peers = realloc(peers, (npeers + 1) * sizeof *peers);
    memset(&peers[npeers], 0, sizeof *peers);
    peers[npeers].name = strdup(name);
    return &peers[npeers++];
}

static void fp_hex(const unsigned char *fp, char out40[41])
{
    static const char hx[] = "0123456789ABCDEF";
    for (int i = 0; i < 20; i++) { out40[2 * i] = hx[fp[i] >> 4]; out40[2 * i + 1] = hx[fp[i] & 15]; }
    out40[40] = '\0';
}

static const char *msgstate_name(OtrlMessageState s)
{
    switch (s) {
    case OTRL_MSGSTATE_PLAINTEXT: return "plaintext";
    case OTRL_MSGSTATE_ENCRYPTED: return "encrypted";
    case OTRL_MSGSTATE_FINISHED: return "finished";
    }
    return "unknown";
}

/* ---------- libotr callbacks ---------- */

static OtrlPolicy cb_policy(void *opdata, ConnContext *context)
{
    (void)opdata;
    PeerCfg *p = context ? peer_cfg(context->username, 0) : NULL;
    return p && p->has_policy ? p->policy : g_policy;
}

static void cb_create_privkey(void *opdata, const char *accountname, const char *protocol)
{
    (void)opdata;
    ob_begin("no_private_key");
    ob_s("account", accountname);
    ob_s("protocol", protocol);
    ob_end();
}

static int cb_is_logged_in(void *opdata, const char *a, const char *p, const char *r)
{
    (void)opdata; (void)a; (void)p; (void)r;
    return 1;
}

static void cb_inject(void *opdata, const char *accountname, const char *protocol,
        const char *recipient, const char *message)
{
    (void)opdata; (void)accountname; (void)protocol;
    if (!message || !*message) return; /* libotr "sends" "" for a refused message */
    ob_begin("inject");
    ob_s("to", recipient);
    ob_s("wire", message);
    ob_end();
}

static void cb_update_context_list(void *opdata) { (void)opdata; }

static void cb_new_fingerprint(void *opdata, OtrlUserState u, const char *accountname,
        const char *protocol, const char *username, unsigned char fingerprint[20])
{
    char hex[41];
    (void)opdata; (void)u; (void)accountname; (void)protocol;
    fp_hex(fingerprint, hex);
    ob_begin("new_fingerprint");
    ob_s("peer", username);
    ob_s("fingerprint", hex);
    ob_end();
}

static void cb_write_fingerprints(void *opdata)
{
    (void)opdata;
    ob_begin("write_fingerprints");
    ob_end();
}

static void cb_gone_secure(void *opdata, ConnContext *context)
{
    char hex[41] = "";
    (void)opdata;
    ob_begin("gone_secure");
    ob_s("peer", context->username);
    if (context->active_fingerprint && context->active_fingerprint->fingerprint) {
        fp_hex(context->active_fingerprint->fingerprint, hex);
        ob_s("fingerprint", hex);
        ob_s("trust", context->active_fingerprint->trust ? context->active_fingerprint->trust : "");
    }
    ob_i("version", context->protocol_version);
    ob_i("their_instance", context->their_instance);
    ob_end();
}

static void cb_gone_insecure(void *opdata, ConnContext *context)
{
    (void)opdata;
    ob_begin("gone_insecure");
    ob_s("peer", context->username);
    ob_end();
}

static void cb_still_secure(void *opdata, ConnContext *context, int is_reply)
{
    (void)opdata;
    ob_begin("still_secure");
    ob_s("peer", context->username);
    ob_b("is_reply", is_reply);
    ob_end();
}

static int cb_max_message_size(void *opdata, ConnContext *context)
{
    (void)opdata;
    PeerCfg *p = context ? peer_cfg(context->username, 0) : NULL;
    return p && p->has_mms ? p->mms : g_mms;
}

static const char *cb_otr_error_message(void *opdata, ConnContext *context, OtrlErrorCode code)
{
    (void)opdata; (void)context;
    switch (code) {
    case OTRL_ERRCODE_ENCRYPTION_ERROR: return "Error occurred encrypting message.";
    case OTRL_ERRCODE_MSG_NOT_IN_PRIVATE: return "You sent encrypted data to a peer who wasn't expecting it.";
    case OTRL_ERRCODE_MSG_UNREADABLE: return "You transmitted an unreadable encrypted message.";
    case OTRL_ERRCODE_MSG_MALFORMED: return "You transmitted a malformed data message.";
    default: return "OTR error";
    }
}

static void cb_otr_error_message_free(void *opdata, const char *msg) { (void)opdata; (void)msg; }

static void cb_handle_smp_event(void *opdata, OtrlSMPEvent ev, ConnContext *context,
        unsigned short progress, char *question)
{
    static const char *names[] = { "NONE", "ERROR", "ABORT", "CHEATED", "ASK_FOR_ANSWER",
        "ASK_FOR_SECRET", "IN_PROGRESS", "SUCCESS", "FAILURE" };
    (void)opdata;
    if (ev == OTRL_SMPEVENT_ASK_FOR_SECRET || ev == OTRL_SMPEVENT_ASK_FOR_ANSWER)
        peer_cfg(context->username, 1)->smp_ctx = context;
    ob_begin("smp_event");
    ob_s("peer", context->username);
    ob_s("event", (unsigned)ev < sizeof names / sizeof *names ? names[ev] : "UNKNOWN");
    ob_i("progress", progress);
    if (question) ob_s("question", question);
    ob_end();
}

static void cb_handle_msg_event(void *opdata, OtrlMessageEvent ev, ConnContext *context,
        const char *message, gcry_error_t err)
{
    static const char *names[] = { "NONE", "ENCRYPTION_REQUIRED", "ENCRYPTION_ERROR",
        "CONNECTION_ENDED", "SETUP_ERROR", "MSG_REFLECTED", "MSG_RESENT", "RCVDMSG_NOT_IN_PRIVATE",
        "RCVDMSG_UNREADABLE", "RCVDMSG_MALFORMED", "LOG_HEARTBEAT_RCVD", "LOG_HEARTBEAT_SENT",
        "RCVDMSG_GENERAL_ERR", "RCVDMSG_UNENCRYPTED", "RCVDMSG_UNRECOGNIZED",
        "RCVDMSG_FOR_OTHER_INSTANCE" };
    (void)opdata;
    if (ev == OTRL_MSGEVENT_RCVDMSG_UNENCRYPTED) g_unencrypted_flag = 1;
    ob_begin("msg_event");
    ob_s("peer", context ? context->username : NULL);
    ob_s("event", (unsigned)ev < sizeof names / sizeof *names ? names[ev] : "UNKNOWN");
    /* RCVDMSG_UNENCRYPTED carries the plaintext; it is reported in the "message" event too. */
    if (message) ob_s("message", message);
    if (err) ob_s("error", gcry_strerror(err));
    ob_end();
}

static void cb_create_instag(void *opdata, const char *accountname, const char *protocol)
{
    (void)opdata; (void)accountname; (void)protocol;
    /* Only reached when init did not set up an instance tag; make one in memory. */
    char path[] = "/tmp/otrpeer-instag-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) {
        close(fd);
        otrl_instag_generate(us, path, accountname, protocol);
        unlink(path);
    }
}

static void ob_hex(const char *k, const unsigned char *b, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    ob_key(k);
    ob_raw("\"", 1);
    for (size_t i = 0; i < n; i++) { char two[2] = { hx[b[i] >> 4], hx[b[i] & 15] }; ob_raw(two, 2); }
    ob_raw("\"", 1);
}

static void cb_received_symkey(void *opdata, ConnContext *context, unsigned int use,
        const unsigned char *usedata, size_t usedatalen, const unsigned char *symkey)
{
    (void)opdata;
    ob_begin("received_symkey");
    ob_s("peer", context->username);
    ob_i("use", use);
    ob_hex("usedata", usedata, usedatalen);
    ob_hex("key", symkey, OTRL_EXTRAKEY_BYTES);
    ob_end();
}

static OtrlMessageAppOps ops = {
    .received_symkey = cb_received_symkey,
    .policy = cb_policy,
    .create_privkey = cb_create_privkey,
    .is_logged_in = cb_is_logged_in,
    .inject_message = cb_inject,
    .update_context_list = cb_update_context_list,
    .new_fingerprint = cb_new_fingerprint,
    .write_fingerprints = cb_write_fingerprints,
    .gone_secure = cb_gone_secure,
    .gone_insecure = cb_gone_insecure,
    .still_secure = cb_still_secure,
    .max_message_size = cb_max_message_size,
    .otr_error_message = cb_otr_error_message,
    .otr_error_message_free = cb_otr_error_message_free,
    .handle_smp_event = cb_handle_smp_event,
    .handle_msg_event = cb_handle_msg_event,
    .create_instag = cb_create_instag,
};

/* ---------- commands ---------- */

static JField *g_id;
static const char *g_cmd;

static void reply_begin(int ok)
{
    ob_begin("reply");
    ob_s("cmd", g_cmd);
    if (g_id) {
        if (g_id->type == J_STR) ob_s("id", g_id->str);
        else if (g_id->type == J_NUM) ob_i("id", (long long)g_id->num);
    }
    ob_b("ok", ok);
}

static void reply_error(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    reply_begin(0);
    ob_s("error", buf);
    ob_end();
}

static int need_init(void)
{
    if (g_account) return 0;
    reply_error("not initialised (send init first)");
    return -1;
}

static const char *need_str(JObj *o, const char *k)
{
    const char *v = jstr(o, k);
    if (!v) reply_error("missing string field \"%s\"", k);
    return v;
}

static ConnContext *find_ctx(const char *peer, otrl_instag_t inst, int add)
{
    return otrl_context_find(us, peer, g_account, g_protocol, inst, add, NULL, NULL, NULL);
}

static void reply_our_fingerprint(const char *account)
{
    char human[OTRL_PRIVKEY_FPRINT_HUMAN_LEN];
    if (otrl_privkey_fingerprint(us, human, account, g_protocol)) {
        char hex[41];
        int j = 0;
        for (int i = 0; human[i] && j < 40; i++) if (human[i] != ' ') hex[j++] = human[i];
        hex[j] = '\0';
        ob_s("fingerprint", hex);
    } else {
        ob_s("fingerprint", NULL);
    }
}

static int init_account(JObj *o, const char *account, const char *proto);

static void cmd_init(JObj *o)
{
    const char *account = need_str(o, "account");
    if (!account) return;
    if (g_account) { reply_error("already initialised"); return; }
    const char *proto = jstr(o, "protocol");
    if (init_account(o, account, proto) < 0) {
        /* A failed init leaves the process uninitialised; the caller may try again. */
        free(g_account); g_account = NULL;
        free(g_protocol); g_protocol = NULL;
        free(g_fpfile); g_fpfile = NULL;
        otrl_userstate_free(us);
        us = otrl_userstate_create();
        return;
    }
    reply_begin(1);
    reply_our_fingerprint(g_account);
    OtrlInsTag *it = otrl_instag_find(us, g_account, g_protocol);
    ob_i("instag", it ? it->instag : 0);
    ob_end();
}

static int init_account(JObj *o, const char *account, const char *proto)
{
    g_account = strdup(account);
    g_protocol = strdup(proto ? proto : "irc");
    g_policy = (OtrlPolicy)jnum(o, "policy", OTRL_POLICY_DEFAULT);
    g_mms = (int)jnum(o, "mms", 0);
    const char *priv = jstr(o, "privkey"), *gen = jstr(o, "genkey");
    const char *instags = jstr(o, "instags"), *fps = jstr(o, "fingerprints");
    gcry_error_t err;
    if (priv && (err = otrl_privkey_read(us, priv))) {
        reply_error("privkey %s: %s", priv, gcry_strerror(err));
        return -1;
    }
    if (gen && (err = otrl_privkey_generate(us, gen, g_account, g_protocol))) {
        reply_error("genkey %s: %s", gen, gcry_strerror(err));
        return -1;
    }
    if (fps) {
        g_fpfile = strdup(fps);
        if (access(fps, F_OK) == 0 && (err = otrl_privkey_read_fingerprints(us, fps, NULL, NULL))) {
            reply_error("fingerprints %s: %s", fps, gcry_strerror(err));
            return -1;
        }
    }
    JField *tagf = jget(o, "instag");
    if (tagf && tagf->type == J_NUM) {
        char path[] = "/tmp/otrpeer-instag-XXXXXX";
        int fd = mkstemp(path);
        if (fd < 0) { reply_error("mkstemp failed"); return -1; }
        FILE *f = fdopen(fd, "w");
        fprintf(f, "%s\t%s\t%08x\n", g_account, g_protocol, (unsigned)tagf->num);
        fclose(f);
        err = otrl_instag_read(us, path);
        unlink(path);
        if (err) { reply_error("instag: %s", gcry_strerror(err)); return -1; }
    } else if (instags) {
        if (access(instags, F_OK) == 0 && (err = otrl_instag_read(us, instags))) {
            reply_error("instags %s: %s", instags, gcry_strerror(err));
            return -1;
        }
        if (!otrl_instag_find(us, g_account, g_protocol) &&
                (err = otrl_instag_generate(us, instags, g_account, g_protocol))) {
            reply_error("instags %s: %s", instags, gcry_strerror(err));
            return -1;
        }
    } else {
        cb_create_instag(NULL, g_account, g_protocol);
    }
    return 0;
}

static void cmd_receive(JObj *o)
{
    const char *from = need_str(o, "from"), *wire = from ? need_str(o, "wire") : NULL;
    if (!wire) return;
    char *newmsg = NULL;
    OtrlTLV *tlvs = NULL;
    g_unencrypted_flag = 0;
    int ignore = otrl_message_receiving(us, g_ops, NULL, g_account, g_protocol, from, wire,
            &newmsg, &tlvs, NULL, NULL, NULL);
    const char *text = ignore ? NULL : (newmsg ? newmsg : wire);
    /* libotr returns decrypted text only for data messages (possibly reassembled from fragments). */
    int encrypted = text && newmsg && !g_unencrypted_flag && !strncmp(wire, "?OTR", 4);
    if (text) {
        ob_begin("message");
        ob_s("from", from);
        ob_s("text", text);
        ob_b("encrypted", encrypted);
        ob_key("tlvs");
        ob_raw("[", 1);
        int first = 1;
        for (OtrlTLV *t = tlvs; t; t = t->next) { ob_fmt(first ? "%u" : ",%u", t->type); first = 0; }
        ob_raw("]", 1);
        ob_end();
    }
    reply_begin(1);
    ob_b("ignore", ignore);
    if (text) { ob_s("text", text); ob_b("encrypted", encrypted); }
    if (tlvs) {
        ob_key("tlvs");
        ob_raw("[", 1);
        int first = 1;
        for (OtrlTLV *t = tlvs; t; t = t->next) { ob_fmt(first ? "%u" : ",%u", t->type); first = 0; }
        ob_raw("]", 1);
    }
    ob_end();
    if (newmsg) otrl_message_free(newmsg);
    if (tlvs) otrl_tlv_free(tlvs);
}

static void do_send(const char *to, const char *text, otrl_instag_t inst)
{
    char *msg = NULL;
    ConnContext *ctx = NULL;
    gcry_error_t err = otrl_message_sending(us, g_ops, NULL, g_account, g_protocol, to, inst, text,
            NULL, &msg, OTRL_FRAGMENT_SEND_ALL, &ctx, NULL, NULL);
    if (err) {
        if (msg) otrl_message_free(msg);
        reply_error("otrl_message_sending: %s", gcry_strerror(err));
        return;
    }
    /* With SEND_ALL libotr injected whatever it made of the message; when it left the
     * message alone (plaintext, no whitespace tag), the application sends it as is. */
    int refused = msg && !*msg;
    if (!msg) cb_inject(NULL, g_account, g_protocol, to, text);
    if (msg) otrl_message_free(msg);
    reply_begin(1);
    ob_b("refused", refused);
    if (ctx) ob_s("msgstate", msgstate_name(ctx->msgstate));
    ob_end();
}

static otrl_instag_t inst_of(JObj *o) { return (otrl_instag_t)jnum(o, "instance", OTRL_INSTAG_BEST); }

static void cmd_send(JObj *o)
{
    const char *to = need_str(o, "to"), *text = to ? need_str(o, "text") : NULL;
    if (text) do_send(to, text, inst_of(o));
}

static void cmd_query(JObj *o)
{
    const char *to = need_str(o, "to");
    if (to) do_send(to, "?OTR?", OTRL_INSTAG_BEST);
}

static void cmd_raw(JObj *o)
{
    const char *to = need_str(o, "to"), *wire = to ? need_str(o, "wire") : NULL;
    if (!wire) return;
    cb_inject(NULL, g_account, g_protocol, to, wire);
    reply_begin(1);
    ob_end();
}

static void cmd_finish(JObj *o)
{
    const char *peer = need_str(o, "peer");
    if (!peer) return;
    if (jget(o, "instance"))
        otrl_message_disconnect(us, g_ops, NULL, g_account, g_protocol, peer, inst_of(o));
    else
        otrl_message_disconnect_all_instances(us, g_ops, NULL, g_account, g_protocol, peer);
    reply_begin(1);
    ob_end();
}

static ConnContext *secure_ctx(JObj *o, const char *peer)
{
    ConnContext *ctx = find_ctx(peer, inst_of(o), 0);
    if (!ctx || ctx->msgstate != OTRL_MSGSTATE_ENCRYPTED) {
        reply_error("no encrypted session with %s", peer);
        return NULL;
    }
    return ctx;
}

static void cmd_smp_start(JObj *o)
{
    const char *peer = need_str(o, "peer");
    JField *sec = peer ? jget(o, "secret") : NULL;
    if (!peer) return;
    if (!sec || sec->type != J_STR) { reply_error("missing string field \"secret\""); return; }
    ConnContext *ctx = secure_ctx(o, peer);
    if (!ctx) return;
    const char *q = jstr(o, "question");
    if (q) otrl_message_initiate_smp_q(us, g_ops, NULL, ctx, q, (unsigned char *)sec->str, sec->slen);
    else otrl_message_initiate_smp(us, g_ops, NULL, ctx, (unsigned char *)sec->str, sec->slen);
    reply_begin(1);
    ob_end();
}

static void cmd_smp_respond(JObj *o)
{
    const char *peer = need_str(o, "peer");
    JField *sec = peer ? jget(o, "secret") : NULL;
    if (!peer) return;
    if (!sec || sec->type != J_STR) { reply_error("missing string field \"secret\""); return; }
    PeerCfg *p = peer_cfg(peer, 0);
    ConnContext *ctx = p && p->smp_ctx ? p->smp_ctx : NULL;
    if (!ctx) { reply_error("no SMP request from %s", peer); return; }
    p->smp_ctx = NULL;
    otrl_message_respond_smp(us, g_ops, NULL, ctx, (unsigned char *)sec->str, sec->slen);
    reply_begin(1);
    ob_end();
}

static void cmd_smp_abort(JObj *o)
{
    const char *peer = need_str(o, "peer");
    if (!peer) return;
    ConnContext *ctx = secure_ctx(o, peer);
    if (!ctx) return;
    PeerCfg *p = peer_cfg(peer, 0);
    if (p) p->smp_ctx = NULL;
    otrl_message_abort_smp(us, g_ops, NULL, ctx);
    reply_begin(1);
    ob_end();
}

static void cmd_state(JObj *o)
{
    const char *peer = need_str(o, "peer");
    if (!peer) return;
    ConnContext *ctx = find_ctx(peer, inst_of(o), 0);
    reply_begin(1);
    if (!ctx) {
        ob_s("msgstate", "plaintext");
        ob_b("known", 0);
        ob_end();
        return;
    }
    ob_b("known", 1);
    ob_s("msgstate", msgstate_name(ctx->msgstate));
    ob_i("version", ctx->protocol_version);
    ob_i("our_instance", ctx->our_instance);
    ob_i("their_instance", ctx->their_instance);
    if (ctx->active_fingerprint && ctx->active_fingerprint->fingerprint) {
        char hex[41];
        fp_hex(ctx->active_fingerprint->fingerprint, hex);
        ob_s("fingerprint", hex);
        ob_s("trust", ctx->active_fingerprint->trust ? ctx->active_fingerprint->trust : "");
    }
    ob_i("smp_expected", ctx->smstate ? (long long)ctx->smstate->nextExpected : -1);
    ob_end();
}

static void cmd_fingerprints(void)
{
    reply_begin(1);
    ob_key("list");
    ob_raw("[", 1);
    int first = 1;
    for (ConnContext *c = us->context_root; c; c = c->next) {
        if (c->m_context != c) continue;
        for (Fingerprint *f = c->fingerprint_root.next; f; f = f->next) {
            char hex[41];
            fp_hex(f->fingerprint, hex);
            if (!first) ob_raw(",", 1);
            first = 0;
            ob_raw("{", 1);
            ob_jstr("peer"); ob_raw(":", 1); ob_jstr(c->username);
            ob_raw(",", 1); ob_jstr("account"); ob_raw(":", 1); ob_jstr(c->accountname);
            ob_raw(",", 1); ob_jstr("fingerprint"); ob_raw(":", 1); ob_jstr(hex);
            ob_raw(",", 1); ob_jstr("trust"); ob_raw(":", 1); ob_jstr(f->trust ? f->trust : "");
            ob_raw("}", 1);
        }
    }
    ob_raw("]", 1);
    ob_end();
}

static void cmd_trust(JObj *o)
{
    const char *peer = need_str(o, "peer"), *fp = peer ? need_str(o, "fingerprint") : NULL;
    if (!fp) return;
    const char *trust = jstr(o, "trust");
    int found = 0;
    ConnContext *c = find_ctx(peer, OTRL_INSTAG_MASTER, 0);
    for (Fingerprint *f = c ? c->fingerprint_root.next : NULL; f; f = f->next) {
        char hex[41];
        fp_hex(f->fingerprint, hex);
        if (!strcasecmp(hex, fp)) {
            otrl_context_set_trust(f, trust && *trust ? trust : NULL);
            found = 1;
        }
    }
    reply_begin(1);
    ob_b("found", found);
    ob_end();
}

static void cmd_write(JObj *o, int what)
{
    const char *path = need_str(o, "path");
    if (!path) return;
    gcry_error_t err = what ? otrl_instag_write(us, path) : otrl_privkey_write_fingerprints(us, path);
    if (err) { reply_error("%s: %s", path, gcry_strerror(err)); return; }
    reply_begin(1);
    ob_end();
}

static void cmd_genkey(JObj *o)
{
    const char *path = need_str(o, "path");
    if (!path) return;
    const char *acct = jstr(o, "account");
    if (!acct) acct = g_account;
    gcry_error_t err = otrl_privkey_generate(us, path, acct, g_protocol);
    if (err) { reply_error("genkey %s: %s", path, gcry_strerror(err)); return; }
    reply_begin(1);
    reply_our_fingerprint(acct);
    ob_end();
}

static void cmd_our_fingerprint(JObj *o)
{
    const char *acct = jstr(o, "account");
    reply_begin(1);
    reply_our_fingerprint(acct ? acct : g_account);
    ob_end();
}

static void cmd_forget(JObj *o)
{
    const char *peer = need_str(o, "peer");
    if (!peer) return;
    ConnContext *m = find_ctx(peer, OTRL_INSTAG_MASTER, 0);
    if (m) {
        ConnContext *c = us->context_root, *next;
        for (; c; c = next) {
            next = c->next;
            if (c->m_context == m && c != m) {
                otrl_context_force_plaintext(c);
                otrl_context_forget(c);
            }
        }
        otrl_context_force_plaintext(m);
        otrl_context_forget(m);
    }
    PeerCfg *p = peer_cfg(peer, 0);
    if (p) p->smp_ctx = NULL;
    reply_begin(1);
    ob_b("found", m != NULL);
    ob_end();
}

static void cmd_symkey(JObj *o)
{
    const char *peer = need_str(o, "peer");
    if (!peer) return;
    ConnContext *ctx = secure_ctx(o, peer);
    if (!ctx) return;
    const char *hex = jstr(o, "usedata");
    size_t n = hex ? strlen(hex) / 2 : 0;
    unsigned char *data = malloc(n + 1), key[OTRL_EXTRAKEY_BYTES];
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) { free(data); reply_error("usedata is not hex"); return; }
        data[i] = (unsigned char)v;
    }
    gcry_error_t err = otrl_message_symkey(us, g_ops, NULL, ctx, (unsigned int)jnum(o, "use", 0), data, n, key);
    free(data);
    if (err) { reply_error("otrl_message_symkey: %s", gcry_strerror(err)); return; }
    reply_begin(1);
    ob_hex("key", key, sizeof key);
    ob_end();
}

static void cmd_setint(JObj *o, int mms)
{
    JField *v = jget(o, "value");
    if (!v || v->type != J_NUM) { reply_error("missing number field \"value\""); return; }
    const char *peer = jstr(o, "peer");
    if (peer) {
        PeerCfg *p = peer_cfg(peer, 1);
        if (mms) { p->has_mms = 1; p->mms = (int)v->num; }
        else { p->has_policy = 1; p->policy = (OtrlPolicy)v->num; }
    } else if (mms) {
        g_mms = (int)v->num;
    } else {
        g_policy = (OtrlPolicy)v->num;
    }
    reply_begin(1);
    ob_end();
}

static int dispatch(JObj *o)
{
    g_id = jget(o, "id");
    g_cmd = jstr(o, "cmd");
    if (!g_cmd) { g_cmd = "?"; reply_error("missing \"cmd\""); return 0; }
    const char *c = g_cmd;
    if (!strcmp(c, "init")) { cmd_init(o); return 0; }
    if (!strcmp(c, "quit")) { reply_begin(1); ob_end(); return 1; }
    if (need_init() < 0) return 0;
    if (!strcmp(c, "receive")) cmd_receive(o);
    else if (!strcmp(c, "send")) cmd_send(o);
    else if (!strcmp(c, "query")) cmd_query(o);
    else if (!strcmp(c, "raw")) cmd_raw(o);
    else if (!strcmp(c, "finish")) cmd_finish(o);
    else if (!strcmp(c, "smp_start")) cmd_smp_start(o);
    else if (!strcmp(c, "smp_respond")) cmd_smp_respond(o);
    else if (!strcmp(c, "smp_abort")) cmd_smp_abort(o);
    else if (!strcmp(c, "state")) cmd_state(o);
    else if (!strcmp(c, "fingerprints")) cmd_fingerprints();
    else if (!strcmp(c, "trust")) cmd_trust(o);
    else if (!strcmp(c, "write_fingerprints")) cmd_write(o, 0);
    else if (!strcmp(c, "write_instags")) cmd_write(o, 1);
    else if (!strcmp(c, "genkey")) cmd_genkey(o);
    else if (!strcmp(c, "our_fingerprint")) cmd_our_fingerprint(o);
    else if (!strcmp(c, "forget")) cmd_forget(o);
    else if (!strcmp(c, "symkey")) cmd_symkey(o);
    else if (!strcmp(c, "clock")) {
        g_clock_offset += (long)jnum(o, "advance", 0);
        reply_begin(1);
        ob_i("offset", g_clock_offset);
        ob_end();
    }
    else if (!strcmp(c, "policy")) cmd_setint(o, 0);
    else if (!strcmp(c, "mms")) cmd_setint(o, 1);
    else reply_error("unknown command \"%s\"", c);
    return 0;
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    JObj o = { .n = 0 };

    OTRL_INIT;
    us = otrl_userstate_create();
    g_ops = &ops;
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);

    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (n == 1 && line[0] == '\n') continue;
        if (jparse(line, &o) < 0) {
            jobj_free(&o);
            ob_begin("fatal");
            ob_s("error", "unparsable input line");
            ob_end();
            fflush(stdout);
            continue;
        }
        int quit = dispatch(&o);
        jobj_free(&o);
        fflush(stdout);
        if (quit) break;
    }
    free(line);
    otrl_userstate_free(us);
    return 0;
}
