#!/usr/bin/python3
# A python-potr account talking to one peer, driven by JSON lines on stdin (test/interop/potr-peer.ts).
# python-potr is an OTR v2 implementation of its own (not libotr): WeeChat's otr.py and Gajim use it.
#
# Commands, one JSON object a line; every command is answered by zero or more events and then
# {"ev": "status", ...} and {"ev": "done"}:
#   {"op": "init", "name": N, "peer": P, "mms": BYTES}   our account N, its peer P, max message size
#   {"op": "recv", "line": WIRE}     a line from the peer   -> msg / unencrypted / error_received / ...
#   {"op": "send", "text": T}        send T (encrypted when the session is)
#   {"op": "query"}                  send the query message
#   {"op": "smpinit", "secret": S, "question": Q?} / {"op": "smpsecret", "secret": S} / {"op": "smpabort"}
#   {"op": "disconnect"}             end the session (TLV 1)
# Events: {"ev": "out", "line": WIRE} (to the peer), {"ev": "msg", "text", "encrypted", "tlvs"},
# {"ev": "unencrypted"|"error_received"|"not_encrypted"|"refused", ...}, {"ev": "exception", "text"}.
import json
import sys
import traceback
from numbers import Number

import potr
import potr.compatcrypto
import potr.compatcrypto.pycrypto as pc
import potr.crypt
from potr import context
from potr.utils import bytes_to_long, long_to_bytes
from Cryptodome.Cipher import AES
from Cryptodome.PublicKey import DSA
from Cryptodome.Random.random import randrange

# Debian 12's python3-potr 1.0.2 calls pycrypto's API, which its pycryptodome lacks: key generation,
# DSA sign/verify with a given k, and AES-CTR with a callable counter all fail. These replacements keep
# potr's semantics (DSA over the MAC taken as an integer, as libotr; CTR blocks prefix || counter); the
# protocol itself (AKE, data messages, SMP, fragments) stays potr's.
def _generate(cls):
    k = DSA.generate(1024)
    return cls((k.y, k.g, k.p, k.q, k.x), private=True)

def _sign(self, data):
    p, q, g, x = self.priv.p, self.priv.q, self.priv.g, self.priv.x
    m = bytes_to_long(data)
    while True:
        k = randrange(2, q)
        r = pow(g, k, p) % q
        s = (pow(k, -1, q) * (m + x * r)) % q
        if r and s:
            return long_to_bytes(r, 20) + long_to_bytes(s, 20)

def _verify(self, data, sig):
    p, q, g, y = self.pub.p, self.pub.q, self.pub.g, self.pub.y
    r, s = bytes_to_long(sig[:20]), bytes_to_long(sig[20:])
    if not (0 < r < q and 0 < s < q):
        return False
    w = pow(s, -1, q)
    return (pow(g, bytes_to_long(data) * w % q, p) * pow(y, r * w % q, p) % p) % q == r

def _aes_ctr(key, counter=0):
    if isinstance(counter, Number):
        counter = pc.Counter(counter)
    return AES.new(key, AES.MODE_CTR, nonce=b'', initial_value=counter.byteprefix() + long_to_bytes(counter.val, 8))

pc.DSAKey.generate = classmethod(_generate)
pc.DSAKey.sign = _sign
pc.DSAKey.verify = _verify
pc.AESCTR = potr.compatcrypto.AESCTR = potr.crypt.AESCTR = _aes_ctr

POLICY = {'ALLOW_V1': False, 'ALLOW_V2': True, 'REQUIRE_ENCRYPTION': False, 'SEND_TAG': True,
          'WHITESPACE_START_AKE': True, 'ERROR_START_AKE': True}
pending = []

def emit(o):
    sys.stdout.write(json.dumps(o) + '\n')
    sys.stdout.flush()

def text(b):
    return b.decode('utf-8') if isinstance(b, bytes) else b

class Ctx(context.Context):
    def getPolicy(self, key):
        return POLICY.get(key, False)

    def inject(self, msg, appdata=None):
        pending.append(text(msg))

class Account(context.Account):
    contextclass = Ctx

    def loadPrivkey(self):
        return None

    def savePrivkey(self):
        pass

    def saveTrusts(self):
        pass

account = None
ctx = None

def status():
    smp = ctx.crypto.smp if ctx else None
    trust = ctx.getCurrentTrust() if ctx and ctx.crypto.theirPubkey else None
    emit({'ev': 'status', 'state': ctx.state if ctx else None, 'smpState': smp.state if smp else None,
          'trust': trust, 'fingerprint': account.getPrivkey().fingerprint().hex().upper() if account else None,
          'theirFingerprint': ctx.crypto.theirPubkey.fingerprint().hex().upper() if ctx and ctx.crypto.theirPubkey else None})

def run(cmd):
    global account, ctx
    op = cmd['op']
    if op == 'init':
        account = Account(cmd['name'], 'irc', cmd.get('mms', 0))
        account.getPrivkey()
        ctx = account.getContext(cmd['peer'])
    elif op == 'recv':
        try:
            plain, tlvs = ctx.receiveMessage(cmd['line'].encode('utf-8'))
            if plain is not None or tlvs:
                emit({'ev': 'msg', 'text': text(plain) if plain is not None else None, 'encrypted': True,
                      'tlvs': [type(t).__name__ for t in tlvs]})
        except context.NotOTRMessage as e:
            emit({'ev': 'msg', 'text': text(e.args[0]), 'encrypted': False, 'tlvs': []})
        except context.UnencryptedMessage as e:
            emit({'ev': 'unencrypted', 'text': text(e.args[0])})
        except context.ErrorReceived as e:
            emit({'ev': 'error_received', 'text': repr(e.args[0])})
        except context.NotEncryptedError as e:
            emit({'ev': 'not_encrypted', 'code': e.args[0]})
    elif op == 'send':
        try:
            wire = ctx.sendMessage(context.FRAGMENT_SEND_ALL, cmd['text'].encode('utf-8'))
            if wire is not None:
                pending.append(text(wire))
        except context.NotEncryptedError as e:
            emit({'ev': 'refused', 'code': e.args[0]})
    elif op == 'query':
        pending.append(text(ctx.sendMessage(context.FRAGMENT_SEND_ALL, b'?OTRv2?')))
    elif op == 'smpinit':
        q = cmd.get('question')
        ctx.smpInit(cmd['secret'].encode('utf-8'), q.encode('utf-8') if q else None)
    elif op == 'smpsecret':
        ctx.smpGotSecret(cmd['secret'].encode('utf-8'))
    elif op == 'smpabort':
        ctx.smpAbort()
    elif op == 'disconnect':
        ctx.disconnect()
    else:
        raise ValueError('unknown op ' + op)

for raw in sys.stdin:
    try:
        run(json.loads(raw))
    except Exception:
        emit({'ev': 'exception', 'text': traceback.format_exc()})
    for line in pending:
        emit({'ev': 'out', 'line': line})
    pending.clear()
    status()
    emit({'ev': 'done'})
