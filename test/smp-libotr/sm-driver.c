/* Drives libotr's own SMP steps (sm.h: otrl_sm_step1 .. otrl_sm_step5) for interop tests.
 * One command per line on stdin, one answer per line on stdout; byte strings are hex.
 *   new                      fresh SMP state
 *   step1 SECRET             -> ok MSG1
 *   step2a MSG1 Q            -> ok | err       (Q = 1 when the message came as SMP1Q)
 *   step2b SECRET            -> ok MSG2
 *   step3 MSG2               -> ok MSG3 | err
 *   step4 MSG3               -> ok MSG4 succeeded|failed | err
 *   step5 MSG4               -> ok succeeded|failed | err
 * SECRET is the 32-byte combined secret. "err" means libotr's state is CHEATED or the step failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libotr/proto.h>
#include <libotr/sm.h>

static unsigned char *unhex(const char *s, int *len) {
    size_t n = strlen(s) / 2;
    unsigned char *out = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned int b;
        sscanf(s + 2 * i, "%2x", &b);
        out[i] = (unsigned char)b;
    }
    *len = (int)n;
    return out;
}

static void puthex(const unsigned char *b, int len) {
    for (int i = 0; i < len; i++) printf("%02x", b[i]);
}

static const char *outcome(const OtrlSMState *s) {
    return s->sm_prog_state == OTRL_SMP_PROG_SUCCEEDED ? "succeeded" : "failed";
}

int main(void) {
    static char line[1 << 20];
    char cmd[16], arg[sizeof line];
    OtrlSMState st;

    OTRL_INIT;
    otrl_sm_state_new(&st);
    otrl_sm_state_init(&st);
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(line, sizeof line, stdin)) {
        int q = 0, len = 0;
        unsigned char *in = NULL, *out = NULL;
        int outlen = 0;
        gcry_error_t err;
        arg[0] = 0;
        if (sscanf(line, "%15s %s %d", cmd, arg, &q) < 1) continue;
        if (arg[0]) in = unhex(arg, &len);
        if (!strcmp(cmd, "new")) {
            otrl_sm_state_free(&st);
            otrl_sm_state_init(&st);
            printf("ok\n");
        } else if (!strcmp(cmd, "step1")) {
            otrl_sm_step1(&st, in, len, &out, &outlen);
            printf("ok "); puthex(out, outlen); printf("\n");
        } else if (!strcmp(cmd, "step2a")) {
            err = otrl_sm_step2a(&st, in, len, q);
            printf(err || st.sm_prog_state == OTRL_SMP_PROG_CHEATED ? "err\n" : "ok\n");
        } else if (!strcmp(cmd, "step2b")) {
            otrl_sm_step2b(&st, in, len, &out, &outlen);
            printf("ok "); puthex(out, outlen); printf("\n");
        } else if (!strcmp(cmd, "step3")) {
            err = otrl_sm_step3(&st, in, len, &out, &outlen);
            if (err || st.sm_prog_state == OTRL_SMP_PROG_CHEATED) printf("err\n");
            else { printf("ok "); puthex(out, outlen); printf("\n"); }
        } else if (!strcmp(cmd, "step4")) {
            otrl_sm_step4(&st, in, len, &out, &outlen);
            if (st.sm_prog_state == OTRL_SMP_PROG_CHEATED) printf("err\n");
            else { printf("ok "); puthex(out, outlen); printf(" %s\n", outcome(&st)); }
        } else if (!strcmp(cmd, "step5")) {
            otrl_sm_step5(&st, in, len);
            if (st.sm_prog_state == OTRL_SMP_PROG_CHEATED) printf("err\n");
            else printf("ok %s\n", outcome(&st));
        } else {
            printf("err unknown command\n");
        }
        free(in);
        free(out);
    }
    return 0;
}
