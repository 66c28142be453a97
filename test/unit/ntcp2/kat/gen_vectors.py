#!/usr/bin/env python3
"""
Independent NTCP2 known-answer vectors for test/unit/ntcp2/kat.test.ts.

Written from ntcp2.rst alone with Python's `cryptography` package (X25519, AES-CBC,
ChaCha20-Poly1305) and hashlib/hmac, sharing no code with the TypeScript implementation.
Prints a TypeScript module of hex strings. Inputs are fixed below.

Run: python3 test/unit/ntcp2/kat/gen_vectors.py > test/unit/ntcp2/kat/vectors.ts
"""
import hashlib, hmac, json, struct
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

def H(*parts):
    h = hashlib.sha256()
    for p in parts: h.update(p)
    return h.digest()

def HMAC(k, d): return hmac.new(k, d, hashlib.sha256).digest()

def pub(priv):
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

def dh(priv, pubk):
    return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(pubk))

def aes_cbc(key, iv, data):
    e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return e.update(data) + e.finalize()

def nonce(n): return b'\x00' * 4 + struct.pack('<Q', n)

def aead_enc(k, n, ad, pt): return ChaCha20Poly1305(k).encrypt(nonce(n), pt, ad)

def mix_key(ck, ikm):
    temp = HMAC(ck, ikm)
    ck2 = HMAC(temp, b'\x01')
    k = HMAC(temp, ck2 + b'\x02')
    return ck2, k

# --- SipHash-2-4 (reference algorithm, 64-bit) ---
M64 = (1 << 64) - 1
def rotl(x, b): return ((x << b) | (x >> (64 - b))) & M64
def siphash24(key16, data):
    k0, k1 = struct.unpack('<QQ', key16)
    v0 = k0 ^ 0x736f6d6570736575; v1 = k1 ^ 0x646f72616e646f6d
    v2 = k0 ^ 0x6c7967656e657261; v3 = k1 ^ 0x7465646279746573
    def rnd():
        nonlocal v0, v1, v2, v3
        v0 = (v0 + v1) & M64; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
        v2 = (v2 + v3) & M64; v3 = rotl(v3, 16); v3 ^= v2
        v0 = (v0 + v3) & M64; v3 = rotl(v3, 21); v3 ^= v0
        v2 = (v2 + v1) & M64; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    b = len(data) & 0xff
    full = len(data) // 8 * 8
    for i in range(0, full, 8):
        m, = struct.unpack('<Q', data[i:i+8]); v3 ^= m; rnd(); rnd(); v0 ^= m
    tail = data[full:] + b'\x00' * (7 - (len(data) - full)) + bytes([b])
    m, = struct.unpack('<Q', tail); v3 ^= m; rnd(); rnd(); v0 ^= m
    v2 ^= 0xff
    for _ in range(4): rnd()
    return struct.pack('<Q', v0 ^ v1 ^ v2 ^ v3)

# --- fixed inputs ---
alice_static = bytes(range(1, 33))
alice_eph = bytes(range(33, 65))
bob_static = bytes(range(65, 97))
bob_eph = bytes(range(97, 129))
rh_b = H(b'bob router identity')            # stands in for Bob's router hash
iv_b = bytes(range(0xa0, 0xb0))
net_id = 99
ts = 1764000000                             # tsA and tsB, seconds
ri = b'R' * 500                             # stands in for Alice's RouterInfo bytes

# --- message 1 ---
name = b'Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256'
assert len(name) == 48
h = H(name); ck = h
h = H(h)                                    # MixHash(null prologue)
rs = pub(bob_static)
h = H(h, rs)                                # MixHash(rs)
X = pub(alice_eph)
h = H(h, X)                                 # MixHash(e.pubkey)
ck, k = mix_key(ck, dh(alice_eph, rs))      # es
m3p2_plain = bytes([2]) + struct.pack('>H', len(ri) + 1) + b'\x00' + ri + bytes([254, 0, 0])
m3p2_len = len(m3p2_plain) + 16
opts1 = bytes([net_id, 2]) + struct.pack('>HH', 0, m3p2_len) + b'\x00\x00' + struct.pack('>I', ts) + b'\x00' * 4
enc_x = aes_cbc(rh_b, iv_b, X)
c1 = aead_enc(k, 0, h, opts1)
h = H(h, c1)                                # MixHash(ciphertext); no padding
msg1 = enc_x + c1

# --- message 2 ---
Y = pub(bob_eph)
enc_y = aes_cbc(rh_b, enc_x[16:32], Y)      # CBC state continues from X
h = H(h, Y)
ck, k = mix_key(ck, dh(bob_eph, X))         # ee
opts2 = b'\x00\x00' + struct.pack('>H', 0) + b'\x00' * 4 + struct.pack('>I', ts) + b'\x00' * 4
c2 = aead_enc(k, 0, h, opts2)
h = H(h, c2)
msg2 = enc_y + c2

# --- message 3 ---
p1 = aead_enc(k, 1, h, pub(alice_static))   # nonce 1 with the message 2 key
h = H(h, p1)
ck, k = mix_key(ck, dh(alice_static, Y))    # se
p2 = aead_enc(k, 0, h, m3p2_plain)
h = H(h, p2)
msg3 = p1 + p2

# --- data phase KDF ---
temp = HMAC(ck, b'')
k_ab = HMAC(temp, b'\x01')
k_ba = HMAC(temp, k_ab + b'\x02')
ask_master = HMAC(temp, b'ask\x01')
temp = HMAC(ask_master, h + b'siphash')
sip_master = HMAC(temp, b'\x01')
temp = HMAC(sip_master, b'')
sip_ab = HMAC(temp, b'\x01')
sip_ba = HMAC(temp, sip_ab + b'\x02')

def frame(key, sip, n_frames_payloads):
    iv = sip[16:24]
    out = b''
    for n, payload in enumerate(n_frames_payloads):
        iv = siphash24(sip[0:16], iv)
        mask, = struct.unpack('<H', iv[0:2])
        ct = aead_enc(key, n, b'', payload)
        out += struct.pack('>H', len(ct) ^ mask) + ct
    return out

dt = bytes([0]) + struct.pack('>H', 4) + struct.pack('>I', ts)
frames_ab = frame(k_ab, sip_ab, [dt, dt + bytes([254, 0, 1, 0xee])])
frames_ba = frame(k_ba, sip_ba, [dt, bytes([254, 0, 0])])

print('// Generated by gen_vectors.py (independent Python implementation of ntcp2.rst). Do not edit.')
print('export const VECTORS = ' + json.dumps({
    'aliceStatic': alice_static.hex(), 'aliceEph': alice_eph.hex(), 'bobStatic': bob_static.hex(), 'bobEph': bob_eph.hex(),
    'rhB': rh_b.hex(), 'ivB': iv_b.hex(), 'netId': net_id, 'ts': ts, 'ri': ri.hex(),
    'msg1': msg1.hex(), 'msg2': msg2.hex(), 'msg3': msg3.hex(),
    'kAB': k_ab.hex(), 'kBA': k_ba.hex(), 'sipAB': sip_ab.hex(), 'sipBA': sip_ba.hex(), 'ck': ck.hex(), 'h': h.hex(),
    'framesAB': frames_ab.hex(), 'framesBA': frames_ba.hex(),
}, indent=1) + ' as const;')
